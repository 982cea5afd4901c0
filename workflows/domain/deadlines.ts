/**
 * The PO's timers as data (docs/domain.md, "Timers"): for a state and an instant, every deadline
 * with when it falls due and what falling due records. The workflow sleeps until the earliest one
 * and records the ones that are due; because the list is computed from the state alone, a restart
 * or a continue-as-new changes nothing.
 */
import { durationToMs, endOfDateMs, instantToMs } from './calendar';
import { cmp } from './money';
import { awaitsIssueApproval } from './approval-tiers';
import { financeDeadlines } from './finance-deadlines';
import { isPaymentHeld } from './holds';
import { SYSTEM } from './system-actor';
import type { BusinessEvent, PoLine, PoState, SupplierNotice } from './state';

export { SYSTEM };

export interface Deadline {
  /** Epoch milliseconds. */
  at: number;
  /** What falling due records; absent for a payment date, which only wakes the PO to pay. */
  record?: BusinessEvent;
  notices?: SupplierNotice[];
}

/** Since when the supplier has been asked to acknowledge: the issue, or the last change that needs a new answer. */
export function awaitingSince(po: PoState): string {
  // An approved PO is sent to the supplier when its last approval arrives: the wait starts then.
  const lastRequest = [...po.timeline].reverse().find((t) => t.type === 'po.issued' || t.type === 'po.changed' || t.type === 'po.change_decided' || t.type === 'po.approved');
  return lastRequest?.at ?? po.createdAt;
}

/** A line is late once the day after its promised (else requested) date, plus the grace, has begun. */
export function lateDeliveryDueAt(line: PoLine, grace: string): number | undefined {
  const date = line.promisedDate ?? line.requestedDate;
  return date === undefined ? undefined : endOfDateMs(date) + durationToMs(grace);
}

/** Goods lines still owed that have a date the supplier is held to. */
function openDatedLines(po: PoState): PoLine[] {
  return po.lines.filter((l) => !l.cancelled && l.kind === 'goods' && (l.promisedDate ?? l.requestedDate) && cmp(l.receivedQuantity, l.confirmedQuantity) < 0);
}

/**
 * Every pending deadline of the PO, in the order they are fired when several are due at once.
 * `now` stamps the events and decides which lines a late-delivery notice names.
 */
export function deadlines(po: PoState, now: number): Deadline[] {
  if (po.cancelled || po.closedAt) return [];
  const slas = po.policy.slas;
  const at = new Date(now).toISOString();
  const result: Deadline[] = [];

  if (po.awaitingAcknowledgement) {
    const issuedAt = awaitingSince(po);
    const since = instantToMs(issuedAt);
    if (!po.reminders.ackReminderSentAt) {
      result.push({
        at: since + durationToMs(slas.ackReminder),
        record: { type: 'acknowledgement.reminder', documentKey: issuedAt, events: [{ type: 'acknowledgement.reminded', at, actor: SYSTEM }] },
        notices: [{ type: 'acknowledgement.reminder', data: { issuedAt, dueBy: new Date(since + durationToMs(slas.ackSla)).toISOString() } }],
      });
    }
    if (!po.reminders.ackEscalatedAt) {
      result.push({
        at: since + durationToMs(slas.ackSla),
        record: {
          type: 'acknowledgement.overdue',
          documentKey: issuedAt,
          events: [{ type: 'acknowledgement.escalated', at, actor: SYSTEM }],
          payload: { buyer: po.buyer, issuedAt, sla: slas.ackSla },
        },
      });
    }
  }

  if (!po.reminders.lateDeliveryNotifiedAt && !po.awaitingAcknowledgement && !awaitsIssueApproval(po)) {
    const dueTimes = openDatedLines(po).map((line) => ({ lineNo: line.lineNo, at: lateDeliveryDueAt(line, slas.lateDeliveryGrace)! }));
    if (dueTimes.length > 0) {
      const earliest = Math.min(...dueTimes.map((d) => d.at));
      // The notice names every line late by now (at least the earliest, once this is due).
      const lineNos = dueTimes.filter((d) => d.at <= now).map((d) => d.lineNo);
      result.push({
        at: earliest,
        record: {
          type: 'delivery.late',
          documentKey: 'late',
          events: [{ type: 'delivery.late', at, actor: SYSTEM, lineNos }],
          payload: { buyer: po.buyer, lineNos },
        },
      });
    }
  }

  for (const exception of po.exceptions) {
    if (exception.status !== 'open' || exception.escalatedAt) continue;
    result.push({
      at: instantToMs(exception.openedAt) + durationToMs(slas.exceptionSla),
      record: {
        type: 'exception.overdue',
        documentKey: exception.id,
        events: [{ type: 'exception.escalated', at, actor: SYSTEM, exceptionId: exception.id }],
        payload: { exceptionId: exception.id, invoiceNumber: exception.invoiceNumber, code: exception.code, openedAt: exception.openedAt, sla: slas.exceptionSla },
      },
    });
  }

  for (const invoice of po.invoices) {
    // A held invoice's payment date wakes nobody: the release pays it (./holds.ts).
    if (invoice.status === 'scheduled' && invoice.payment && !isPaymentHeld(po, invoice)) result.push({ at: instantToMs(invoice.payment.scheduledFor) });
  }
  result.push(...financeDeadlines(po, now));
  return result;
}
