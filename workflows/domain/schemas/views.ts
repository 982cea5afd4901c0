/**
 * What the API answers: the full state of a purchase order (the workflow's `status` query), its
 * summary in listings, an invoice's outcome, a supplier. The TypeScript types of the workflow's
 * state are inferred from these schemas (`workflows/domain/state.ts`), and the OpenAPI document
 * describes its responses with them, so the state, the answer and the documentation cannot drift.
 */
import { z } from 'zod';
import { EdiProfile, PurchaseOrderEdi } from './edi';
import {
  Account,
  AcknowledgementType,
  CreditKind,
  Decision,
  ExceptionCode,
  ExceptionStatus,
  InvoiceStatus,
  LineKind,
  MatchStatus,
  PaymentStatus,
  PoStatus,
  ReasonCode,
} from './enums';
import { AcknowledgementLine, AdvanceShipNotice, ChangeOrder, CreditMemo, DocumentLine, GoodsReceipt, PaymentTerms, SupplierSlas, Tolerances } from './commands';
import { Actor } from './actor';
import { ApprovalRequest, ApprovalTier, CreditSettlement, Dispute, PaymentHold, ReturnRecord } from './finance';

const Decimal = z.string().meta({ description: 'Decimal string.', example: '120.00' });
const Timestamp = z.string().meta({ description: 'ISO 8601 instant.', example: '2026-11-27T09:30:00.000Z' });
const CalendarDate = z.string().meta({ description: 'YYYY-MM-DD.', example: '2026-12-01' });

export { Actor };

export const PoLineView = z
  .object({
    lineNo: z.number().int(),
    sku: z.string(),
    description: z.string().optional(),
    kind: LineKind,
    uom: z.string(),
    /** Ordered quantity (after buyer change orders). */
    quantity: Decimal,
    /** PO unit price (after buyer change orders). */
    unitPrice: Decimal,
    requestedDate: CalendarDate.optional(),
    /** Quantity the supplier confirmed; equals `quantity` on a plain accept. "0" until acknowledged. */
    confirmedQuantity: Decimal,
    /** Confirmed price when a supplier change was approved, else the PO price. */
    agreedUnitPrice: Decimal,
    promisedDate: CalendarDate.optional(),
    /** accepted | changed | rejected | backordered from the latest acknowledgement, if any. */
    acknowledgementStatus: AcknowledgementLine.shape.status.optional(),
    shippedQuantity: Decimal,
    /** Accepted received quantity (rejected quantity excluded). */
    receivedQuantity: Decimal,
    rejectedQuantity: Decimal,
    /** Invoiced quantity on invoices that are not rejected, net of credit memos. */
    invoicedQuantity: Decimal,
    /** Quantity on paid invoices. */
    paidQuantity: Decimal,
    /** Accepted goods sent back to the supplier (already taken out of `receivedQuantity`). */
    returnedQuantity: Decimal,
    /** Cancelled by a buyer change order or rejected by the supplier: nothing more is expected. */
    cancelled: z.boolean(),
  })
  .meta({ id: 'PurchaseOrderLine' });

export const MatchReason = z
  .object({
    code: ReasonCode,
    message: z.string(),
    expected: Decimal,
    actual: Decimal,
    tolerance: Decimal,
  })
  .meta({ id: 'MatchReason' });

export const MatchLine = z.object({ lineNo: z.number().int(), status: MatchStatus, reasons: z.array(MatchReason) });

export const MatchResult = z
  .object({
    status: MatchStatus,
    /** Header-level reasons (TOTAL_MISMATCH, CURRENCY_MISMATCH). */
    reasons: z.array(MatchReason),
    lines: z.array(MatchLine),
    matchedAt: Timestamp,
  })
  .meta({ id: 'MatchResult' });

export const PaymentPlan = z.object({
  /** invoiceDate + netDays. */
  dueDate: CalendarDate,
  /** invoiceDate + discountDays, when the terms have a discount. */
  discountDate: CalendarDate.optional(),
  /** The instant the payment will run. */
  scheduledFor: Timestamp,
  /** Amount to pay (invoice total net of credit memos, minus discount). */
  amount: Decimal,
  discount: Decimal,
});

export const PaymentView = PaymentPlan.extend({
  status: PaymentStatus,
  paymentId: z.string().optional(),
  reference: z.string().optional(),
  executedAt: Timestamp.optional(),
  /** 1 for the first try; a failed payment that finance approves again runs attempt 2, … */
  attempt: z.number().int(),
  /** The early-payment discount given up because the invoice was on hold past its discount date. */
  discountLost: Decimal.optional(),
}).meta({ id: 'Payment' });

export const InvoiceResolutionRecord = z.object({ action: Decision, reason: z.string(), by: Actor, at: Timestamp });

export const InvoiceView = z
  .object({
    invoiceNumber: z.string(),
    invoiceDate: CalendarDate,
    currency: z.string(),
    lines: z.array(DocumentLine),
    freight: Decimal,
    tax: Decimal,
    total: Decimal,
    /** Hash of the submitted body: the same number with another body is a duplicate. */
    bodyHash: z.string(),
    submittedAt: Timestamp,
    submittedBy: Actor,
    status: InvoiceStatus,
    match: MatchResult,
    /** Sum of credit memo totals against this invoice. */
    creditedTotal: Decimal,
    resolution: InvoiceResolutionRecord.optional(),
    /** Set when the invoice was posted to AP (journal GRNI/PPV/Freight/Tax → AP). */
    postedAt: Timestamp.optional(),
    payment: PaymentView.nullable(),
    /** Finance's payment hold on this invoice: it is never paid while held (docs/domain.md, "Payment holds"). */
    hold: PaymentHold.optional(),
  })
  .meta({ id: 'PurchaseOrderInvoice' });

export const ExceptionView = z
  .object({
    id: z.string(),
    code: ExceptionCode,
    invoiceNumber: z.string().optional(),
    status: ExceptionStatus,
    openedAt: Timestamp,
    reasons: z.array(MatchReason),
    escalatedAt: Timestamp.optional(),
    resolvedAt: Timestamp.optional(),
    resolvedBy: Actor.optional(),
    resolution: z.string().optional(),
  })
  .meta({ id: 'PurchaseOrderException' });

export const AcknowledgementRecord = z
  .object({
    type: AcknowledgementType,
    reason: z.string().optional(),
    lines: z.array(AcknowledgementLine).optional(),
    at: Timestamp,
    by: Actor,
    /** For accept_with_changes: the buyer's decision, once made. */
    decision: z.object({ decision: Decision, reason: z.string().optional(), at: Timestamp, by: Actor }).optional(),
  })
  .meta({ id: 'AcknowledgementRecord' });

const Received = { bodyHash: z.string(), receivedAt: Timestamp, by: Actor };

export const AsnRecord = AdvanceShipNotice.extend(Received).meta({ id: 'AsnRecord' });
export const ReceiptRecord = GoodsReceipt.extend(Received).meta({ id: 'ReceiptRecord' });
export const CreditMemoRecord = CreditMemo.extend({
  ...Received,
  /** A debit note is raised by a return after invoicing and counts as a credit until the supplier's memo settles it. */
  kind: CreditKind.optional(),
  rmaNumber: z.string().optional(),
  settledBy: CreditSettlement.optional(),
}).meta({ id: 'CreditMemoRecord' });
export const ChangeOrderRecord = ChangeOrder.extend({ at: Timestamp, by: Actor }).meta({ id: 'ChangeOrderRecord' });

export const TimelineEntry = z
  .object({ at: Timestamp, type: z.string(), actor: z.string(), detail: z.string().optional() })
  .meta({ id: 'TimelineEntry' });

/** Everything resolved once at issue time from the supplier record and configuration. */
export const PoPolicy = z
  .object({
    paymentTerms: PaymentTerms,
    tolerances: Tolerances.required(),
    slas: SupplierSlas.required(),
    captureDiscounts: z.boolean(),
    /** The configured approval tiers (PO_APPROVAL_TIERS); only those of the PO's currency apply. */
    approvalTiers: z.array(ApprovalTier).optional(),
    /** How long an approval may wait before it is escalated (APPROVAL_SLA). */
    approvalSla: z.string().optional(),
    /** How long the supplier has to answer a dispute before it is escalated (DISPUTE_SLA). */
    disputeSla: z.string().optional(),
    /** The supplier's payment hold when the PO was issued: the PO starts held. */
    supplierHold: PaymentHold.optional(),
  })
  .meta({ id: 'PurchaseOrderPolicy', description: 'Payment terms, tolerances, timers and discount policy copied onto the PO when it was issued.' });

export const PoStateView = z.object({
  poNumber: z.string(),
  supplierId: z.string(),
  currency: z.string(),
  buyer: z.string().optional(),
  /** Hash of the create body: the same poNumber with another body is a 409. */
  requestHash: z.string(),
  createdAt: Timestamp,
  policy: PoPolicy,
  /** True while a (new) supplier acknowledgement is required: after issue, a rejected change, a change order. */
  awaitingAcknowledgement: z.boolean(),
  acknowledgement: AcknowledgementRecord.nullable(),
  /** Supplier-proposed changes waiting for the buyer's decision. */
  pendingChanges: AcknowledgementRecord.nullable(),
  cancelled: z.object({ at: Timestamp, by: Actor, reason: z.string() }).nullable(),
  closedAt: Timestamp.nullable(),
  lines: z.array(PoLineView),
  asns: z.array(AsnRecord),
  receipts: z.array(ReceiptRecord),
  invoices: z.array(InvoiceView),
  creditMemos: z.array(CreditMemoRecord),
  exceptions: z.array(ExceptionView),
  changeOrders: z.array(ChangeOrderRecord),
  timeline: z.array(TimelineEntry),
  /** Approval requests, oldest first; the last is pending while the PO or a change order awaits approvers. */
  approvals: z.array(ApprovalRequest),
  /** The supplier-wide payment hold, while it lasts: no invoice of the PO is paid. */
  supplierHold: PaymentHold.optional(),
  returns: z.array(ReturnRecord),
  disputes: z.array(Dispute),
  /** Timer bookkeeping so a continued-as-new run does not repeat a reminder. */
  reminders: z.object({
    ackReminderSentAt: Timestamp.optional(),
    ackEscalatedAt: Timestamp.optional(),
    lateDeliveryNotifiedAt: Timestamp.optional(),
  }),
});

/** The full state of a PO as GET /v1/purchase-orders/{poNumber} and the `status` query answer it. */
export const PurchaseOrderView = PoStateView.extend({
  status: PoStatus,
  total: Decimal,
  hasOpenException: z.boolean(),
  /** EDI traffic of the PO and the partner's 997 for our 850/860, for EDI suppliers (read side, docs/edi.md). */
  edi: PurchaseOrderEdi.optional(),
}).meta({ id: 'PurchaseOrder', description: 'Full state of a purchase order (the `status` query of its workflow).' });

export const PurchaseOrderSummary = z
  .object({
    poNumber: z.string(),
    supplierId: z.string(),
    currency: z.string(),
    status: PoStatus,
    total: Decimal,
    hasOpenException: z.boolean(),
    buyer: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'PurchaseOrderSummary' });

export const PurchaseOrderCreated = z
  .object({ poNumber: z.string(), workflowId: z.string(), status: PoStatus })
  .meta({ id: 'PurchaseOrderCreated' });

export const InvoiceOutcome = z
  .object({ invoiceNumber: z.string(), status: InvoiceStatus, match: MatchResult })
  .meta({ id: 'InvoiceOutcome' });

export const Supplier = z
  .object({
    supplierId: z.string(),
    name: z.string(),
    currency: z.string(),
    paymentTerms: PaymentTerms,
    tolerances: Tolerances,
    slas: SupplierSlas,
    webhookUrl: z.string().nullable(),
    /** The secret itself is never returned; only whether one is set. */
    hasWebhookSecret: z.boolean(),
    /** Finance's supplier-wide payment hold, or null. */
    paymentHold: PaymentHold.nullable(),
    /** The EDI X12 trading-partner profile, when the supplier trades by EDI (docs/edi.md). */
    edi: EdiProfile.nullable().optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Supplier', description: 'Supplier master data; the webhook secret is never returned.' });

export const JournalLine = z.object({
  account: Account,
  /** Exactly one of debit/credit is non-zero; both are decimal strings with 2 decimals. */
  debit: Decimal,
  credit: Decimal,
  memo: z.string().optional(),
  /** The PO line a GRNI, Inventory or Expense amount belongs to (for the GRNI accrual report). */
  lineNo: z.number().int().optional(),
  /** The invoice an AP amount belongs to (for the AP aging report). */
  invoiceNumber: z.string().optional(),
});

export const JournalEntry = z.object({ description: z.string(), currency: z.string(), lines: z.array(JournalLine) }).meta({ id: 'JournalEntry' });

export const InventoryMovement = z.object({
  sku: z.string(),
  location: z.string(),
  /** Signed decimal string: + for receipts. */
  quantity: Decimal,
  lineNo: z.number().int(),
});
