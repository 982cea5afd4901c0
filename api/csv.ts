/**
 * CSV answers (RFC 4180 quoting, a header line) for any listing or report whose caller prefers
 * `text/csv`; JSON stays the default.
 */
import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify/sync';

export function prefersCsv(req: Request): boolean {
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** One line per row with `columns` in order; a nested value (an array of reasons) is written as JSON. */
export function sendCsv(res: Response, fileName: string, rows: readonly Record<string, unknown>[], columns: readonly string[]): void {
  const cell = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : value);
  const csv = stringify(
    rows.map((row) => columns.map((column) => cell(row[column]))),
    { header: true, columns: [...columns], cast: { boolean: (value) => String(value) } },
  );
  res.type('text/csv; charset=utf-8').attachment(`${fileName}.csv`).send(csv);
}

/** The next page of a listing, for clients (CSV ones especially) that cannot read `nextCursor` from a body. */
export function linkNextPage(req: Request, res: Response, nextCursor: string | null): void {
  if (nextCursor === null) return;
  const url = new URL(req.originalUrl, 'http://placeholder');
  url.searchParams.set('cursor', nextCursor);
  res.append('Link', `<${url.pathname}${url.search}>; rel="next"`);
}
