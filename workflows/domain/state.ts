/**
 * The state of one purchase order as the workflow keeps it, and the events that change it.
 * All quantities and amounts are decimal strings. Pure types only.
 */
import type {
  AcknowledgementLine,
  AdvanceShipNotice,
  ChangeOrder,
  CreatePurchaseOrder,
  CreditMemo,
  DocumentLine,
  GoodsReceipt,
  LineKind,
  PaymentTerms,
  SlaProfile,
  ToleranceProfile,
} from './schemas';

export type Role = 'procurement' | 'supplier' | 'warehouse' | 'finance' | 'operator' | 'system';

/** Who did something: the API key's role (and supplier), or the workflow itself for timers. */
export interface Actor {
  role: Role;
  /** A stable, non-secret label of the caller, e.g. "procurement#3f2a" or "supplier:ACME". */
  id: string;
  supplierId?: string;
}

export type PoStatus =
  | 'issued'
  | 'changes_pending'
  | 'acknowledged'
  | 'in_transit'
  | 'partially_received'
  | 'received'
  | 'closed'
  | 'cancelled';

export type InvoiceStatus = 'pending_receipt' | 'exception' | 'approved' | 'scheduled' | 'paid' | 'rejected';

export type ReasonCode =
  | 'QTY_EXCEEDS_RECEIVED'
  /** Service lines: two-way match against the ordered (confirmed) quantity. */
  | 'QTY_EXCEEDS_ORDERED'
  | 'PRICE_VARIANCE'
  | 'TOTAL_MISMATCH'
  | 'CURRENCY_MISMATCH'
  | 'UNKNOWN_LINE';

export type ExceptionCode = 'MATCH_EXCEPTION' | 'PAYMENT_FAILED';

export interface PoLine {
  lineNo: number;
  sku: string;
  description?: string;
  kind: LineKind;
  uom: string;
  /** Ordered quantity (after buyer change orders). */
  quantity: string;
  /** PO unit price (after buyer change orders). */
  unitPrice: string;
  requestedDate?: string;
  /** Quantity the supplier confirmed; equals `quantity` on a plain accept. "0" until acknowledged. */
  confirmedQuantity: string;
  /** Confirmed price when a supplier change was approved, else the PO price. */
  agreedUnitPrice: string;
  promisedDate?: string;
  /** accepted | changed | rejected | backordered from the latest acknowledgement, if any. */
  acknowledgementStatus?: AcknowledgementLine['status'];
  shippedQuantity: string;
  /** Accepted received quantity (rejected quantity excluded). */
  receivedQuantity: string;
  rejectedQuantity: string;
  /** Invoiced quantity on invoices that are not rejected, net of credit memos. */
  invoicedQuantity: string;
  /** Quantity on paid invoices. */
  paidQuantity: string;
  /** Cancelled by a buyer change order or rejected by the supplier: nothing more is expected. */
  cancelled: boolean;
}

export interface MatchReason {
  code: ReasonCode;
  message: string;
  expected: string;
  actual: string;
  tolerance: string;
}

export interface MatchLine {
  lineNo: number;
  status: 'matched' | 'exception' | 'pending_receipt';
  reasons: MatchReason[];
}

export interface MatchResult {
  status: 'matched' | 'exception' | 'pending_receipt';
  /** Header-level reasons (TOTAL_MISMATCH, CURRENCY_MISMATCH). */
  reasons: MatchReason[];
  lines: MatchLine[];
  matchedAt: string;
}

export interface PaymentPlan {
  /** invoiceDate + netDays. */
  dueDate: string;
  /** invoiceDate + discountDays, when the terms have a discount. */
  discountDate?: string;
  /** The instant the payment will run. */
  scheduledFor: string;
  /** Amount to pay (invoice total net of credit memos, minus discount). */
  amount: string;
  discount: string;
}

export interface PaymentState extends PaymentPlan {
  status: 'scheduled' | 'executed' | 'sent' | 'cleared' | 'failed';
  paymentId?: string;
  reference?: string;
  executedAt?: string;
  /** 1 for the first try; a failed payment that finance approves again runs attempt 2, … */
  attempt: number;
}

export interface InvoiceResolutionRecord {
  action: 'approve' | 'reject';
  reason: string;
  by: Actor;
  at: string;
}

export interface InvoiceState {
  invoiceNumber: string;
  invoiceDate: string;
  currency: string;
  lines: DocumentLine[];
  freight: string;
  tax: string;
  total: string;
  /** Hash of the submitted body: the same number with another body is a duplicate. */
  bodyHash: string;
  submittedAt: string;
  submittedBy: Actor;
  status: InvoiceStatus;
  match: MatchResult;
  /** Sum of credit memo totals against this invoice. */
  creditedTotal: string;
  resolution?: InvoiceResolutionRecord;
  /** Set when the invoice was posted to AP (journal GRNI/PPV/Freight/Tax → AP). */
  postedAt?: string;
  payment: PaymentState | null;
}

export interface ExceptionState {
  id: string;
  code: ExceptionCode;
  invoiceNumber?: string;
  status: 'open' | 'approved' | 'rejected' | 'resolved';
  openedAt: string;
  reasons: MatchReason[];
  escalatedAt?: string;
  resolvedAt?: string;
  resolvedBy?: Actor;
  resolution?: string;
}

export interface AcknowledgementRecord {
  type: 'accept' | 'reject' | 'accept_with_changes';
  reason?: string;
  lines?: AcknowledgementLine[];
  at: string;
  by: Actor;
  /** For accept_with_changes: the buyer's decision, once made. */
  decision?: { decision: 'approve' | 'reject'; reason?: string; at: string; by: Actor };
}

export interface AsnRecord extends AdvanceShipNotice {
  bodyHash: string;
  receivedAt: string;
  by: Actor;
}

export interface ReceiptRecord extends Omit<GoodsReceipt, 'receivedAt'> {
  bodyHash: string;
  receivedAt: string;
  by: Actor;
}

export interface CreditMemoRecord extends CreditMemo {
  bodyHash: string;
  receivedAt: string;
  by: Actor;
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  detail?: string;
}

/** Everything that is resolved once at issue time from the supplier record and config. */
export interface PoPolicy {
  paymentTerms: PaymentTerms;
  tolerances: ToleranceProfile;
  slas: SlaProfile;
  captureDiscounts: boolean;
}

export interface PoState {
  poNumber: string;
  supplierId: string;
  currency: string;
  buyer?: string;
  /** Hash of the create body: the same poNumber with another body is a 409. */
  requestHash: string;
  createdAt: string;
  policy: PoPolicy;
  /** True while a (new) supplier acknowledgement is required: after issue, a rejected change, a change order. */
  awaitingAcknowledgement: boolean;
  acknowledgement: AcknowledgementRecord | null;
  /** Supplier-proposed changes waiting for the buyer's decision. */
  pendingChanges: AcknowledgementRecord | null;
  cancelled: { at: string; by: Actor; reason: string } | null;
  closedAt: string | null;
  lines: PoLine[];
  asns: AsnRecord[];
  receipts: ReceiptRecord[];
  invoices: InvoiceState[];
  creditMemos: CreditMemoRecord[];
  exceptions: ExceptionState[];
  changeOrders: (ChangeOrder & { at: string; by: Actor })[];
  timeline: TimelineEntry[];
  /** Timer bookkeeping so a continued-as-new run does not repeat a reminder. */
  reminders: { ackReminderSentAt?: string; ackEscalatedAt?: string; lateDeliveryNotifiedAt?: string };
}

/** What the `status` query and GET /v1/purchase-orders/:poNumber return. */
export interface PoView extends PoState {
  status: PoStatus;
  total: string;
  hasOpenException: boolean;
}

// ---------------------------------------------------------------------------------------------
// Events: what `apply(state, event)` folds. Each carries its time and actor.
// ---------------------------------------------------------------------------------------------

interface EventBase {
  at: string;
  actor: Actor;
}

export type PoEvent =
  | (EventBase & { type: 'po.issued'; po: CreatePurchaseOrder; requestHash: string; policy: PoPolicy })
  | (EventBase & { type: 'po.acknowledged'; acknowledgement: import('./schemas').Acknowledgement })
  | (EventBase & { type: 'po.change_decided'; decision: 'approve' | 'reject'; reason?: string })
  | (EventBase & { type: 'po.changed'; changeOrder: ChangeOrder })
  | (EventBase & { type: 'po.cancelled'; reason: string })
  | (EventBase & { type: 'asn.received'; asn: AdvanceShipNotice; bodyHash: string })
  | (EventBase & { type: 'goods.received'; receipt: GoodsReceipt; bodyHash: string })
  | (EventBase & { type: 'invoice.received'; invoice: import('./schemas').Invoice; bodyHash: string; match: MatchResult })
  | (EventBase & { type: 'invoice.rematched'; invoiceNumber: string; match: MatchResult })
  | (EventBase & { type: 'credit_memo.received'; creditMemo: CreditMemo; bodyHash: string })
  | (EventBase & { type: 'invoice.resolved'; invoiceNumber: string; action: 'approve' | 'reject'; reason: string })
  | (EventBase & { type: 'invoice.posted'; invoiceNumber: string })
  | (EventBase & { type: 'payment.scheduled'; invoiceNumber: string; plan: PaymentPlan })
  | (EventBase & { type: 'payment.executed'; invoiceNumber: string; paymentId: string })
  | (EventBase & { type: 'payment.status_reported'; invoiceNumber: string; status: 'sent' | 'cleared' | 'failed'; reference?: string })
  | (EventBase & { type: 'exception.escalated'; exceptionId: string })
  | (EventBase & { type: 'acknowledgement.reminded' })
  | (EventBase & { type: 'acknowledgement.escalated' })
  | (EventBase & { type: 'delivery.late'; lineNos: number[] })
  | (EventBase & { type: 'po.closed' });

export type PoEventType = PoEvent['type'];

// ---------------------------------------------------------------------------------------------
// Ledger
// ---------------------------------------------------------------------------------------------

export type Account =
  | 'INVENTORY'
  | 'GRNI'
  | 'PPV'
  | 'FREIGHT_IN'
  | 'TAX_RECEIVABLE'
  | 'AP'
  | 'BANK'
  | 'PURCHASE_DISCOUNTS'
  | 'EXPENSE';

export interface JournalLine {
  account: Account;
  /** Exactly one of debit/credit is non-zero; both are decimal strings with 2 decimals. */
  debit: string;
  credit: string;
  memo?: string;
}

export interface JournalEntry {
  description: string;
  currency: string;
  lines: JournalLine[];
}

export interface InventoryMovement {
  sku: string;
  location: string;
  /** Signed decimal string: + for receipts. */
  quantity: string;
  lineNo: number;
}
