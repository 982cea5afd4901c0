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
import { Decision, ExceptionCode, PoStatus, ReportedPaymentStatus } from './enums';
import { Acknowledgement, AdvanceShipNotice, ChangeOrder, CreatePurchaseOrder, CreditMemo, GoodsReceipt } from './commands';
import { InventoryMovement, MatchResult, PaymentPlan } from './views';

/** Every outbox event type, defined once (docs/events.md, "Catalog"). */
export const EventType = z
  .enum([
    'po.issued',
    'po.acknowledged',
    'po.rejected',
    'po.changes_proposed',
    'po.changes_approved',
    'po.changes_rejected',
    'po.changed',
    'po.cancelled',
    'asn.received',
    'goods.received',
    'inventory.adjusted',
    'invoice.matched',
    'invoice.pending_receipt',
    'invoice.exception',
    'credit_memo.received',
    'invoice.approved',
    'invoice.rejected',
    'payment.scheduled',
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
const paymentReported = PoEventBase.extend({
  invoiceNumber: z.string(),
  paymentId: z.string().optional(),
  // The reported payment status takes the place of the PO status in these events.
  status: ReportedPaymentStatus.meta({ description: 'The payment status as reported (in these events it replaces the PO status).' }),
  reference: z.string().optional(),
});

export interface CatalogEntry {
  type: EventType;
  version: 1;
  summary: string;
  payload: z.ZodObject;
}

const entry = (type: EventType, summary: string, payload: z.ZodObject): CatalogEntry => ({ type, version: 1, summary, payload });

/** Every event type with its payload schema, in the order a PO lives through them. */
export const EVENT_CATALOG: readonly CatalogEntry[] = [
  entry('po.issued', 'Procurement issued the PO.', PoEventBase.extend({ po: CreatePurchaseOrder })),
  entry('po.acknowledged', 'The supplier accepted the PO as issued.', acknowledgement),
  entry('po.rejected', 'The supplier rejected the PO; it is cancelled.', acknowledgement),
  entry('po.changes_proposed', 'The supplier accepted with changes the buyer must approve or reject.', acknowledgement),
  entry('po.changes_approved', "The buyer approved the supplier's proposed changes.", changeDecision),
  entry('po.changes_rejected', "The buyer rejected the supplier's proposed changes; the PO waits for a new acknowledgement.", changeDecision),
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
  entry('invoice.matched', 'An invoice matched the PO and receipts (three-way) and is approved for payment.', invoiceMatch),
  entry('invoice.pending_receipt', 'An invoice arrived before the goods; it is held and re-matched on receipt.', invoiceMatch),
  entry('invoice.exception', 'An invoice did not match; finance must approve or reject it.', invoiceMatch),
  entry('credit_memo.received', 'The supplier sent a credit memo against an invoice.', PoEventBase.extend({ creditMemo: CreditMemo })),
  entry('invoice.approved', 'Finance approved a held invoice.', invoiceResolution),
  entry('invoice.rejected', 'Finance rejected an invoice.', invoiceResolution),
  entry(
    'payment.scheduled',
    'An approved invoice was posted to AP and its payment scheduled (when no other event carried it).',
    PoEventBase.extend({ invoiceNumber: z.string(), payment: PaymentPlan }),
  ),
  entry(
    'payment.sent',
    'AP executed a payment (with `amount` and `discount`), or finance reported it sent (with `status` and `reference`).',
    paymentReported.extend({
      status: z.union([z.literal('sent'), PoStatus]).meta({ description: '`sent` when reported by finance; the PO status when AP executed the payment.' }),
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
