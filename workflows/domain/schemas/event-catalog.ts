/**
 * The event catalog (docs/events.md): every business event the outbox publishes, with its payload
 * as a versioned zod schema. The AsyncAPI document (`/v1/asyncapi.json`), the subscription filters
 * and the docs' list are generated from or checked against this one list.
 *
 * A payload is the `data` of a delivery: `{"id", "type", "timestamp", "poNumber", "data"}`. Every
 * payload carries `version`; a field may be added within a version, but removing, renaming or
 * retyping one means a new version published beside the old one.
 */
import { z } from 'zod';
import { ApprovalSubject, Decision, ExceptionCode, PoStatus, ReportedPaymentStatus } from './enums';
import { Acknowledgement, AdvanceShipNotice, ChangeOrder, CreatePurchaseOrder, CreditMemo, GoodsReceipt, Invoice } from './commands';
import { ApprovalRequest, PaymentHold, ReturnToVendor } from './finance';
import { InventoryMovement, MatchReason, MatchResult, PaymentPlan } from './views';

/** Every outbox event type, defined once (docs/events.md, "Catalog"). */
export const EventType = z
  .enum([
    'po.issued',
    'po.approval_recorded',
    'po.approval_rejected',
    'po.approved',
    'approval.overdue',
    'po.acknowledged',
    'po.rejected',
    'po.changes_proposed',
    'po.changes_approved',
    'po.changes_rejected',
    'po.change_pending_approval',
    'po.changed',
    'po.cancelled',
    'asn.received',
    'goods.received',
    'inventory.adjusted',
    'goods.returned',
    'invoice.matched',
    'invoice.pending_receipt',
    'invoice.exception',
    'invoice.disputed',
    'dispute.answered',
    'dispute.overdue',
    'credit_memo.received',
    'debit_note.settled',
    'invoice.approved',
    'invoice.rejected',
    'payment.scheduled',
    'invoice.payment_held',
    'invoice.payment_released',
    'supplier.payment_held',
    'supplier.payment_released',
    'payment.sent',
    'payment.cleared',
    'payment.failed',
    'acknowledgement.reminder',
    'acknowledgement.overdue',
    'delivery.late',
    'exception.overdue',
    'po.closed',
  ])
  .meta({ id: 'EventType' });
export type EventType = z.infer<typeof EventType>;

const Timestamp = z.string().meta({ description: 'ISO 8601 instant.', example: '2026-11-27T09:30:00.000Z' });
const Decimal = z.string().meta({ description: 'Decimal string.', example: '120.00' });
const Sla = z.string().meta({ description: 'The SLA that ran out, as a duration such as "48h".', example: '48h' });

/** What every payload of a PO event starts with. */
const PoEventBase = z.object({
  version: z.literal(1),
  poNumber: z.string(),
  status: PoStatus.meta({ description: 'The PO status after this event.' }),
  payment: PaymentPlan.optional().meta({
    description: 'Present when this event also posted an approved invoice to AP and scheduled its payment.',
  }),
});

const invoiceMatch = PoEventBase.extend({
  invoiceNumber: z.string(),
  /** The invoice total as submitted; absent on a re-match. */
  total: Decimal.optional(),
  match: MatchResult,
  rematch: z.literal(true).optional().meta({ description: 'True when a held invoice was matched again (after a receipt, credit memo or change).' }),
});
const acknowledgement = PoEventBase.extend({ acknowledgement: Acknowledgement });
const changeDecision = PoEventBase.extend({ decision: Decision, reason: z.string().optional() });
const invoiceResolution = PoEventBase.extend({ invoiceNumber: z.string(), action: Decision, reason: z.string(), by: z.string() });
/** `paymentStatus`: the invoice's `payment.status` in the PO view after the event, on every `payment.*` event. */
const paymentStatusOf = <T extends string>(...statuses: [T, ...T[]]) =>
  z.enum(statuses).meta({ description: "The invoice's payment status after this event, as `invoices[].payment.status` in the PO view." });
const paymentReported = PoEventBase.extend({
  invoiceNumber: z.string(),
  paymentId: z.string().optional(),
  // The reported payment status takes the place of the PO status in these events (kept in version 1; `paymentStatus` says it unambiguously).
  status: ReportedPaymentStatus.meta({ description: 'The payment status as reported (in these events it replaces the PO status; read `paymentStatus`).' }),
  paymentStatus: paymentStatusOf('sent', 'cleared', 'failed'),
  reference: z.string().optional(),
});

// Finance controls (docs/domain.md, "Approval tiers", "Payment holds", "Returns to vendor", "Disputes").
const approvalDecision = PoEventBase.extend({
  requestId: z.string(),
  subject: ApprovalSubject,
  decision: Decision,
  reason: z.string(),
  approvals: z.number().int().meta({ description: 'Approvals given so far, this decision included.' }),
  requiredApprovals: z.number().int(),
  total: Decimal.meta({ description: 'The ordered value being approved.' }),
});
const replanned = z.object({
  invoiceNumber: z.string(),
  amount: Decimal,
  discountLost: Decimal.meta({ description: 'The discount given up: the payment date and discount date passed during the hold.' }),
});
const disputeBase = PoEventBase.extend({ disputeId: z.string(), invoiceNumber: z.string() });

export interface CatalogEntry {
  type: EventType;
  version: 1;
  summary: string;
  payload: z.ZodObject;
}

const entry = (type: EventType, summary: string, payload: z.ZodObject): CatalogEntry => ({ type, version: 1, summary, payload });

/** Every event type with its payload schema, in the order a PO lives through them. */
export const EVENT_CATALOG: readonly CatalogEntry[] = [
  entry(
    'po.issued',
    'Procurement issued the PO; with `approval`, it waits for approvers before the supplier hears of it.',
    PoEventBase.extend({
      po: CreatePurchaseOrder,
      approval: z
        .object({ status: z.literal('pending'), requiredApprovals: z.number().int() })
        .optional()
        .meta({ description: 'Present when the PO reached an approval tier: it is `pending_approval` until `po.approved`.' }),
    }),
  ),
  entry('po.approval_recorded', 'An approver approved; the request needs more approvals.', approvalDecision.extend({ decision: z.literal('approve') })),
  entry(
    'po.approval_rejected',
    'An approver rejected: a PO never sent is cancelled; a held change order is dropped.',
    approvalDecision.extend({ decision: z.literal('reject') }),
  ),
  entry(
    'po.approved',
    'The last approval needed: the PO goes to the supplier, or the held change order (`changeOrder`) is applied and sent.',
    approvalDecision.extend({ decision: z.literal('approve'), changeOrder: ChangeOrder.optional() }),
  ),
  entry(
    'approval.overdue',
    'An approval request stayed undecided past APPROVAL_SLA; escalated once.',
    PoEventBase.extend({
      requestId: z.string(),
      subject: ApprovalSubject,
      total: Decimal,
      currency: z.string(),
      requiredApprovals: z.number().int(),
      approvals: z.number().int(),
      missingApprovals: z.number().int(),
      requestedAt: Timestamp,
      requestedBy: z.string(),
      buyer: z.string().optional(),
      sla: Sla,
    }),
  ),
  entry('po.acknowledged', 'The supplier accepted the PO as issued.', acknowledgement),
  entry('po.rejected', 'The supplier rejected the PO; it is cancelled.', acknowledgement),
  entry('po.changes_proposed', 'The supplier accepted with changes the buyer must approve or reject.', acknowledgement),
  entry('po.changes_approved', "The buyer approved the supplier's proposed changes.", changeDecision),
  entry('po.changes_rejected', "The buyer rejected the supplier's proposed changes; the PO waits for a new acknowledgement.", changeDecision),
  entry(
    'po.change_pending_approval',
    'A change order raised the PO to an approval tier: it waits, unapplied, for approvers.',
    PoEventBase.extend({ approvalRequest: ApprovalRequest, previousTotal: Decimal, increase: Decimal }),
  ),
  entry('po.changed', 'The buyer changed the PO (a change order).', PoEventBase.extend({ changeOrder: ChangeOrder })),
  entry('po.cancelled', 'The buyer cancelled the PO.', PoEventBase.extend({ reason: z.string() })),
  entry('asn.received', 'The supplier sent an advance ship notice.', PoEventBase.extend({ asn: AdvanceShipNotice })),
  entry(
    'goods.received',
    'The warehouse posted a goods receipt; `inventory` lists the stock it moved.',
    PoEventBase.extend({ receipt: GoodsReceipt, inventory: z.array(InventoryMovement) }),
  ),
  entry(
    'inventory.adjusted',
    'Stock moved (for inventory subscribers): the same movements as the event in `cause`, from the same transaction.',
    z.object({ version: z.literal(1), poNumber: z.string(), cause: EventType, movements: z.array(InventoryMovement) }),
  ),
  entry(
    'goods.returned',
    'The warehouse returned goods to the supplier (RMA); `inventory` lists the stock it moved out, `debitNotes` those raised against posted invoices.',
    PoEventBase.extend({ goodsReturn: ReturnToVendor, inventory: z.array(InventoryMovement), debitNotes: z.array(CreditMemo) }),
  ),
  entry('invoice.matched', 'An invoice matched the PO and receipts (three-way) and is approved for payment.', invoiceMatch),
  entry('invoice.pending_receipt', 'An invoice arrived before the goods; it is held and re-matched on receipt.', invoiceMatch),
  entry('invoice.exception', 'An invoice did not match; finance must approve or reject it.', invoiceMatch),
  entry(
    'invoice.disputed',
    'Finance disputed an invoice in exception with the supplier.',
    disputeBase.extend({
      message: z.string(),
      respondBy: Timestamp,
      exception: z.object({ id: z.string(), code: ExceptionCode, reasons: z.array(MatchReason) }),
    }),
  ),
  entry(
    'dispute.answered',
    'The supplier answered a dispute: a message, with a credit memo or a corrected invoice (then matched as `match`) when it has one.',
    disputeBase.extend({ message: z.string(), by: z.string(), creditMemo: CreditMemo.optional(), correctedInvoice: Invoice.optional(), match: MatchResult.optional() }),
  ),
  entry('dispute.overdue', 'The supplier left a dispute unanswered past DISPUTE_SLA; escalated once.', disputeBase.extend({ openedAt: Timestamp, sla: Sla })),
  entry('credit_memo.received', 'The supplier sent a credit memo against an invoice.', PoEventBase.extend({ creditMemo: CreditMemo })),
  entry(
    'debit_note.settled',
    "The supplier's credit memo confirmed a debit note raised by a return; it credits nothing twice.",
    PoEventBase.extend({ debitNoteNumber: z.string(), creditMemo: CreditMemo, bodyHash: z.string() }),
  ),
  entry('invoice.approved', 'Finance approved a held invoice.', invoiceResolution),
  entry('invoice.rejected', 'Finance rejected an invoice.', invoiceResolution),
  entry(
    'payment.scheduled',
    'An approved invoice was posted to AP and its payment scheduled (when no other event carried it).',
    PoEventBase.extend({ invoiceNumber: z.string(), payment: PaymentPlan, paymentStatus: paymentStatusOf('scheduled') }),
  ),
  entry('invoice.payment_held', "Finance held an invoice's payment: it is never paid while held.", PoEventBase.extend({ invoiceNumber: z.string(), hold: PaymentHold })),
  entry(
    'invoice.payment_released',
    "An invoice's hold was released (by finance, or its release date); `replanned` lists payments now due whose discount was lost.",
    PoEventBase.extend({ invoiceNumber: z.string(), releasedHold: PaymentHold, reason: z.string().optional(), replanned: z.array(replanned) }),
  ),
  entry('supplier.payment_held', "Finance held the supplier's payments: no invoice of this PO is paid while held.", PoEventBase.extend({ supplierId: z.string(), hold: PaymentHold })),
  entry(
    'supplier.payment_released',
    "The supplier's hold was released for this PO; `replanned` as for `invoice.payment_released`.",
    PoEventBase.extend({ supplierId: z.string(), releasedHold: PaymentHold, replanned: z.array(replanned) }),
  ),
  entry(
    'payment.sent',
    'AP executed a payment (with `amount` and `discount`), or finance reported it sent (with `status` and `reference`).',
    paymentReported.extend({
      status: z.union([z.literal('sent'), PoStatus]).meta({ description: '`sent` when reported by finance; the PO status when AP executed the payment.' }),
      paymentStatus: paymentStatusOf('executed', 'sent'),
      paymentId: z.string(),
      amount: Decimal.optional(),
      discount: Decimal.optional(),
    }),
  ),
  entry('payment.cleared', 'The bank cleared the payment.', paymentReported),
  entry('payment.failed', 'The payment failed; a PAYMENT_FAILED exception is open for finance.', paymentReported),
  entry('acknowledgement.reminder', 'The supplier was reminded to acknowledge the PO.', PoEventBase),
  entry(
    'acknowledgement.overdue',
    'The supplier did not acknowledge within the SLA; escalated to the buyer.',
    PoEventBase.extend({ buyer: z.string().optional(), issuedAt: Timestamp, sla: Sla }),
  ),
  entry(
    'delivery.late',
    'Goods lines are past their promised (or requested) date plus the grace period.',
    PoEventBase.extend({ buyer: z.string().optional(), lineNos: z.array(z.number().int()) }),
  ),
  entry(
    'exception.overdue',
    'An exception stayed open past its SLA.',
    PoEventBase.extend({ exceptionId: z.string(), invoiceNumber: z.string().optional(), code: ExceptionCode, openedAt: Timestamp, sla: Sla }),
  ),
  entry('po.closed', 'The PO is complete: received, invoiced and paid (or short-closed).', PoEventBase),
];

/** The catalog entry of a type (version 1 is the only version so far). */
export function catalogEntry(type: string, version = 1): CatalogEntry | undefined {
  return EVENT_CATALOG.find((candidate) => candidate.type === type && candidate.version === version);
}

/** The envelope every delivery carries, webhook body and NATS message alike. */
export function eventEnvelope(entryOf: CatalogEntry) {
  return z.object({
    id: z.string().meta({ description: 'The outbox event id: `webhook-id` and `Nats-Msg-Id`; deduplicate on it.' }),
    type: z.literal(entryOf.type),
    timestamp: Timestamp.meta({ description: 'When the event happened.' }),
    poNumber: z.string(),
    data: entryOf.payload,
  });
}

// ---------------------------------------------------------------------------------------------
// Subscription filters: exact types, a prefix such as "invoice.*", or "*" for everything.
// ---------------------------------------------------------------------------------------------

/** True when an event of `type` is wanted by a subscription with these filters. */
export function matchesEventFilter(filters: readonly string[], type: string): boolean {
  return filters.some((filter) => filter === '*' || filter === type || (filter.endsWith('.*') && type.startsWith(filter.slice(0, -1))));
}

/** One entry of a subscription's event-type filter; it must name at least one catalog type. */
export const EventTypeFilter = z
  .string()
  .refine((filter) => EventType.options.some((type) => matchesEventFilter([filter], type)), {
    message: `must be an event type (${EventType.options[0]}, ...), a prefix such as "invoice.*", or "*"`,
  })
  .meta({ description: 'An event type, a prefix such as `invoice.*`, or `*` for every event.', example: 'invoice.*' });
