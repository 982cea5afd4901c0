/**
 * Folding the finance controls: approvals, payment holds, returns to vendor, debit notes and
 * disputes (docs/domain.md). Called by `apply` (./apply.ts) on a copy of the state.
 */
import { findInvoice, findLine, openExceptionOf, requireInvoice } from '../lookups';
import { add, formatQuantity, max, sub } from '../money';
import type { PoEvent, PoEventOf, PoState } from '../state';
import { applyCreditMemo } from './apply-invoices';

type FinanceEvent = Extract<
  PoEvent,
  {
    type:
      | 'approval.requested'
      | 'approval.decided'
      | 'po.approved'
      | 'approval.escalated'
      | 'invoice.hold_placed'
      | 'invoice.hold_released'
      | 'supplier_hold.placed'
      | 'supplier_hold.released'
      | 'payment.replanned'
      | 'goods.returned'
      | 'credit_memo.settled'
      | 'dispute.opened'
      | 'dispute.replied'
      | 'dispute.escalated';
  }
>;

export function isFinanceEvent(event: PoEvent): event is FinanceEvent {
  return FINANCE_EVENTS.has(event.type);
}

const FINANCE_EVENTS = new Set<string>([
  'approval.requested',
  'approval.decided',
  'po.approved',
  'approval.escalated',
  'invoice.hold_placed',
  'invoice.hold_released',
  'supplier_hold.placed',
  'supplier_hold.released',
  'payment.replanned',
  'goods.returned',
  'credit_memo.settled',
  'dispute.opened',
  'dispute.replied',
  'dispute.escalated',
]);

/** Mutates the (already copied) state; returns the timeline detail. */
export function applyFinance(state: PoState, event: FinanceEvent): string {
  switch (event.type) {
    case 'approval.requested':
      state.approvals.push(event.request);
      return `Change order raises the PO to ${event.request.currency} ${event.request.total}: held for ${event.request.requiredApprovals} approval(s) (${event.request.id})`;
    case 'approval.decided': {
      const request = state.approvals.find((r) => r.id === event.requestId)!;
      request.decisions.push({ decision: event.decision, reason: event.reason, by: event.actor, at: event.at });
      if (event.decision === 'reject') {
        request.status = 'rejected';
        request.decidedAt = event.at;
        return `${request.id} rejected by ${event.actor.id}: ${event.reason}`;
      }
      return `${request.id} approved by ${event.actor.id} (${request.decisions.filter((d) => d.decision === 'approve').length} of ${request.requiredApprovals}): ${event.reason}`;
    }
    case 'po.approved': {
      const request = state.approvals.find((r) => r.id === event.requestId)!;
      request.status = 'approved';
      request.decidedAt = event.at;
      if (request.subject === 'issue') {
        // Only now does the supplier see the PO: its acknowledgement (and the timers) start here.
        state.awaitingAcknowledgement = true;
        delete state.reminders.ackReminderSentAt;
        delete state.reminders.ackEscalatedAt;
        return `PO approved (${request.id}) and sent to ${state.supplierId}`;
      }
      return `Change order approved (${request.id}) and sent to ${state.supplierId}`;
    }
    case 'approval.escalated': {
      const request = state.approvals.find((r) => r.id === event.requestId)!;
      request.escalatedAt = event.at;
      return `${request.id} overdue: escalated to the approvers`;
    }
    case 'invoice.hold_placed': {
      const invoice = requireInvoice(state, event.invoiceNumber);
      invoice.hold = event.hold;
      return `Payment of invoice ${invoice.invoiceNumber} held: ${event.hold.reason}${event.hold.releaseOn ? ` (until ${event.hold.releaseOn})` : ''}`;
    }
    case 'invoice.hold_released': {
      const invoice = requireInvoice(state, event.invoiceNumber);
      delete invoice.hold;
      return `Payment hold on invoice ${invoice.invoiceNumber} released${event.reason ? `: ${event.reason}` : ''}`;
    }
    case 'supplier_hold.placed':
      state.supplierHold = event.hold;
      return `Supplier ${state.supplierId} on payment hold (${event.hold.holdId}): ${event.hold.reason}`;
    case 'supplier_hold.released':
      delete state.supplierHold;
      return `Supplier payment hold ${event.holdId} released${event.reason ? `: ${event.reason}` : ''}`;
    case 'payment.replanned': {
      const invoice = requireInvoice(state, event.invoiceNumber);
      if (invoice.payment) invoice.payment = { ...invoice.payment, ...event.plan, discountLost: event.discountLost };
      return `Invoice ${invoice.invoiceNumber}: discount ${event.discountLost} lost (held past ${event.plan.discountDate}); ${event.plan.amount} paid at release`;
    }
    case 'goods.returned':
      return applyReturn(state, event);
    case 'credit_memo.settled': {
      const note = state.creditMemos.find((m) => m.creditMemoNumber === event.debitNoteNumber)!;
      note.settledBy = { creditMemoNumber: event.creditMemo.creditMemoNumber, total: event.creditMemo.total, bodyHash: event.bodyHash, at: event.at, by: event.actor };
      return `Credit memo ${event.creditMemo.creditMemoNumber} (${event.creditMemo.total}) settles debit note ${note.creditMemoNumber}`;
    }
    case 'dispute.opened':
      state.disputes.push({ id: event.disputeId, invoiceNumber: event.invoiceNumber, status: 'open', openedAt: event.at, openedBy: event.actor, messages: [{ at: event.at, by: event.actor, message: event.message }] });
      return `Invoice ${event.invoiceNumber} disputed (${event.disputeId}): ${event.message}`;
    case 'dispute.replied': {
      const dispute = state.disputes.find((d) => d.id === event.disputeId)!;
      dispute.messages.push({
        at: event.at,
        by: event.actor,
        message: event.message,
        ...(event.creditMemoNumber ? { creditMemoNumber: event.creditMemoNumber } : {}),
        ...(event.correctedInvoiceNumber ? { correctedInvoiceNumber: event.correctedInvoiceNumber } : {}),
      });
      if (dispute.status !== 'resolved') dispute.status = event.actor.role === 'supplier' ? 'answered' : 'open';
      const carried = event.creditMemoNumber ? ` with credit memo ${event.creditMemoNumber}` : event.correctedInvoiceNumber ? ` with corrected invoice ${event.correctedInvoiceNumber}` : '';
      return `${event.disputeId}: ${event.actor.id} answered${carried}: ${event.message}`;
    }
    case 'dispute.escalated': {
      const dispute = state.disputes.find((d) => d.id === event.disputeId)!;
      dispute.escalatedAt = event.at;
      return `${dispute.id} unanswered by the supplier: escalated`;
    }
  }
}

function applyReturn(state: PoState, event: PoEventOf<'goods.returned'>): string {
  const { goodsReturn } = event;
  state.returns.push({ ...goodsReturn, bodyHash: event.bodyHash, returnedAt: event.at, by: event.actor, debitNotes: event.debitNotes.map((n) => n.creditMemoNumber) });
  for (const returnLine of goodsReturn.lines) {
    const line = findLine(state, returnLine.lineNo);
    if (!line) continue;
    line.receivedQuantity = formatQuantity(sub(line.receivedQuantity, returnLine.quantity));
    line.returnedQuantity = formatQuantity(add(line.returnedQuantity, returnLine.quantity));
    if (!goodsReturn.replacement) {
      // Not replaced: the returned goods are no longer ordered.
      line.quantity = formatQuantity(max(0, sub(line.quantity, returnLine.quantity)));
      line.confirmedQuantity = formatQuantity(max(0, sub(line.confirmedQuantity, returnLine.quantity)));
    }
  }
  for (const note of event.debitNotes) {
    applyCreditMemo(state, { type: 'credit_memo.received', at: event.at, actor: event.actor, creditMemo: note, bodyHash: event.bodyHash });
    const record = state.creditMemos.at(-1)!;
    record.kind = 'debit_note';
    record.rmaNumber = goodsReturn.rmaNumber;
  }
  const lines = goodsReturn.lines.map((l) => `line ${l.lineNo}: ${formatQuantity(l.quantity)}`).join(', ');
  const notes = event.debitNotes.map((n) => `; debit note ${n.creditMemoNumber} ${n.total} against invoice ${n.invoiceNumber}`).join('');
  return `Return ${goodsReturn.rmaNumber} to the supplier (${lines})${goodsReturn.replacement ? ', replacement owed' : ''}: ${goodsReturn.reason}${notes}`;
}

/** A dispute ends when its invoice no longer has an open exception (approved, rejected, re-matched, replaced). */
export function resolveSettledDisputes(state: PoState, at: string): void {
  for (const dispute of state.disputes) {
    if (dispute.status === 'resolved' || openExceptionOf(state, dispute.invoiceNumber)) continue;
    const invoice = findInvoice(state, dispute.invoiceNumber);
    dispute.status = 'resolved';
    dispute.resolvedAt = at;
    dispute.resolution = `Invoice ${dispute.invoiceNumber} ${invoice?.status ?? 'settled'}`;
  }
}

