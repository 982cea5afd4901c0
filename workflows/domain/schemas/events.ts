/**
 * The PO's own events: what `apply` folds into its state (`workflows/domain/lifecycle/apply.ts`)
 * and what the workflow hands the ERP to record. The ERP checks every event it is given against
 * these before it writes anything, so a malformed command that reached a workflow around the API
 * is refused before it can touch a table. `PoEvent` (state.ts) is inferred from here.
 */
import { z } from 'zod';
import {
  Acknowledgement,
  AdvanceShipNotice,
  ChangeOrder,
  CreatePurchaseOrder,
  CreditMemo,
  GoodsReceipt,
  Invoice,
} from './commands';
import { Decision, ReportedPaymentStatus } from './enums';
import { Actor, MatchResult, PaymentPlan, PoPolicy } from './views';

const at = z.string().refine((instant) => !Number.isNaN(Date.parse(instant)), 'must be an ISO 8601 instant');

function event<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), at, actor: Actor, ...shape }).strict();
}

export const PoEvent = z.discriminatedUnion('type', [
  event('po.issued', { po: CreatePurchaseOrder, requestHash: z.string(), policy: PoPolicy }),
  event('po.acknowledged', { acknowledgement: Acknowledgement }),
  event('po.change_decided', { decision: Decision, reason: z.string().optional() }),
  event('po.changed', { changeOrder: ChangeOrder }),
  event('po.cancelled', { reason: z.string() }),
  event('asn.received', { asn: AdvanceShipNotice, bodyHash: z.string() }),
  event('goods.received', { receipt: GoodsReceipt, bodyHash: z.string() }),
  event('invoice.received', { invoice: Invoice, bodyHash: z.string(), match: MatchResult }),
  event('invoice.rematched', { invoiceNumber: z.string(), match: MatchResult }),
  event('credit_memo.received', { creditMemo: CreditMemo, bodyHash: z.string() }),
  event('invoice.resolved', { invoiceNumber: z.string(), action: Decision, reason: z.string() }),
  event('invoice.posted', { invoiceNumber: z.string() }),
  event('payment.scheduled', { invoiceNumber: z.string(), plan: PaymentPlan }),
  event('payment.executed', { invoiceNumber: z.string(), paymentId: z.string() }),
  event('payment.status_reported', { invoiceNumber: z.string(), status: ReportedPaymentStatus, reference: z.string().optional() }),
  event('exception.escalated', { exceptionId: z.string() }),
  event('acknowledgement.reminded', {}),
  event('acknowledgement.escalated', {}),
  event('delivery.late', { lineNos: z.array(z.number().int()) }),
  event('po.closed', {}),
]);
