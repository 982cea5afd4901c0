/**
 * Finance's work queue and the PO's journal as the API answers them (docs/console.md): open
 * exceptions across POs, and the journal entries one PO posted. The console renders the same
 * shapes, so a screen and the API never disagree on what an exception is.
 */
import { z } from 'zod';
import { Account, ExceptionCode, PoStatus, ReasonCode } from './enums';
import { SupplierId } from './scalars';
import { MatchReason } from './views';

const Decimal = z.string().meta({ description: 'Decimal string.', example: '120.00' });
const Timestamp = z.string().meta({ description: 'ISO 8601 instant.', example: '2026-11-27T09:30:00.000Z' });

/** `-age`: oldest first (the default: the queue's order); `age`: newest first; `-amount`: largest first; `amount`: smallest first. */
export const ExceptionSort = z.enum(['-age', 'age', '-amount', 'amount']).meta({ id: 'ExceptionSort' });
export type ExceptionSort = z.infer<typeof ExceptionSort>;

export const ExceptionListQuery = z
  .object({
    supplierId: SupplierId.optional(),
    reason: z.union([ReasonCode, ExceptionCode]).optional(),
    sort: ExceptionSort.default('-age'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict()
  .meta({ id: 'ExceptionListQuery' });
export type ExceptionListQuery = z.infer<typeof ExceptionListQuery>;

export const OpenException = z
  .object({
    poNumber: z.string(),
    exceptionId: z.string(),
    supplierId: z.string(),
    code: ExceptionCode,
    invoiceNumber: z.string().nullable(),
    reasons: z.array(MatchReason),
    currency: z.string(),
    /** The invoice's total. */
    amount: Decimal,
    openedAt: Timestamp,
    /** Whole days since the exception opened. */
    ageDays: z.number().int(),
    escalatedAt: Timestamp.nullable(),
  })
  .meta({ id: 'OpenException' });
export type OpenException = z.infer<typeof OpenException>;

export const OpenExceptionPage = z
  .object({ items: z.array(OpenException), nextCursor: z.string().nullable() })
  .meta({ id: 'OpenExceptionPage' });

export const PostedJournalLine = z.object({
  lineNo: z.number().int(),
  account: Account,
  debit: Decimal,
  credit: Decimal,
  memo: z.string().nullable(),
});

export const PostedJournalEntry = z
  .object({
    entryId: z.string(),
    eventType: z.string(),
    description: z.string(),
    currency: z.string(),
    postedAt: Timestamp,
    lines: z.array(PostedJournalLine),
  })
  .meta({ id: 'PostedJournalEntry' });
export type PostedJournalEntry = z.infer<typeof PostedJournalEntry>;

export const PurchaseOrderJournal = z
  .object({ poNumber: z.string(), entries: z.array(PostedJournalEntry) })
  .meta({ id: 'PurchaseOrderJournal' });

/** A PO in the buyers' list: the summary plus what is still to come. */
export const PurchaseOrderWorkItem = z.object({
  poNumber: z.string(),
  supplierId: z.string(),
  currency: z.string(),
  status: PoStatus,
  total: Decimal,
  /** Σ over lines not cancelled of (confirmed, else ordered) − received. */
  openQuantity: Decimal,
  hasOpenException: z.boolean(),
  createdAt: Timestamp,
});
export type PurchaseOrderWorkItem = z.infer<typeof PurchaseOrderWorkItem>;

/** A payment of an invoice, for finance's payment status page. */
export const PaymentWorkItem = z.object({
  poNumber: z.string(),
  supplierId: z.string(),
  invoiceNumber: z.string(),
  attempt: z.number().int(),
  status: z.string(),
  currency: z.string(),
  amount: Decimal,
  paymentId: z.string().nullable(),
  reference: z.string().nullable(),
  executedAt: Timestamp.nullable(),
});
export type PaymentWorkItem = z.infer<typeof PaymentWorkItem>;
