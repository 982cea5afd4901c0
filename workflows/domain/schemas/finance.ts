/**
 * The finance controls of the wire contract (docs/domain.md, "Payment holds", "Approval tiers",
 * "Returns to vendor", "Disputes"): what finance, approvers, the warehouse and suppliers send, and
 * how the PO's state shows it.
 */
import { z } from 'zod';
import { hasUniqueLineNos as uniqueLineNos } from '../lookups';
import { Actor } from './actor';
import { CreditMemo, Invoice } from './commands';
import { ApprovalStatus, ApprovalSubject, Decision, DisputeStatus } from './enums';
import { ChangeOrder } from './commands';
import { CurrencyCode, DocumentNumber, FreeText, IsoDate, IsoDateTime, LineNo, Money, PositiveQuantity } from './scalars';

const Decimal = z.string().meta({ description: 'Decimal string.', example: '120.00' });
const Timestamp = z.string().meta({ description: 'ISO 8601 instant.', example: '2026-11-27T09:30:00.000Z' });
const CalendarDate = z.string().meta({ description: 'YYYY-MM-DD.', example: '2026-12-01' });

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Finance holds an invoice's payment, or a supplier's (every unpaid invoice, future ones too). */
export const PaymentHoldRequest = z
  .object({ reason: FreeText, releaseOn: IsoDate.optional() })
  .strict()
  .meta({ id: 'PaymentHoldRequest', description: 'Without releaseOn the hold lasts until it is released; with it, it ends at 00:00 UTC that day.' });
export type PaymentHoldRequest = z.infer<typeof PaymentHoldRequest>;

export const PaymentHoldRelease = z.object({ reason: FreeText.optional() }).strict().meta({ id: 'PaymentHoldRelease' });
export type PaymentHoldRelease = z.infer<typeof PaymentHoldRelease>;

/** What the API tells each open PO of a supplier when finance holds the supplier. */
export const SupplierHoldPlacement = z
  .object({ holdId: z.string().min(1).max(100), reason: FreeText, releaseOn: IsoDate.optional(), placedAt: IsoDateTime })
  .strict();
export type SupplierHoldPlacement = z.infer<typeof SupplierHoldPlacement>;

export const SupplierHoldRemoval = z.object({ holdId: z.string().min(1).max(100) }).strict();
export type SupplierHoldRemoval = z.infer<typeof SupplierHoldRemoval>;

export const ApprovalDecision = z
  .object({ decision: Decision, reason: FreeText })
  .strict()
  .meta({ id: 'ApprovalDecision' });
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

export const ReturnLine = z.object({ lineNo: LineNo, quantity: PositiveQuantity }).strict();
export type ReturnLine = z.infer<typeof ReturnLine>;

/** The warehouse sends accepted goods back under the supplier's return authorisation (RMA). */
export const ReturnToVendor = z
  .object({
    rmaNumber: DocumentNumber,
    reason: FreeText,
    location: z.string().trim().min(1).max(64).default('MAIN'),
    /** True: the supplier owes the quantity again (a replacement); false: it is no longer ordered. */
    replacement: z.boolean().default(false),
    lines: z.array(ReturnLine).min(1).max(500).refine(uniqueLineNos, 'lineNo must be unique'),
  })
  .strict()
  .meta({ id: 'ReturnToVendor' });
export type ReturnToVendor = z.infer<typeof ReturnToVendor>;

export const DisputeOpening = z.object({ message: FreeText }).strict().meta({ id: 'DisputeOpening' });
export type DisputeOpening = z.infer<typeof DisputeOpening>;

/** The supplier's answer: a message, with a credit memo or a corrected invoice when it has one. */
export const DisputeReply = z
  .object({ message: FreeText, creditMemo: CreditMemo.optional(), correctedInvoice: Invoice.optional() })
  .strict()
  .refine((reply) => !(reply.creditMemo && reply.correctedInvoice), { message: 'answer with a credit memo or a corrected invoice, not both', path: ['correctedInvoice'] })
  .meta({ id: 'DisputeReply' });
export type DisputeReply = z.infer<typeof DisputeReply>;

/** One tier of PO_APPROVAL_TIERS: a PO of `currency` worth at least `atLeast` needs `approvals` distinct approvers. */
export const ApprovalTier = z
  .object({ currency: CurrencyCode, atLeast: Money, approvals: z.number().int().min(1).max(5) })
  .meta({ id: 'ApprovalTier' });
export type ApprovalTier = z.infer<typeof ApprovalTier>;

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

export const PaymentHold = z
  .object({
    /** Set on supplier-wide holds: the supplier record's hold this PO follows. */
    holdId: z.string().optional(),
    reason: z.string(),
    releaseOn: CalendarDate.optional(),
    placedAt: Timestamp,
    placedBy: Actor,
  })
  .meta({ id: 'PaymentHold' });
export type PaymentHold = z.infer<typeof PaymentHold>;

export const ApprovalDecisionRecord = z.object({ decision: Decision, reason: z.string(), by: Actor, at: Timestamp });

export const ApprovalRequest = z
  .object({
    id: z.string(),
    subject: ApprovalSubject,
    status: ApprovalStatus,
    currency: z.string(),
    /** The ordered value being approved (the PO, or the PO as the change order would make it). */
    total: Decimal,
    requiredApprovals: z.number().int(),
    requestedAt: Timestamp,
    requestedBy: Actor,
    /** For a change order: the change, applied and sent to the supplier once approved. */
    changeOrder: ChangeOrder.optional(),
    decisions: z.array(ApprovalDecisionRecord),
    escalatedAt: Timestamp.optional(),
    decidedAt: Timestamp.optional(),
  })
  .meta({ id: 'ApprovalRequest' });
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;

export const ReturnRecord = ReturnToVendor.extend({
  bodyHash: z.string(),
  returnedAt: Timestamp,
  by: Actor,
  /** Debit notes raised against posted invoices for goods already invoiced. */
  debitNotes: z.array(z.string()),
}).meta({ id: 'ReturnRecord' });
export type ReturnRecord = z.infer<typeof ReturnRecord>;

/** The supplier's credit memo that confirmed a debit note. */
export const CreditSettlement = z.object({ creditMemoNumber: z.string(), total: Decimal, bodyHash: z.string(), at: Timestamp, by: Actor });

export const DisputeMessage = z.object({
  at: Timestamp,
  by: Actor,
  message: z.string(),
  creditMemoNumber: z.string().optional(),
  correctedInvoiceNumber: z.string().optional(),
});

export const Dispute = z
  .object({
    id: z.string(),
    invoiceNumber: z.string(),
    status: DisputeStatus,
    openedAt: Timestamp,
    openedBy: Actor,
    messages: z.array(DisputeMessage),
    escalatedAt: Timestamp.optional(),
    resolvedAt: Timestamp.optional(),
    resolution: z.string().optional(),
  })
  .meta({ id: 'InvoiceDispute' });
export type Dispute = z.infer<typeof Dispute>;
