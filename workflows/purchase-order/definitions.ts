/**
 * The Temporal contract of a purchase order (docs/architecture.md, "Temporal contract").
 * Operators and other tools rely on these string names: never rename one that running workflows use.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Command } from '../domain/business-events';
import type * as wire from '../domain/schemas';
import type { Actor, InvoiceOutcome, PoState, PoView } from '../domain/state';

export const TASK_QUEUE = 'procure-to-pay';
export const WORKFLOW_TYPE = 'purchaseOrderWorkflow';

export function workflowId(poNumber: string): string {
  return `purchase-order:${poNumber}`;
}

/** Workflow input: a new PO, or the state carried over by continue-as-new. */
export type PurchaseOrderWorkflowInput =
  | { kind: 'new'; po: wire.CreatePurchaseOrder; requestHash: string; actor: Actor; issuedAt: string; options?: WorkflowOptions }
  | { kind: 'continued'; state: PoState; options?: WorkflowOptions };

export interface WorkflowOptions {
  /** Continue-as-new once the history has this many events (default 2000, or when Temporal suggests it). */
  historyThreshold?: number;
}

/** A command on one invoice of the PO (finance's decisions). */
export type InvoiceCommand<T> = Command<T> & { invoiceNumber: string };

// Updates: validated commands the API must acknowledge. Update id = idempotency key.
export const confirmIssued = defineUpdate<PoView, [{ requestHash: string }]>('confirmIssued');
export const acknowledge = defineUpdate<PoView, [Command<wire.Acknowledgement>]>('acknowledge');
export const decideChanges = defineUpdate<PoView, [Command<wire.ChangeDecision>]>('decideChanges');
export const changeOrder = defineUpdate<PoView, [Command<wire.ChangeOrder>]>('changeOrder');
export const cancel = defineUpdate<PoView, [Command<wire.CancelPurchaseOrder>]>('cancel');
export const submitAsn = defineUpdate<PoView, [Command<wire.AdvanceShipNotice>]>('submitAsn');
export const postReceipt = defineUpdate<PoView, [Command<wire.GoodsReceipt>]>('postReceipt');
export const submitInvoice = defineUpdate<InvoiceOutcome, [Command<wire.Invoice>]>('submitInvoice');
export const submitCreditMemo = defineUpdate<PoView, [Command<wire.CreditMemo>]>('submitCreditMemo');
export const resolveInvoice = defineUpdate<PoView, [InvoiceCommand<wire.InvoiceResolution>]>('resolveInvoice');
export const reportPaymentStatus = defineUpdate<PoView, [InvoiceCommand<wire.PaymentStatusReport>]>('reportPaymentStatus');
// Finance controls (docs/domain.md, "Payment holds", "Approval tiers", "Returns to vendor", "Disputes").
export const holdInvoicePayment = defineUpdate<PoView, [InvoiceCommand<wire.PaymentHoldRequest>]>('holdInvoicePayment');
export const releaseInvoicePayment = defineUpdate<PoView, [InvoiceCommand<wire.PaymentHoldRelease>]>('releaseInvoicePayment');
export const placeSupplierHold = defineUpdate<PoView, [Command<wire.SupplierHoldPlacement>]>('placeSupplierHold');
export const releaseSupplierHold = defineUpdate<PoView, [Command<wire.SupplierHoldRemoval>]>('releaseSupplierHold');
export const decideApproval = defineUpdate<PoView, [Command<wire.ApprovalDecision>]>('decideApproval');
export const returnGoods = defineUpdate<PoView, [Command<wire.ReturnToVendor>]>('returnGoods');
export const openDispute = defineUpdate<PoView, [InvoiceCommand<wire.DisputeOpening>]>('openDispute');
export const replyToDispute = defineUpdate<PoView, [InvoiceCommand<wire.DisputeReply> & { disputeId: string; documentHash?: string }]>('replyToDispute');

// Query: the full state of the PO.
export const status = defineQuery<PoView>('status');

// Signal: a pure event with no answer owed (operators nudging a re-match, e.g. after master-data fixes).
export const rematchHeldInvoices = defineSignal<[{ actor: Actor }]>('rematchHeldInvoices');

// Search attributes, kept current by the workflow for the Web UI and `temporal workflow list`.
export const PO_NUMBER = defineSearchAttributeKey('PoNumber', SearchAttributeType.KEYWORD);
export const SUPPLIER_ID = defineSearchAttributeKey('SupplierId', SearchAttributeType.KEYWORD);
export const PO_STATUS = defineSearchAttributeKey('PoStatus', SearchAttributeType.KEYWORD);
export const HAS_OPEN_EXCEPTION = defineSearchAttributeKey('HasOpenException', SearchAttributeType.BOOL);
export const PO_TOTAL = defineSearchAttributeKey('PoTotal', SearchAttributeType.DOUBLE);
export const SEARCH_ATTRIBUTES = [PO_NUMBER, SUPPLIER_ID, PO_STATUS, HAS_OPEN_EXCEPTION, PO_TOTAL] as const;
