/**
 * Checks on request bodies that the shared zod schemas cannot express but the ERP database
 * enforces. Refused here, a body is a 400 naming the field; let through, it would fail inside an
 * activity, where a retry never helps and the purchase order would wait forever.
 */
import type { RequestHandler } from 'express';
import { cmp, lineAmount, round2, sum } from '../workflows/domain/money';
import { ApiError, InputError } from './errors';
import type { ProblemFieldError } from './errors';

/** PostgreSQL text cannot hold U+0000 (invalid byte sequence 22021). */
const NUL = '\u0000';

/**
 * No request body of this API is nested more than a few levels; a deeper one is hostile or a bug,
 * and would overflow the stack of every recursive walk after this (hashing, validation).
 */
export const MAX_BODY_DEPTH = 32;

/**
 * After the JSON body parser: refuses a body nested deeper than MAX_BODY_DEPTH and any text that
 * contains NUL, wherever it sits. Iterative, so no body can overflow the stack here.
 */
export const guardJsonBody: RequestHandler = (req, _res, next) => {
  const found: ProblemFieldError[] = [];
  const pending: { value: unknown; path: string[] }[] = [{ value: req.body, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes(NUL)) found.push({ path: path.join('.'), message: 'must not contain the NUL character (\\u0000)' });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_BODY_DEPTH) {
      throw new InputError(`The body is nested deeper than ${MAX_BODY_DEPTH} levels.`, [{ path: path.slice(0, 3).join('.'), message: 'nested too deeply' }], 'BODY_TOO_DEEP');
    }
    const members: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    for (const [key, member] of members) {
      if (key.includes(NUL)) found.push({ path: [...path, key].join('.'), message: 'a member name must not contain the NUL character' });
      pending.push({ value: member, path: [...path, key] });
    }
  }
  if (found.length > 0) {
    found.sort((a, b) => a.path.localeCompare(b.path));
    throw new InputError('The body contains text that cannot be stored; see errors.', found, 'NUL_CHARACTER');
  }
  next();
};

/**
 * After the JSON body parser: a write that carries a body the parser did not take (no or another
 * Content-Type: `text/plain`, a form) is refused as such, instead of being validated as if no
 * body had been sent ("expected object, received undefined").
 */
export const requireJsonContentType: RequestHandler = (req, _res, next) => {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (req.body === undefined && hasBody && req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ApiError(415, `Send the body as JSON with Content-Type: application/json (got ${req.headers['content-type'] ?? 'no Content-Type'}).`, 'UNSUPPORTED_MEDIA_TYPE');
  }
  next();
};

/** The largest value of a `numeric(18,4)` column: every amount and quantity in the ERP schema. */
export const MAX_ERP_AMOUNT = '99999999999999.9999';

interface PricedLine {
  quantity?: unknown;
  unitPrice?: unknown;
}

/**
 * Line amounts (quantity × unit price) must fit the ERP's `numeric(18,4)`; with `total`, so must
 * their sum (a PO's total). Lines without both numbers are left to the workflow.
 */
export function assertAmountsFit(body: unknown, options: { total?: boolean } = {}): void {
  const lines = (body as { lines?: unknown } | null)?.lines;
  if (!Array.isArray(lines)) return;
  const errors: ProblemFieldError[] = [];
  const amounts: string[] = [];
  lines.forEach((line: PricedLine | null, index) => {
    if (typeof line?.quantity !== 'string' || typeof line.unitPrice !== 'string') return;
    const amount = lineAmount(line.quantity, line.unitPrice);
    amounts.push(amount);
    if (cmp(amount, MAX_ERP_AMOUNT) > 0) {
      errors.push({ path: `lines.${index}`, message: `the line amount ${amount} exceeds the largest amount the ERP records (${MAX_ERP_AMOUNT})` });
    }
  });
  const total = round2(sum(amounts));
  if (errors.length === 0 && options.total && cmp(total, MAX_ERP_AMOUNT) > 0) {
    errors.push({ path: 'lines', message: `the order total ${total} exceeds the largest amount the ERP records (${MAX_ERP_AMOUNT})` });
  }
  if (errors.length > 0) throw new InputError('An amount is larger than the ERP can record; see errors.', errors, 'AMOUNT_OUT_OF_RANGE');
}
