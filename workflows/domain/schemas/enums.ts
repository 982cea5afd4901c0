/**
 * Every closed list of the business, defined once. Types are inferred from these enums; routes,
 * the OpenAPI document, state and the domain use them. Workflow code imports only their types
 * (`import type`), so zod never enters the workflow bundle (docs/adr/0031-zod-stays-out-of-the-workflow.md).
 */
import { z } from 'zod';

/** Roles an API key can have (docs/api.md, "Authentication and roles"). */
export const Role = z.enum(['procurement', 'supplier', 'warehouse', 'finance', 'operator', 'approver']).meta({ id: 'Role' });
export type Role = z.infer<typeof Role>;

/** Who can act on a PO: a role, or the workflow itself (timers, automatic steps). */
export const ActorRole = z.enum([...Role.options, 'system']).meta({ id: 'ActorRole' });
export type ActorRole = z.infer<typeof ActorRole>;

/** The status users see, derived from the PO's quantities and invoices (docs/domain.md). */
export const PoStatus = z
  .enum(['pending_approval', 'issued', 'changes_pending', 'acknowledged', 'in_transit', 'partially_received', 'received', 'closed', 'cancelled'])
  .meta({ id: 'PoStatus' });
export type PoStatus = z.infer<typeof PoStatus>;

export const InvoiceStatus = z
  .enum(['pending_receipt', 'exception', 'approved', 'scheduled', 'paid', 'rejected'])
  .meta({ id: 'InvoiceStatus' });
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

/** Outcome of a three-way match, per invoice and per line. */
export const MatchStatus = z.enum(['matched', 'exception', 'pending_receipt']).meta({ id: 'MatchStatus' });
export type MatchStatus = z.infer<typeof MatchStatus>;

/** Why a line or an invoice does not match (docs/domain.md, "Three-way match"). */
export const ReasonCode = z
  .enum([
    'QTY_EXCEEDS_RECEIVED',
    // Services: two-way match against the ordered (confirmed) quantity.
    'QTY_EXCEEDS_ORDERED',
    'PRICE_VARIANCE',
    'TOTAL_MISMATCH',
    'CURRENCY_MISMATCH',
    'UNKNOWN_LINE',
  ])
  .meta({ id: 'ReasonCode' });
export type ReasonCode = z.infer<typeof ReasonCode>;

export const ExceptionCode = z.enum(['MATCH_EXCEPTION', 'PAYMENT_FAILED']).meta({ id: 'ExceptionCode' });
export type ExceptionCode = z.infer<typeof ExceptionCode>;

export const ExceptionStatus = z.enum(['open', 'approved', 'rejected', 'resolved']).meta({ id: 'ExceptionStatus' });
export type ExceptionStatus = z.infer<typeof ExceptionStatus>;

export const PaymentStatus = z.enum(['scheduled', 'executed', 'sent', 'cleared', 'failed']).meta({ id: 'PaymentStatus' });
export type PaymentStatus = z.infer<typeof PaymentStatus>;

/** What the AP tool or the bank reports about an executed payment. */
export const ReportedPaymentStatus = z.enum(['sent', 'cleared', 'failed']);
export type ReportedPaymentStatus = z.infer<typeof ReportedPaymentStatus>;

export const LineKind = z.enum(['goods', 'service']).meta({ id: 'LineKind' });
export type LineKind = z.infer<typeof LineKind>;

export const AcknowledgementType = z.enum(['accept', 'reject', 'accept_with_changes']);
export type AcknowledgementType = z.infer<typeof AcknowledgementType>;

export const AcknowledgementLineStatus = z.enum(['accepted', 'changed', 'rejected', 'backordered']);
export type AcknowledgementLineStatus = z.infer<typeof AcknowledgementLineStatus>;

/** A buyer's or finance's decision on something proposed or held. */
export const Decision = z.enum(['approve', 'reject']);
export type Decision = z.infer<typeof Decision>;

export const ChangeAction = z.enum(['add', 'change', 'cancel']);
export type ChangeAction = z.infer<typeof ChangeAction>;

/** The chart of accounts every journal posts to (docs/accounting.md). */
export const Account = z
  .enum(['INVENTORY', 'GRNI', 'PPV', 'FREIGHT_IN', 'TAX_RECEIVABLE', 'AP', 'BANK', 'PURCHASE_DISCOUNTS', 'EXPENSE'])
  .meta({ id: 'Account' });
export type Account = z.infer<typeof Account>;

/**
 * Business refusals: the `code` of a 409/422/404 problem when a command breaks a rule
 * (docs/domain.md, "Refusal codes").
 */
export const RefusalCode = z
  .enum([
    'ACK_NOT_EXPECTED',
    'ACK_LINES_INCONSISTENT',
    'ACK_REJECTS_ALL_LINES',
    'ALREADY_DECIDED',
    'APPROVAL_PENDING',
    'ASN_EXCEEDS_OPEN_QUANTITY',
    'CANCEL_AFTER_INVOICE',
    'CANCEL_AFTER_RECEIPT',
    'CHANGE_AFTER_INVOICE',
    'CHANGE_AFTER_RECEIPT',
    'CREDIT_EXCEEDS_INVOICE',
    'DUPLICATE_ASN',
    'DUPLICATE_CREDIT_MEMO',
    'DUPLICATE_INVOICE',
    'DUPLICATE_RECEIPT',
    'DUPLICATE_RETURN',
    'DISPUTE_ALREADY_OPEN',
    'DISPUTE_NOT_FOUND',
    'DISPUTE_CLOSED',
    'INVOICE_ALREADY_PAID',
    'INVOICE_NOT_FOUND',
    'INVOICE_ON_HOLD',
    'INVOICE_REJECTED',
    'LINE_CANCELLED',
    'LINE_EXISTS',
    'NO_APPROVAL_PENDING',
    'NO_CHANGES_PENDING',
    'NO_OPEN_EXCEPTION',
    'NO_OPEN_LINES',
    'NO_PAYMENT_HOLD',
    'OVER_RECEIPT',
    'PAYMENT_ALREADY_FINAL',
    'PAYMENT_NOT_EXECUTED',
    'PO_CANCELLED',
    'PO_CLOSED',
    'PO_NOT_ACKNOWLEDGED',
    'PO_PENDING_APPROVAL',
    'QUANTITY_BELOW_DELIVERED',
    'QUANTITY_BELOW_SHIPPED',
    'RETURN_AFTER_PAYMENT',
    'RETURN_EXCEEDS_RECEIVED',
    'SELF_APPROVAL',
    'SERVICE_LINE',
    'UNKNOWN_INVOICE',
    'UNKNOWN_LINE',
  ])
  .meta({ id: 'RefusalCode' });
export type RefusalCode = z.infer<typeof RefusalCode>;

/** What the supplier's portal is told (signed webhooks; docs/architecture.md, "Adapters"). */
export const SupplierNotificationType = z.enum([
  'po.issued',
  'po.changed',
  'po.change_decision',
  'po.cancelled',
  'acknowledgement.reminder',
  'receipt.discrepancy',
  'invoice.exception',
  'invoice.rejected',
  'payment.status',
  'goods.returned',
  'invoice.disputed',
  'dispute.overdue',
]);
export type SupplierNotificationType = z.infer<typeof SupplierNotificationType>;

/** Who must still decide on a PO above an approval tier (docs/domain.md, "Approval tiers"). */
export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected']).meta({ id: 'ApprovalStatus' });
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** What an approval request is about: the PO as issued, or a change order that raised its value. */
export const ApprovalSubject = z.enum(['issue', 'change_order']).meta({ id: 'ApprovalSubject' });
export type ApprovalSubject = z.infer<typeof ApprovalSubject>;

/** An invoice dispute with the supplier (docs/domain.md, "Disputes"). */
export const DisputeStatus = z.enum(['open', 'answered', 'resolved']).meta({ id: 'DisputeStatus' });
export type DisputeStatus = z.infer<typeof DisputeStatus>;

/** A credit on an invoice: the supplier's credit memo, or the debit note a return after invoicing raises. */
export const CreditKind = z.enum(['credit_memo', 'debit_note']).meta({ id: 'CreditKind' });
export type CreditKind = z.infer<typeof CreditKind>;
