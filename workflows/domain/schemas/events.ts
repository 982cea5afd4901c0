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
import { Actor } from './actor';
import { Decision, ReportedPaymentStatus } from './enums';
import { ApprovalRequest, PaymentHold, ReturnToVendor } from './finance';
import { MatchResult, PaymentPlan, PoPolicy } from './views';

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
  // Finance controls (docs/domain.md, "Payment holds", "Approval tiers", "Returns to vendor", "Disputes")
  event('approval.requested', { request: ApprovalRequest }),
  event('approval.decided', { requestId: z.string(), decision: Decision, reason: z.string() }),
  event('po.approved', { requestId: z.string() }),
  event('approval.escalated', { requestId: z.string() }),
  event('invoice.hold_placed', { invoiceNumber: z.string(), hold: PaymentHold }),
  event('invoice.hold_released', { invoiceNumber: z.string(), reason: z.string().optional() }),
  event('supplier_hold.placed', { hold: PaymentHold }),
  event('supplier_hold.released', { holdId: z.string(), reason: z.string().optional() }),
  event('payment.replanned', { invoiceNumber: z.string(), plan: PaymentPlan, discountLost: z.string() }),
  event('goods.returned', { goodsReturn: ReturnToVendor, bodyHash: z.string(), debitNotes: z.array(CreditMemo) }),
  event('credit_memo.settled', { debitNoteNumber: z.string(), creditMemo: CreditMemo, bodyHash: z.string() }),
  event('dispute.opened', { disputeId: z.string(), invoiceNumber: z.string(), message: z.string() }),
  event('dispute.replied', { disputeId: z.string(), message: z.string(), creditMemoNumber: z.string().optional(), correctedInvoiceNumber: z.string().optional() }),
  event('dispute.escalated', { disputeId: z.string() }),
]);
