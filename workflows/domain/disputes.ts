/**
 * Invoice disputes (docs/domain.md, "Disputes"): finance disputes an invoice in exception with
 * the supplier; the supplier answers with a message, a credit memo or a corrected invoice (which
 * replaces the disputed one). Every message is on the PO's timeline. A dispute the supplier has
 * not answered within DISPUTE_SLA is escalated once; it is resolved when the invoice no longer
 * has an open exception.
 */
import { durationToMs, instantToMs } from './calendar';
import { conflict, notFound, unprocessable } from './errors';
import { apply } from './lifecycle/apply';
import { isDocumentReplay, validateCreditMemo, validateInvoice } from './lifecycle/validate';
import { findInvoice, openExceptionOf, requireInvoice, sameDocumentNumber } from './lookups';
import { threeWayMatch } from './matching';
import { invoiceVoidJournal } from './ledger';
import { SYSTEM } from './system-actor';
import * as decide from './business-events';
import type { Command, Outcome } from './business-events';
import type * as wire from './schemas';
import type { BusinessEvent, Dispute, PoEvent, PoState, SupplierNotice } from './state';

export const DEFAULT_DISPUTE_SLA = '5d';

export type DisputeOpeningCommand = Command<wire.DisputeOpening> & { invoiceNumber: string };
/** A reply; `documentHash` is the hash of the credit memo or corrected invoice it carries (their duplicate check). */
export type DisputeReplyCommand = Command<wire.DisputeReply> & { invoiceNumber: string; disputeId: string; documentHash?: string };

export function disputeSlaOf(po: PoState): string {
  return po.policy.disputeSla ?? DEFAULT_DISPUTE_SLA;
}

function openDisputeOf(po: PoState, invoiceNumber: string): Dispute | undefined {
  return po.disputes.find((d) => d.status !== 'resolved' && sameDocumentNumber(d.invoiceNumber, invoiceNumber));
}

export function validateDisputeOpening(po: PoState, invoiceNumber: string, _body?: wire.DisputeOpening): void {
  const invoice = findInvoice(po, invoiceNumber);
  if (!invoice) throw notFound('INVOICE_NOT_FOUND', `Invoice ${invoiceNumber} is not on PO ${po.poNumber}`);
  if (!openExceptionOf(po, invoice.invoiceNumber)) {
    throw conflict('NO_OPEN_EXCEPTION', `Invoice ${invoice.invoiceNumber} is ${invoice.status}, not in exception: only an invoice in exception can be disputed`);
  }
  const open = openDisputeOf(po, invoice.invoiceNumber);
  if (open) throw conflict('DISPUTE_ALREADY_OPEN', `Invoice ${invoice.invoiceNumber} is already disputed (${open.id}, ${open.status}); reply on it instead`);
}

export function disputeOpened(po: PoState, { actor, body, invoiceNumber }: DisputeOpeningCommand, at: string): Outcome {
  const invoice = requireInvoice(po, invoiceNumber);
  const n = po.disputes.filter((d) => sameDocumentNumber(d.invoiceNumber, invoice.invoiceNumber)).length + 1;
  const disputeId = `DSP-${invoice.invoiceNumber}-${n}`;
  const respondBy = new Date(instantToMs(at) + durationToMs(disputeSlaOf(po))).toISOString();
  const exception = openExceptionOf(po, invoice.invoiceNumber)!;
  return {
    record: {
      type: 'invoice.disputed',
      documentKey: disputeId,
      events: [{ type: 'dispute.opened', at, actor, disputeId, invoiceNumber: invoice.invoiceNumber, message: body.message }],
      payload: { disputeId, invoiceNumber: invoice.invoiceNumber, message: body.message, respondBy, exception: { id: exception.id, code: exception.code, reasons: exception.reasons } },
    },
    notices: [{ type: 'invoice.disputed', data: { disputeId, invoiceNumber: invoice.invoiceNumber, message: body.message, respondBy, reasons: exception.reasons } }],
  };
}

function requireDispute(po: PoState, disputeId: string, invoiceNumber: string): Dispute {
  const dispute = po.disputes.find((d) => d.id === disputeId && sameDocumentNumber(d.invoiceNumber, invoiceNumber));
  if (!dispute) throw notFound('DISPUTE_NOT_FOUND', `Invoice ${invoiceNumber} on PO ${po.poNumber} has no dispute ${disputeId}`);
  return dispute;
}

export function validateDisputeReply(po: PoState, { body, disputeId, invoiceNumber, documentHash }: Omit<DisputeReplyCommand, 'actor' | 'bodyHash'>): void {
  const dispute = requireDispute(po, disputeId, invoiceNumber);
  if (isReplayedDocument(po, body, documentHash)) return;
  if (dispute.status === 'resolved') throw conflict('DISPUTE_CLOSED', `Dispute ${disputeId} was resolved on ${dispute.resolvedAt}: ${dispute.resolution ?? ''}`);
  if (body.creditMemo) {
    if (!sameDocumentNumber(body.creditMemo.invoiceNumber, dispute.invoiceNumber)) {
      throw unprocessable('UNKNOWN_INVOICE', `Credit memo ${body.creditMemo.creditMemoNumber} must credit the disputed invoice ${dispute.invoiceNumber}, not ${body.creditMemo.invoiceNumber}`);
    }
    validateCreditMemo(po, body.creditMemo);
  }
  if (body.correctedInvoice) {
    if (sameDocumentNumber(body.correctedInvoice.invoiceNumber, dispute.invoiceNumber)) {
      throw conflict('DUPLICATE_INVOICE', `A corrected invoice needs its own number: ${body.correctedInvoice.invoiceNumber} is the disputed invoice`);
    }
    validateInvoice(po, body.correctedInvoice);
  }
}

/** A reply carrying a document already recorded with the same body: a replay that changes nothing. */
function isReplayedDocument(po: PoState, body: wire.DisputeReply, documentHash: string | undefined): boolean {
  if (body.creditMemo) {
    return isDocumentReplay(po.creditMemos.find((m) => m.creditMemoNumber === body.creditMemo!.creditMemoNumber), documentHash ?? '', 'DUPLICATE_CREDIT_MEMO', `Credit memo ${body.creditMemo.creditMemoNumber}`);
  }
  if (body.correctedInvoice) {
    return isDocumentReplay(findInvoice(po, body.correctedInvoice.invoiceNumber), documentHash ?? '', 'DUPLICATE_INVOICE', `Invoice ${body.correctedInvoice.invoiceNumber}`);
  }
  return false;
}

/**
 * The reply, and what it carries: a credit memo is recorded against the disputed invoice; a
 * corrected invoice rejects the disputed one (voiding its AP posting, if any) and is matched in
 * its place.
 */
export function disputeReplied(po: PoState, command: DisputeReplyCommand, at: string): Outcome {
  const { actor, body, disputeId, invoiceNumber, documentHash } = command;
  if (isReplayedDocument(po, body, documentHash)) return { record: null, notices: [] };
  const dispute = requireDispute(po, disputeId, invoiceNumber);
  const replied: PoEvent = {
    type: 'dispute.replied',
    at,
    actor,
    disputeId,
    message: body.message,
    ...(body.creditMemo ? { creditMemoNumber: body.creditMemo.creditMemoNumber } : {}),
    ...(body.correctedInvoice ? { correctedInvoiceNumber: body.correctedInvoice.invoiceNumber } : {}),
  };
  const record: BusinessEvent = {
    type: 'dispute.answered',
    documentKey: `${disputeId}/${dispute.messages.length}`,
    events: [replied],
    payload: { disputeId, invoiceNumber: dispute.invoiceNumber, message: body.message, by: actor.id },
  };
  const notices: SupplierNotice[] = [];
  if (body.creditMemo) {
    const memo = decide.creditMemoReceived(po, { actor, body: body.creditMemo, bodyHash: documentHash ?? '' }, at).record!;
    Object.assign(record, { events: [replied, ...memo.events], journal: memo.journal, payload: { ...record.payload, creditMemo: body.creditMemo } });
  }
  if (body.correctedInvoice) {
    const disputed = requireInvoice(po, dispute.invoiceNumber);
    const reason = `Replaced by corrected invoice ${body.correctedInvoice.invoiceNumber} (dispute ${disputeId})`;
    const rejected: PoEvent = { type: 'invoice.resolved', at, actor: SYSTEM, invoiceNumber: disputed.invoiceNumber, action: 'reject', reason };
    const afterReject = apply(po, rejected);
    const match = threeWayMatch({ state: afterReject, invoice: body.correctedInvoice, at });
    const received: PoEvent = { type: 'invoice.received', at, actor, invoice: body.correctedInvoice, bodyHash: documentHash ?? '', match };
    Object.assign(record, {
      events: [replied, rejected, received],
      document: { kind: 'invoice', invoiceNumber: body.correctedInvoice.invoiceNumber },
      journal: disputed.postedAt ? invoiceVoidJournal(po, disputed.invoiceNumber) : null,
      payload: { ...record.payload, correctedInvoice: body.correctedInvoice, match },
    });
    if (match.status === 'exception') notices.push({ type: 'invoice.exception', data: { invoiceNumber: body.correctedInvoice.invoiceNumber, match } });
  }
  return { record, notices };
}

/** The SLA: a dispute the supplier has not answered is escalated once (outbox dispute.overdue, the supplier reminded). */
export function disputeDeadlines(po: PoState, now: number): { at: number; record: BusinessEvent; notices: SupplierNotice[] }[] {
  const at = new Date(now).toISOString();
  const sla = disputeSlaOf(po);
  return po.disputes
    .filter((d) => d.status === 'open' && !d.escalatedAt)
    .map((dispute) => ({
      at: instantToMs(dispute.openedAt) + durationToMs(sla),
      record: {
        type: 'dispute.overdue',
        documentKey: dispute.id,
        events: [{ type: 'dispute.escalated', at, actor: SYSTEM, disputeId: dispute.id }],
        payload: { disputeId: dispute.id, invoiceNumber: dispute.invoiceNumber, openedAt: dispute.openedAt, sla },
      },
      notices: [{ type: 'dispute.overdue', data: { disputeId: dispute.id, invoiceNumber: dispute.invoiceNumber, openedAt: dispute.openedAt, sla } }],
    }));
}

