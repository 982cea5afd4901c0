/**
 * The activities a purchase order workflow calls, as the workflow sees them: their inputs and
 * results. The workflow owns this contract (it imports nothing from activities/); `activities/`
 * implements it with the adapters behind its ports.
 */
import type * as wire from '../domain/schemas';
import type { PaymentTerms } from '../domain/schemas';
import type { EventType } from '../domain/schemas/event-catalog';
import type { Actor, DocumentRef, InventoryMovement, InvoiceState, JournalEntry, PoEvent, PoPolicy, PoView, SupplierNotificationType } from '../domain/state';

/** What every record of a business event carries, whichever way the PO's state reaches the ERP. */
export interface BusinessEventBase {
  /** `${workflowId}/${eventType}/${documentKey}/${eventNumber}`: derived from the workflow and the business document. */
  idempotencyKey: string;
  /** Outbox event id (unique); the workflow derives it deterministically (uuid4 from the workflow's PRNG). */
  eventId: string;
  workflowId: string;
  poNumber: string;
  supplierId: string;
  /** Outbox type: po.issued, po.acknowledged, asn.received, goods.received, invoice.matched, payment.sent, po.closed … (the event catalog's). */
  type: EventType;
  at: string;
  actor: Actor;
  /** The outbox payload, `{ version: 1, … }`. */
  payload: Record<string, unknown>;
  /** The business document this event is about, for the ERP's document tables. */
  document?: DocumentRef;
  journal?: JournalEntry;
  inventory?: InventoryMovement[];
}

/**
 * One business event, written in ONE transaction: the documents, the journal, inventory, the
 * PO read model and the outbox row. `idempotencyKey` is unique in the ERP: a retried activity
 * whose first attempt committed changes nothing and reports `applied: false`.
 *
 * This first form carries the whole PO after the event; POs started before the compact form
 * (`EventRecord`) still send it.
 */
export interface BusinessEventRecord extends BusinessEventBase {
  /** The PO as it is after this event: the ERP persists documents from it and refreshes the read model. */
  po: PoView;
}

/**
 * The compact form: the PO's own events instead of the PO. The ERP folds them onto the state it
 * holds (the same pure `apply` the workflow uses), checks it is in step (`sequence`), and writes
 * what changed, the supplier notifications included, in the same one transaction.
 */
export interface EventRecord extends BusinessEventBase {
  events: PoEvent[];
  /** How many events the PO has after these (its timeline length): the ERP's snapshot must match. */
  sequence: number;
  /** What the supplier is told; delivered after the transaction commits, never lost with it. */
  notifications: SupplierNotification[];
}

/** Outbound notification to a supplier's portal or EDI gateway. */
export interface SupplierNotification {
  /** Unique id; receivers deduplicate on it (sent as the `webhook-id` header). */
  id: string;
  supplierId: string;
  poNumber: string;
  type: SupplierNotificationType;
  at: string;
  data: Record<string, unknown>;
}

export interface PaymentExecution {
  /** Unique per invoice and attempt; the AP tool must not pay twice for the same key. */
  idempotencyKey: string;
  poNumber: string;
  supplierId: string;
  invoiceNumber: string;
  currency: string;
  amount: string;
  discount: string;
  attempt: number;
}

/**
 * Placeholder the workflow puts where the payment id goes in a payment's record; the `payInvoice`
 * activity replaces it with the id AP returned before it records the event.
 */
export const PAYMENT_ID_FROM_AP = '<payment-id-from-ap>';

/** A PO as its creator sent it: what a new workflow is started with, and what its issue records. */
export interface NewPurchaseOrder {
  po: wire.CreatePurchaseOrder;
  requestHash: string;
  actor: Actor;
  issuedAt: string;
}

/**
 * A new PO to issue in one activity: the supplier's policy is resolved and the issue recorded
 * with it, in one transaction, as the workflow will then take it (docs/adr/0110-issue-in-one-activity.md).
 * The stamp carries the workflow's ids and time, so the activity builds the very record the
 * workflow would (`eventRecordOf`).
 */
export interface PurchaseOrderIssue {
  issue: NewPurchaseOrder;
  workflowId: string;
  stamp: RecordStamp;
}

/** The ids and the time a record is stamped with, drawn by the workflow (uuid4, workflow time). */
export interface RecordStamp {
  /** The outbox event's id. */
  eventId: string;
  /** One per supplier notice, in order. */
  notificationIds: string[];
  /** Now, in workflow time: the notifications' time, and the record's when its events carry none. */
  at: string;
}

/** What a recorded event answers: whether this attempt wrote it (false: an earlier attempt did). */
export interface Recorded {
  applied: boolean;
}

export interface PurchaseOrderActivities {
  /** Resolved once at issue time; the PO keeps it, so later supplier edits don't change open POs. */
  loadSupplierPolicy(input: { supplierId: string; poPaymentTerms?: PaymentTerms }): Promise<PoPolicy>;
  /** One business event in one ERP transaction; idempotent on its key. */
  recordBusinessEvent(record: BusinessEventRecord): Promise<{ applied: boolean }>;
  notifySupplier(notification: SupplierNotification): Promise<{ delivered: boolean }>;
  /** Registers an approved invoice with AP, then records its posting and payment date. */
  postApprovedInvoice(input: { invoice: InvoiceState & { poNumber: string; supplierId: string }; record: BusinessEventRecord }): Promise<{ apReference: string; applied: boolean }>;
  /** Executes a due payment through AP (never twice for a key), then records it with AP's payment id. */
  payInvoice(input: { payment: PaymentExecution; record: BusinessEventRecord }): Promise<{ paymentId: string }>;

  // The compact forms (local activities; docs/adr/0080-compact-history.md).
  /** One business event from the PO's own events, supplier notifications included, in one transaction. */
  recordEvent(record: EventRecord): Promise<Recorded>;
  /** Registers an approved invoice with AP, then records the event that posted it. */
  postInvoiceToAp(input: { invoice: InvoiceState & { poNumber: string; supplierId: string }; record: EventRecord }): Promise<Recorded>;
  /** Executes a due payment through AP, then records it with AP's payment id in place of the placeholder. */
  payInvoiceThroughAp(input: { payment: PaymentExecution; record: EventRecord }): Promise<{ paymentId: string }>;
  /**
   * Resolves the supplier's policy and records the issued PO under it, in one transaction; answers
   * the policy the issue was recorded with (an earlier attempt's, if one committed it).
   */
  issuePurchaseOrder(input: PurchaseOrderIssue): Promise<{ policy: PoPolicy }>;
}
