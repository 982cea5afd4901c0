/**
 * The Temporal contract of a purchase order (docs/architecture.md, "Temporal contract").
 * Operators and other tools rely on these string names: never rename one that running workflows use.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Command } from '../domain/business-events';
import type * as wire from '../domain/schemas';
import type { Actor, PoState, PoView } from '../domain/state';
import type { NewPurchaseOrder } from './activity-contract';

export const TASK_QUEUE = 'procure-to-pay';
export const WORKFLOW_TYPE = 'purchaseOrderWorkflow';

export function workflowId(poNumber: string): string {
  return `purchase-order:${poNumber}`;
}

/** Workflow input: a new PO, or the state carried over by continue-as-new. */
export type PurchaseOrderWorkflowInput =
  | ({ kind: 'new'; options?: WorkflowOptions } & NewPurchaseOrder)
  | { kind: 'continued'; state: PoState; options?: WorkflowOptions };

export interface WorkflowOptions {
  /** Continue-as-new once the history has this many events (default 2000, or when Temporal suggests it). */
  historyThreshold?: number;
}

/**
 * What every Update answers: the PO and its event count after the command. The PO's state at that
 * point is in the ERP (recorded before the Update completed); the `status` query answers it too.
 */
export interface CommandAck {
  poNumber: string;
  sequence: number;
}

/** A command on one invoice of the PO (finance's decisions). */
export type InvoiceCommand<T> = Command<T> & { invoiceNumber: string };

// Updates: validated commands the API must acknowledge. Update id = idempotency key.
export const confirmIssued = defineUpdate<CommandAck, [{ requestHash: string }]>('confirmIssued');
export const acknowledge = defineUpdate<CommandAck, [Command<wire.Acknowledgement>]>('acknowledge');
export const decideChanges = defineUpdate<CommandAck, [Command<wire.ChangeDecision>]>('decideChanges');
export const changeOrder = defineUpdate<CommandAck, [Command<wire.ChangeOrder>]>('changeOrder');
export const cancel = defineUpdate<CommandAck, [Command<wire.CancelPurchaseOrder>]>('cancel');
export const submitAsn = defineUpdate<CommandAck, [Command<wire.AdvanceShipNotice>]>('submitAsn');
export const postReceipt = defineUpdate<CommandAck, [Command<wire.GoodsReceipt>]>('postReceipt');
export const submitInvoice = defineUpdate<CommandAck, [Command<wire.Invoice>]>('submitInvoice');
export const submitCreditMemo = defineUpdate<CommandAck, [Command<wire.CreditMemo>]>('submitCreditMemo');
export const resolveInvoice = defineUpdate<CommandAck, [InvoiceCommand<wire.InvoiceResolution>]>('resolveInvoice');
export const reportPaymentStatus = defineUpdate<CommandAck, [InvoiceCommand<wire.PaymentStatusReport>]>('reportPaymentStatus');
// Finance controls (docs/domain.md, "Payment holds", "Approval tiers", "Returns to vendor", "Disputes").
export const holdInvoicePayment = defineUpdate<CommandAck, [InvoiceCommand<wire.PaymentHoldRequest>]>('holdInvoicePayment');
export const releaseInvoicePayment = defineUpdate<CommandAck, [InvoiceCommand<wire.PaymentHoldRelease>]>('releaseInvoicePayment');
export const placeSupplierHold = defineUpdate<CommandAck, [Command<wire.SupplierHoldPlacement>]>('placeSupplierHold');
export const releaseSupplierHold = defineUpdate<CommandAck, [Command<wire.SupplierHoldRemoval>]>('releaseSupplierHold');
export const decideApproval = defineUpdate<CommandAck, [Command<wire.ApprovalDecision>]>('decideApproval');
export const returnGoods = defineUpdate<CommandAck, [Command<wire.ReturnToVendor>]>('returnGoods');
export const openDispute = defineUpdate<CommandAck, [InvoiceCommand<wire.DisputeOpening>]>('openDispute');
export const replyToDispute = defineUpdate<CommandAck, [InvoiceCommand<wire.DisputeReply> & { disputeId: string; documentHash?: string }]>('replyToDispute');

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
