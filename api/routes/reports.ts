/**
 * The finance reports (docs/api.md; docs/accounting.md, "Reports"), for finance and operators: JSON,
 * or CSV of the report's rows when the caller asks for `Accept: text/csv`.
 */
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { FinancePort } from '../../activities/ports';
import { AsOfQuery, PeriodQuery } from '../../workflows/domain/schemas';
import { allowRoles } from '../auth';
import { prefersCsv, sendCsv } from '../csv';
import { InputError, zodIssuesToErrors } from '../errors';

interface TabularReport {
  rows: readonly Record<string, unknown>[];
}

function query<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, req: Request): T {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw new InputError('The query parameters are invalid.', zodIssuesToErrors(parsed.error));
  return parsed.data;
}

/** JSON by default; CSV (a header, then one line per row) when text/csv is preferred. */
function send(req: Request, res: Response, name: string, report: TabularReport, columns: string[]): void {
  if (prefersCsv(req)) {
    sendCsv(res, name, report.rows, columns);
    return;
  }
  res.json(report);
}

const today = () => new Date().toISOString().slice(0, 10);

/** Mounted under /v1. */
export function reportsRouter({ finance }: { finance: FinancePort }): Router {
  const router = Router();
  const readers = allowRoles('finance', 'operator');

  router.get('/reports/grni-accrual', readers, async (req, res) => {
    const { asOf = today() } = query(AsOfQuery, req);
    send(req, res, `grni-accrual-${asOf}`, await finance.grniAccrual(asOf), ['poNumber', 'supplierId', 'lineNo', 'sku', 'currency', 'amount', 'oldestReceiptAt', 'ageDays']);
  });

  router.get('/reports/ap-aging', readers, async (req, res) => {
    const { asOf = today() } = query(AsOfQuery, req);
    send(req, res, `ap-aging-${asOf}`, await finance.apAging(asOf), ['poNumber', 'supplierId', 'invoiceNumber', 'currency', 'dueDate', 'daysOverdue', 'bucket', 'amount']);
  });

  router.get('/reports/ppv', readers, async (req, res) => {
    const { from, to } = query(PeriodQuery, req);
    send(req, res, `ppv-${from}-${to}`, await finance.ppv(from, to), ['supplierId', 'currency', 'amount', 'entries']);
  });

  router.get('/reports/trial-balance', readers, async (req, res) => {
    const { asOf = today() } = query(AsOfQuery, req);
    send(req, res, `trial-balance-${asOf}`, await finance.trialBalance(asOf), ['account', 'name', 'category', 'currency', 'debit', 'credit', 'balance']);
  });

  return router;
}
