/**
 * The state of one purchase order as the workflow keeps it, and the events that change it. The
 * shapes are inferred from the zod view schemas (`./schemas/views.ts`), imported as types only:
 * no zod code reaches the workflow bundle. All quantities and amounts are decimal strings.
 */
import type { z } from 'zod';
import type { SupplierNotificationType } from './schemas/enums';
import type { EventType } from './schemas/event-catalog';
import type * as events from './schemas/events';
import type * as views from './schemas/views';

/** The closed lists of the business (PoStatus, InvoiceStatus, ReasonCode, Role, …), as types. */
export type * from './schemas/enums';

export type Actor = z.infer<typeof views.Actor>;
export type PoLine = z.infer<typeof views.PoLineView>;
export type MatchReason = z.infer<typeof views.MatchReason>;
export type MatchLine = z.infer<typeof views.MatchLine>;
export type MatchResult = z.infer<typeof views.MatchResult>;
export type PaymentPlan = z.infer<typeof views.PaymentPlan>;
export type PaymentState = z.infer<typeof views.PaymentView>;
export type InvoiceResolutionRecord = z.infer<typeof views.InvoiceResolutionRecord>;
export type InvoiceState = z.infer<typeof views.InvoiceView>;
export type ExceptionState = z.infer<typeof views.ExceptionView>;
export type AcknowledgementRecord = z.infer<typeof views.AcknowledgementRecord>;
export type AsnRecord = z.infer<typeof views.AsnRecord>;
export type ReceiptRecord = z.infer<typeof views.ReceiptRecord>;
export type CreditMemoRecord = z.infer<typeof views.CreditMemoRecord>;
export type TimelineEntry = z.infer<typeof views.TimelineEntry>;
export type PoPolicy = z.infer<typeof views.PoPolicy>;
export type PoState = z.infer<typeof views.PoStateView>;
/** What the `status` query and GET /v1/purchase-orders/:poNumber return. */
export type PoView = z.infer<typeof views.PurchaseOrderView>;
export type PurchaseOrderSummary = z.infer<typeof views.PurchaseOrderSummary>;
export type InvoiceOutcome = z.infer<typeof views.InvoiceOutcome>;
export type Supplier = z.infer<typeof views.Supplier>;
export type JournalLine = z.infer<typeof views.JournalLine>;
export type JournalEntry = z.infer<typeof views.JournalEntry>;
export type InventoryMovement = z.infer<typeof views.InventoryMovement>;
export type { ApprovalRequest, ApprovalTier, Dispute, PaymentHold, ReturnRecord } from './schemas/finance';

// ---------------------------------------------------------------------------------------------
// Events: what `apply(state, event)` folds. Each carries its time and actor.
// ---------------------------------------------------------------------------------------------

/** One event of the PO (the list: `./schemas/events.ts`). */
export type PoEvent = z.infer<typeof events.PoEvent>;

export type PoEventType = PoEvent['type'];
export type PoEventOf<T extends PoEventType> = Extract<PoEvent, { type: T }>;

// ---------------------------------------------------------------------------------------------
// Business events: what the ERP records in one transaction and the outbox publishes.
// ---------------------------------------------------------------------------------------------

/** The business document an event is about, for the ERP's document tables. */
export type DocumentRef =
  | { kind: 'asn'; asnNumber: string }
  | { kind: 'receipt'; receiptNumber: string }
  | { kind: 'invoice'; invoiceNumber: string }
  | { kind: 'credit_memo'; creditMemoNumber: string }
  | { kind: 'payment'; invoiceNumber: string };

/**
 * One business event: the state events it folds into the PO, and what the ERP records with it in
 * ONE transaction (document, journal, inventory, outbox row) under an idempotency key made of the
 * workflow, `type`, `documentKey` and the PO's event count.
 */
export interface BusinessEvent {
  /** Published name (outbox type): po.issued, invoice.matched, payment.sent, …; one of the event catalog's. */
  type: EventType;
  documentKey: string;
  events: PoEvent[];
  payload?: Record<string, unknown>;
  document?: DocumentRef;
  journal?: JournalEntry | null;
  inventory?: InventoryMovement[];
}

/** Something the supplier is told after an event (a signed webhook, or recorded only). */
export interface SupplierNotice {
  type: SupplierNotificationType;
  data: Record<string, unknown>;
}
