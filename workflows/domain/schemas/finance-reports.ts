/**
 * The finance reports (docs/accounting.md, "Reports"): computed in SQL from the journals, answered
 * as JSON or, with `Accept: text/csv`, as CSV of their `rows`.
 */
import { z } from 'zod';
import { Account } from './enums';
import { IsoDate } from './scalars';

const Decimal = z.string().meta({ description: 'Decimal string, 2 decimals.', example: '120.00' });
const CalendarDate = z.string().meta({ description: 'YYYY-MM-DD.', example: '2026-12-01' });
const Timestamp = z.string().meta({ description: 'ISO 8601 instant.', example: '2026-11-27T09:30:00.000Z' });
const CurrencyTotal = z.object({ currency: z.string(), amount: Decimal });

export const AsOfQuery = z.object({ asOf: IsoDate.optional() }).strict().meta({ id: 'ReportAsOfQuery' });
export const PeriodQuery = z.object({ from: IsoDate, to: IsoDate }).strict().refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] }).meta({ id: 'ReportPeriodQuery' });

export const GrniAccrualRow = z.object({
  poNumber: z.string(),
  supplierId: z.string(),
  lineNo: z.number().int(),
  sku: z.string(),
  currency: z.string(),
  /** Received, not yet invoiced: the GRNI credit balance of the line. */
  amount: Decimal,
  /** The oldest receipt still not invoiced. */
  oldestReceiptAt: Timestamp,
  ageDays: z.number().int(),
});
export const GrniAccrualReport = z
  .object({ asOf: CalendarDate, generatedAt: Timestamp, rows: z.array(GrniAccrualRow), totals: z.array(CurrencyTotal) })
  .meta({ id: 'GrniAccrualReport' });

export const AgingBucket = z.enum(['current', '1-30', '31-60', '61-90', '90+']).meta({ id: 'AgingBucket' });
export const ApAgingRow = z.object({
  poNumber: z.string(),
  supplierId: z.string(),
  invoiceNumber: z.string(),
  currency: z.string(),
  dueDate: CalendarDate.nullable(),
  daysOverdue: z.number().int(),
  bucket: AgingBucket,
  /** What AP still owes on the invoice. */
  amount: Decimal,
});
export const ApAgingReport = z
  .object({
    asOf: CalendarDate,
    generatedAt: Timestamp,
    rows: z.array(ApAgingRow),
    buckets: z.array(z.object({ currency: z.string(), bucket: AgingBucket, amount: Decimal, invoices: z.number().int() })),
  })
  .meta({ id: 'ApAgingReport' });

export const PpvRow = z.object({ supplierId: z.string(), currency: z.string(), amount: Decimal, entries: z.number().int() });
export const PpvReport = z
  .object({ from: CalendarDate, to: CalendarDate, generatedAt: Timestamp, rows: z.array(PpvRow), totals: z.array(CurrencyTotal) })
  .meta({ id: 'PpvReport', description: 'Purchase price variance by supplier: debit (unfavourable) positive, credit (favourable) negative.' });

export const TrialBalanceRow = z.object({ account: Account, name: z.string(), category: z.string(), currency: z.string(), debit: Decimal, credit: Decimal, balance: Decimal });
export const TrialBalanceReport = z
  .object({
    asOf: CalendarDate,
    generatedAt: Timestamp,
    rows: z.array(TrialBalanceRow),
    totals: z.array(z.object({ currency: z.string(), debit: Decimal, credit: Decimal })),
  })
  .meta({ id: 'TrialBalanceReport' });
