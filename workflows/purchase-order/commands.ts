/**
 * Every command a purchase order takes, as a table: the Update it answers, the shared schema its
 * body must satisfy, the business validation (run by the Update's validator, and again by the
 * handler under the lock), what it records (`../domain/business-events.ts`) and whether held
 * invoices are matched again afterwards.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import * as decide from '../domain/business-events';
import type { Outcome } from '../domain/business-events';
import {
  isDocumentReplay,
  validateAcknowledgement,
  validateAsn,
  validateCancel,
  validateChangeDecision,
  validateChangeOrder,
  validateCreditMemo,
  validateInvoice,
  validatePaymentStatus,
  validateReceipt,
  validateResolution,
} from '../domain/lifecycle/validate';
import { heldInvoices } from '../domain/lifecycle/views';
import { findInvoice, requireInvoice } from '../domain/lookups';
import {
  Acknowledgement,
  AdvanceShipNotice,
  CancelPurchaseOrder,
  ChangeDecision,
  ChangeOrder,
  CreditMemo,
  GoodsReceipt,
  Invoice,
  InvoiceResolution,
  PaymentStatusReport,
} from '../domain/schemas';
import type { PoState } from '../domain/state';
import * as contract from './definitions';

export interface CommandSpec<A, R> {
  update: UpdateDefinition<R, [A]>;
  /** Throws a DomainError (or INVALID_COMMAND) when the command may not run on this PO now. */
  validate(po: PoState, arg: A): void;
  decide(po: PoState, arg: A, at: string): Outcome;
  /** After the event: a receipt, credit memo, change or rejection may be what held invoices waited for. */
  rematchAfter?(po: PoState, arg: A): boolean;
  /** The Update's answer; the PO's view when absent. */
  respond?(po: PoState, arg: A): R;
}

type ZodLike<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } };

/** The body again through the shared schema: an Update sent around the API is held to the same contract. */
function parsed<T>(schema: ZodLike<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
    throw ApplicationFailure.nonRetryable(`Invalid command: ${detail}`, 'INVALID_COMMAND', { kind: 'unprocessable' });
  }
  return result.data;
}

const spec = <A, R>(command: CommandSpec<A, R>) => command as unknown as CommandSpec<unknown, unknown>;

export const COMMANDS: CommandSpec<unknown, unknown>[] = [
  spec({
    update: contract.acknowledge,
    validate: (po, { body }) => validateAcknowledgement(po, parsed(Acknowledgement, body)),
    decide: decide.acknowledged,
  }),
  spec({
    update: contract.decideChanges,
    validate: (po, { body }) => validateChangeDecision(po, parsed(ChangeDecision, body)),
    decide: decide.changesDecided,
  }),
  spec({
    update: contract.changeOrder,
    validate: (po, { body }) => validateChangeOrder(po, parsed(ChangeOrder, body)),
    decide: decide.changed,
    // A short-closed line may be what a held invoice was waiting for.
    rematchAfter: () => true,
  }),
  spec({
    update: contract.cancel,
    validate: (po, { body }) => {
      if (po.cancelled) return; // cancelling twice answers with the cancelled PO
      validateCancel(po, parsed(CancelPurchaseOrder, body));
    },
    decide: decide.cancelled,
  }),
  spec({
    update: contract.submitAsn,
    validate: (po, { body, bodyHash }) => {
      if (isDocumentReplay(po.asns.find((a) => a.asnNumber === body.asnNumber), bodyHash, 'DUPLICATE_ASN', `ASN ${body.asnNumber}`)) return;
      validateAsn(po, parsed(AdvanceShipNotice, body));
    },
    decide: decide.asnReceived,
  }),
  spec({
    update: contract.postReceipt,
    validate: (po, { body, bodyHash }) => {
      if (isDocumentReplay(po.receipts.find((r) => r.receiptNumber === body.receiptNumber), bodyHash, 'DUPLICATE_RECEIPT', `Receipt ${body.receiptNumber}`)) return;
      validateReceipt(po, parsed(GoodsReceipt, body));
    },
    decide: decide.goodsReceived,
    rematchAfter: () => true,
  }),
  spec({
    update: contract.submitInvoice,
    validate: (po, { body, bodyHash }) => {
      if (isDocumentReplay(findInvoice(po, body.invoiceNumber), bodyHash, 'DUPLICATE_INVOICE', `Invoice ${body.invoiceNumber}`)) return;
      validateInvoice(po, parsed(Invoice, body));
    },
    decide: decide.invoiceReceived,
    respond: (po, { body }) => {
      const invoice = requireInvoice(po, body.invoiceNumber);
      return { invoiceNumber: invoice.invoiceNumber, status: invoice.status, match: invoice.match };
    },
  }),
  spec({
    update: contract.submitCreditMemo,
    validate: (po, { body, bodyHash }) => {
      const existing = po.creditMemos.find((m) => m.creditMemoNumber === body.creditMemoNumber);
      if (isDocumentReplay(existing, bodyHash, 'DUPLICATE_CREDIT_MEMO', `Credit memo ${body.creditMemoNumber}`)) return;
      validateCreditMemo(po, parsed(CreditMemo, body));
    },
    decide: decide.creditMemoReceived,
    rematchAfter: () => true,
  }),
  spec({
    update: contract.resolveInvoice,
    validate: (po, { body, invoiceNumber }) => validateResolution(po, invoiceNumber, parsed(InvoiceResolution, body)),
    decide: decide.invoiceResolved,
    // A rejected invoice no longer counts towards the cumulative invoiced quantity: a corrected
    // re-bill held because of it (QTY_EXCEEDS_RECEIVED) must be matched again without a new receipt.
    rematchAfter: (po, { body }) => body.action === 'reject' && heldInvoices(po).length > 0 && patched('rematch-after-invoice-rejected'),
  }),
  spec({
    update: contract.reportPaymentStatus,
    validate: (po, { body, invoiceNumber }) => {
      if (findInvoice(po, invoiceNumber)?.payment?.status === body.status) return; // the same report again changes nothing
      validatePaymentStatus(po, invoiceNumber, parsed(PaymentStatusReport, body));
    },
    decide: decide.paymentStatusReported,
  }),
];

