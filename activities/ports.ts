/**
 * The systems around the orchestrator, as interfaces. Activities and the API depend on these; the
 * reference adapters (knex on PostgreSQL, signed webhooks, built-in/HTTP AP) implement them, and a
 * real ERP (NetSuite, SAP, Odoo, Dynamics) can be plugged in beside them.
 */
import type { Supplier, SupplierInput } from '../workflows/domain/schemas';
import type {
  Actor,
  InventoryMovement,
  InvoiceState,
  JournalEntry,
  PoStatus,
  PoView,
} from '../workflows/domain/state';

/** Supplier record including what only the adapters may see. */
export interface SupplierRecord extends Supplier {
  webhookSecret: string | null;
}

/**
 * One business event, written in ONE transaction: the documents, the journal, inventory, the
 * PO read model and the outbox row. `idempotencyKey` is unique in the ERP: a retried activity
 * whose first attempt committed changes nothing and reports `applied: false`.
 */
export interface BusinessEventRecord {
  /** `${workflowId}/${eventType}/${documentKey}` — derived from the workflow and the business document. */
  idempotencyKey: string;
  /** Outbox event id (unique); the workflow derives it deterministically (uuid4 from the workflow's PRNG). */
  eventId: string;
  workflowId: string;
  poNumber: string;
  supplierId: string;
  /** Outbox type: po.issued, po.acknowledged, asn.received, goods.received, inventory.adjusted, invoice.matched, invoice.exception, payment.sent, po.closed … */
  type: string;
  at: string;
  actor: Actor;
  /** The outbox payload, `{ version: 1, … }`. */
  payload: Record<string, unknown>;
  /** The PO as it is after this event: the ERP persists documents from it and refreshes the read model. */
  po: PoView;
  /** The business document this event is about, for the ERP's document tables. */
  document?:
    | { kind: 'asn'; asnNumber: string }
    | { kind: 'receipt'; receiptNumber: string }
    | { kind: 'invoice'; invoiceNumber: string }
    | { kind: 'credit_memo'; creditMemoNumber: string }
    | { kind: 'payment'; invoiceNumber: string };
  journal?: JournalEntry;
  inventory?: InventoryMovement[];
}

export type DuplicateInvoiceCheck =
  | { kind: 'none' }
  | { kind: 'same'; poNumber: string }
  | { kind: 'conflict'; poNumber: string };

export interface PurchaseOrderSummary {
  poNumber: string;
  supplierId: string;
  currency: string;
  status: PoStatus;
  total: string;
  hasOpenException: boolean;
  buyer: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PurchaseOrderListFilter {
  status?: PoStatus;
  supplierId?: string;
  hasException?: boolean;
  limit: number;
  cursor?: string;
}

export interface ErpPort {
  upsertSupplier(supplierId: string, input: SupplierInput): Promise<{ supplier: Supplier; created: boolean }>;
  getSupplier(supplierId: string): Promise<SupplierRecord | undefined>;
  /**
   * Records the PO in the read model as soon as its workflow starts, so that listing shows it at
   * once (idempotent on poNumber).
   */
  recordBusinessEvent(record: BusinessEventRecord): Promise<{ applied: boolean }>;
  /** Invoices are unique per supplier and normalised invoice number, across all POs. */
  checkDuplicateInvoice(supplierId: string, invoiceNumber: string, bodyHash: string): Promise<DuplicateInvoiceCheck>;
  listPurchaseOrders(filter: PurchaseOrderListFilter): Promise<{ items: PurchaseOrderSummary[]; nextCursor: string | null }>;
  /** The PO's full state as of its latest recorded event (readable after workflow retention). */
  getPurchaseOrderSnapshot(poNumber: string): Promise<PoView | undefined>;
  /** Sum of debits minus credits per account, optionally for one PO: for invariants and ops. */
  accountBalances(poNumber?: string): Promise<Record<string, string>>;
  ping(): Promise<void>;
}

/** Outbound notification to a supplier's portal or EDI gateway. */
export interface SupplierNotification {
  /** Unique id; receivers deduplicate on it (sent as the `webhook-id` header). */
  id: string;
  supplierId: string;
  poNumber: string;
  type: 'po.issued' | 'po.changed' | 'po.change_decision' | 'po.cancelled' | 'acknowledgement.reminder' | 'receipt.discrepancy' | 'invoice.exception' | 'invoice.rejected' | 'payment.status';
  at: string;
  data: Record<string, unknown>;
}

export interface SupplierPortalPort {
  /** Sends (or, with no webhook configured, records) the notification; throws to be retried. */
  notify(notification: SupplierNotification): Promise<{ delivered: boolean; status?: number }>;
}

/** Internal escalations to buyers and AP clerks (SLA breaches), recorded and published. */
export interface BuyerNotification {
  id: string;
  poNumber: string;
  type: 'acknowledgement.overdue' | 'delivery.late' | 'exception.overdue';
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

export interface AccountsPayablePort {
  /** Registers an approved invoice with AP; returns AP's reference. Idempotent per invoice. */
  submitApprovedInvoice(invoice: InvoiceState & { poNumber: string; supplierId: string }): Promise<{ apReference: string }>;
  /** Executes a payment; returns the payment id. Idempotent per `idempotencyKey`. */
  executePayment(payment: PaymentExecution): Promise<{ paymentId: string }>;
}

export interface EventOutboxPort {
  /** Relays unpublished outbox rows to subscribers; returns how many were published. */
  relayPending(limit?: number): Promise<number>;
}

export interface Ports {
  erp: ErpPort;
  portal: SupplierPortalPort;
  ap: AccountsPayablePort;
  outbox: EventOutboxPort;
}

/**
 * Placeholder the workflow puts where the payment id goes in a payment's record; the `payInvoice`
 * activity replaces it with the id AP returned before it records the event.
 */
export const PAYMENT_ID_FROM_AP = '<payment-id-from-ap>';
