/**
 * Every command a purchase order takes, as a table: the Update it answers, the business
 * validation (run by the Update's validator, and again by the handler under the mutex), what it
 * records (`../domain/business-events.ts`) and whether held invoices are matched again afterwards.
 *
 * The body's shape was checked by the sender with the shared zod schemas (the API does for every
 * command) and is checked again by the ERP before anything is written; the workflow itself keeps
 * zod out of its bundle (docs/adr/0081-zod-stays-out-of-the-workflow.md), and a body too malformed
 * for the business checks is refused as INVALID_COMMAND (./purchase-order.ts).
 */
import { patched } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import * as decide from '../domain/business-events';
import type { Command, Outcome } from '../domain/business-events';
import {
  isDocumentReplay,
  validateAcknowledgement,
  validateAsn,
  validateCancel,
  validateChangeDecision,
  validateChangeOrder,
  validateInvoice,
  validatePaymentStatus,
  validateReceipt,
  validateResolution,
} from '../domain/lifecycle/validate';
import { heldInvoices } from '../domain/lifecycle/views';
import { approvalDecided, changeOrdered, validateApprovalDecision } from '../domain/approvals';
import { disputeOpened, disputeReplied, validateDisputeOpening, validateDisputeReply } from '../domain/disputes';
import { invoiceHeld, invoiceReleased, supplierHoldPlaced, supplierHoldRemoved, validateInvoiceHold, validateInvoiceRelease } from '../domain/holds';
import { creditMemoArrived, existingCreditMemo, goodsReturned, validateCreditMemoOrSettlement, validateReturn } from '../domain/returns';
import { findInvoice } from '../domain/lookups';
import type { PoState, RefusalCode } from '../domain/state';
import * as contract from './definitions';

export interface CommandSpec<A, R> {
  update: UpdateDefinition<R, [A]>;
  /**
   * Throws a DomainError (or INVALID_COMMAND) when the command may not run on this PO now.
   * `inHandler`: run again by the handler, whose refusals are part of the history (see `newRules`).
   */
  validate(po: PoState, arg: A, inHandler: boolean): void;
  decide(po: PoState, arg: A, at: string): Outcome;
  /** After the event: a receipt, credit memo, change or rejection may be what held invoices waited for. */
  rematchAfter?(po: PoState, arg: A): boolean;
}

/**
 * A numbered business document (ASN, receipt, invoice, credit memo): the same number with the same
 * body is a replay that changes nothing; with another body a 409 under `code`; else `validate`.
 */
function numbered<T>(
  existing: (po: PoState, body: T) => { bodyHash: string } | undefined,
  code: RefusalCode,
  label: (body: T) => string,
  validate: (po: PoState, body: T) => void,
): (po: PoState, command: Command<T>) => void {
  return (po, { body, bodyHash }) => {
    if (!isDocumentReplay(existing(po, body), bodyHash, code, label(body))) validate(po, body);
  };
}

/**
 * Refusals added after workflows were running (a change to a line already received or invoiced,
 * docs/adr/0063-no-changes-to-booked-lines.md): always in the validator, whose refusals are not in
 * the history; in the handler only past this marker, so an older history replays as it ran.
 */
export const REFUSE_CHANGES_TO_BOOKED_LINES = 'refuse-changes-to-booked-lines';
const DEBIT_NOTES_ROUND_CUMULATIVELY = 'debit-notes-round-cumulatively';

function newRules(inHandler: boolean): () => boolean {
  return () => !inHandler || patched(REFUSE_CHANGES_TO_BOOKED_LINES);
}

const spec = <A, R>(command: CommandSpec<A, R>) => command as unknown as CommandSpec<unknown, unknown>;

export const COMMANDS: CommandSpec<unknown, unknown>[] = [
  spec({
    update: contract.acknowledge,
    validate: (po, { body }, inHandler) => validateAcknowledgement(po, body, { newRules: newRules(inHandler) }),
    decide: decide.acknowledged,
  }),
  spec({
    update: contract.decideChanges,
    validate: (po, { body }, inHandler) => validateChangeDecision(po, body, { newRules: newRules(inHandler) }),
    decide: decide.changesDecided,
  }),
  spec({
    update: contract.changeOrder,
    validate: (po, { body }) => validateChangeOrder(po, body),
    // Sent to the supplier at once, or held for approvers when it raises the PO to a tier.
    decide: changeOrdered,
    // A short-closed line may be what a held invoice was waiting for.
    rematchAfter: () => true,
  }),
  spec({
    update: contract.cancel,
    validate: (po, { body }) => {
      if (po.cancelled) return; // cancelling twice answers with the cancelled PO
      validateCancel(po, body);
    },
    decide: decide.cancelled,
  }),
  spec({
    update: contract.submitAsn,
    validate: numbered((po, body) => po.asns.find((a) => a.asnNumber === body.asnNumber), 'DUPLICATE_ASN', (body) => `ASN ${body.asnNumber}`, (po, body) =>
      validateAsn(po, body),
    ),
    decide: decide.asnReceived,
  }),
  spec({
    update: contract.postReceipt,
    validate: numbered((po, body) => po.receipts.find((r) => r.receiptNumber === body.receiptNumber), 'DUPLICATE_RECEIPT', (body) => `Receipt ${body.receiptNumber}`, (po, body) =>
      validateReceipt(po, body),
    ),
    decide: decide.goodsReceived,
    rematchAfter: () => true,
  }),
  spec({
    update: contract.submitInvoice,
    validate: numbered((po, body) => findInvoice(po, body.invoiceNumber), 'DUPLICATE_INVOICE', (body) => `Invoice ${body.invoiceNumber}`, (po, body) =>
      validateInvoice(po, body),
    ),
    decide: decide.invoiceReceived,
  }),
  spec({
    update: contract.submitCreditMemo,
    validate: numbered((po, body) => existingCreditMemo(po, body.creditMemoNumber), 'DUPLICATE_CREDIT_MEMO', (body) => `Credit memo ${body.creditMemoNumber}`, (po, body) =>
      validateCreditMemoOrSettlement(po, body),
    ),
    // A memo for exactly the goods of an open debit note settles it (../domain/returns.ts).
    decide: creditMemoArrived,
    rematchAfter: () => true,
  }),
  spec({
    update: contract.resolveInvoice,
    validate: (po, { body, invoiceNumber }) => validateResolution(po, invoiceNumber, body),
    decide: decide.invoiceResolved,
    // A rejected invoice no longer counts towards the cumulative invoiced quantity: a corrected
    // re-bill held because of it (QTY_EXCEEDS_RECEIVED) must be matched again without a new receipt.
    rematchAfter: (po, { body }) => body.action === 'reject' && heldInvoices(po).length > 0 && patched('rematch-after-invoice-rejected'),
  }),
  spec({
    update: contract.reportPaymentStatus,
    validate: (po, { body, invoiceNumber }) => {
      if (findInvoice(po, invoiceNumber)?.payment?.status === body.status) return; // the same report again changes nothing
      validatePaymentStatus(po, invoiceNumber, body);
    },
    decide: decide.paymentStatusReported,
  }),
  // Finance controls
  spec({
    update: contract.holdInvoicePayment,
    validate: (po, { body, invoiceNumber }) => validateInvoiceHold(po, invoiceNumber, body),
    decide: invoiceHeld,
  }),
  spec({
    update: contract.releaseInvoicePayment,
    validate: (po, { invoiceNumber }) => validateInvoiceRelease(po, invoiceNumber),
    decide: invoiceReleased,
  }),
  spec({
    update: contract.placeSupplierHold,
    validate: () => undefined,
    decide: supplierHoldPlaced,
  }),
  spec({
    update: contract.releaseSupplierHold,
    validate: () => undefined,
    decide: supplierHoldRemoved,
  }),
  spec({
    update: contract.decideApproval,
    validate: (po, { actor, body }) => validateApprovalDecision(po, actor, body),
    decide: approvalDecided,
    // An approved change order may short-close a line a held invoice was waiting for.
    rematchAfter: (po) => heldInvoices(po).length > 0,
  }),
  spec({
    update: contract.returnGoods,
    validate: numbered((po, body) => po.returns.find((r) => r.rmaNumber === body.rmaNumber), 'DUPLICATE_RETURN', (body) => `Return ${body.rmaNumber}`, (po, body) =>
      validateReturn(po, body),
    ),
    // Debit notes valued cumulatively from this marker on; older runs replay as they ran (ADR 0052).
    decide: (po, command, at) => goodsReturned(po, command, at, { roundCumulatively: patched(DEBIT_NOTES_ROUND_CUMULATIVELY) }),
    // Fewer goods on hand: invoices for them no longer match.
    rematchAfter: (po) => heldInvoices(po).length > 0,
  }),
  spec({
    update: contract.openDispute,
    validate: (po, { body, invoiceNumber }) => validateDisputeOpening(po, invoiceNumber, body),
    decide: disputeOpened,
  }),
  spec({
    update: contract.replyToDispute,
    validate: (po, command) => validateDisputeReply(po, command),
    decide: disputeReplied,
    rematchAfter: (po, { body }) => Boolean(body.creditMemo) && heldInvoices(po).length > 0,
  }),
];
