/**
 * The purchase order's life as a fold over events: `apply(state, event)` returns the next state.
 * Pure and deterministic: times come from events; no I/O, no clocks, no randomness. Which
 * commands are allowed is `./validate.ts`; what users see (status, total) is `./views.ts`.
 */
import { add, formatQuantity, isZero, sum } from '../money';
import { creditMemosFor, findLine, liveInvoices, netInvoiceLineQuantity, requireInvoice } from '../lookups';
import type { CreatePurchaseOrder } from '../schemas';
import type { AcknowledgementRecord, InvoiceState, PoEvent, PoEventOf, PoLine, PoState } from '../state';
import { applyCreditMemo, applyInvoiceReceived, applyPaymentStatus, applyRematch, applyResolution, rejectHeldInvoices } from './apply-invoices';
import { poTotal } from './views';
import { initialApprovalRequest } from '../approval-tiers';
import { applyFinance, isFinanceEvent, resolveSettledDisputes } from './apply-finance';

type IssuedEvent = PoEventOf<'po.issued'>;
type EventOf<T extends PoEvent['type']> = PoEventOf<T>;

/** A PO line as issued or added by a change order: nothing confirmed, shipped or received yet. */
export function newLine(line: Pick<CreatePurchaseOrder['lines'][number], 'lineNo' | 'sku' | 'description' | 'quantity' | 'unitPrice' | 'requestedDate'> & {
  kind?: PoLine['kind'];
  uom?: string;
}): PoLine {
  return {
    lineNo: line.lineNo,
    sku: line.sku,
    ...(line.description !== undefined ? { description: line.description } : {}),
    kind: line.kind ?? 'goods',
    uom: line.uom ?? 'EA',
    quantity: formatQuantity(line.quantity),
    unitPrice: line.unitPrice,
    ...(line.requestedDate !== undefined ? { requestedDate: line.requestedDate } : {}),
    confirmedQuantity: '0',
    agreedUnitPrice: line.unitPrice,
    shippedQuantity: '0',
    receivedQuantity: '0',
    rejectedQuantity: '0',
    invoicedQuantity: '0',
    paidQuantity: '0',
    returnedQuantity: '0',
    cancelled: false,
  };
}

export function initialState(event: IssuedEvent): PoState {
  const { po } = event;
  const lines: PoLine[] = po.lines.map(newLine);
  // Above an approval tier the PO waits for its approvers before the supplier is asked anything.
  const approval = initialApprovalRequest(event);
  const state: PoState = {
    poNumber: po.poNumber,
    supplierId: po.supplierId,
    currency: po.currency,
    ...(po.buyer !== undefined ? { buyer: po.buyer } : {}),
    requestHash: event.requestHash,
    createdAt: event.at,
    policy: event.policy,
    awaitingAcknowledgement: approval === undefined,
    acknowledgement: null,
    pendingChanges: null,
    cancelled: null,
    closedAt: null,
    lines,
    asns: [],
    receipts: [],
    invoices: [],
    creditMemos: [],
    exceptions: [],
    changeOrders: [],
    timeline: [],
    approvals: approval ? [approval] : [],
    ...(event.policy.supplierHold ? { supplierHold: event.policy.supplierHold } : {}),
    returns: [],
    disputes: [],
    reminders: {},
  };
  state.timeline.push({
    at: event.at,
    type: event.type,
    actor: event.actor.id,
    detail:
      `PO ${po.poNumber} issued to ${po.supplierId}: ${lines.length} line(s), ${po.currency} ${poTotal(state)}` +
      (approval ? `; waiting for ${approval.requiredApprovals} approval(s) before it is sent` : ''),
  });
  return state;
}

/**
 * A state carried over by continue-as-new from a run older than the finance controls lacks their
 * fields; every later fold and view expects them (docs/architecture.md, "Continue-as-new").
 */
export function normaliseState(state: PoState): PoState {
  const missing = state.approvals === undefined || state.returns === undefined || state.disputes === undefined || state.lines.some((line) => line.returnedQuantity === undefined);
  if (!missing) return state;
  return {
    ...state,
    approvals: state.approvals ?? [],
    returns: state.returns ?? [],
    disputes: state.disputes ?? [],
    lines: state.lines.map((line) => ({ ...line, returnedQuantity: line.returnedQuantity ?? '0' })),
  };
}

/** The state is plain JSON (it travels as a Temporal payload), so a JSON copy is a deep copy. */
function copy(state: PoState): PoState {
  return JSON.parse(JSON.stringify(state)) as PoState;
}

export function apply(state: PoState, event: PoEvent): PoState {
  if (event.type === 'po.issued') return initialState(event);
  const next = copy(state);
  const detail = isFinanceEvent(event) ? applyFinance(next, event) : applyInPlace(next, event);
  recomputeInvoicedAndPaid(next);
  resolveSettledDisputes(next, event.at);
  next.timeline.push({ at: event.at, type: event.type, actor: event.actor.id, ...(detail ? { detail } : {}) });
  return next;
}

/** Mutates the (already copied) state; returns the timeline detail. */
function applyInPlace(state: PoState, event: Exclude<PoEvent, IssuedEvent | Parameters<typeof applyFinance>[1]>): string | undefined {
  switch (event.type) {
    case 'po.acknowledged':
      return applyAcknowledgement(state, event);
    case 'po.change_decided':
      return applyChangeDecision(state, event);
    case 'po.changed':
      return applyChangeOrder(state, event);
    case 'po.cancelled':
      state.cancelled = { at: event.at, by: event.actor, reason: event.reason };
      state.awaitingAcknowledgement = false;
      state.pendingChanges = null;
      rejectHeldInvoices(state, event);
      return `Cancelled: ${event.reason}`;
    case 'asn.received': {
      state.asns.push({ ...event.asn, bodyHash: event.bodyHash, receivedAt: event.at, by: event.actor });
      for (const asnLine of event.asn.lines) {
        const line = findLine(state, asnLine.lineNo);
        if (line) line.shippedQuantity = formatQuantity(add(line.shippedQuantity, asnLine.quantity));
      }
      return `ASN ${event.asn.asnNumber} shipped ${describeQuantities(event.asn.lines.map((l) => [l.lineNo, l.quantity]))}`;
    }
    case 'goods.received': {
      const { receivedAt, ...receipt } = event.receipt;
      state.receipts.push({ ...receipt, receivedAt: receivedAt ?? event.at, bodyHash: event.bodyHash, by: event.actor });
      for (const receiptLine of event.receipt.lines) {
        const line = findLine(state, receiptLine.lineNo);
        if (!line) continue;
        line.receivedQuantity = formatQuantity(add(line.receivedQuantity, receiptLine.quantityReceived));
        line.rejectedQuantity = formatQuantity(add(line.rejectedQuantity, receiptLine.quantityRejected ?? '0'));
      }
      return `Receipt ${event.receipt.receiptNumber} accepted ${describeQuantities(event.receipt.lines.map((l) => [l.lineNo, l.quantityReceived]))}`;
    }
    case 'invoice.received':
      return applyInvoiceReceived(state, event);
    case 'invoice.rematched':
      return applyRematch(state, event);
    case 'credit_memo.received':
      return applyCreditMemo(state, event);
    case 'invoice.resolved':
      return applyResolution(state, event);
    case 'invoice.posted': {
      const invoice = requireInvoice(state, event.invoiceNumber);
      invoice.postedAt = event.at;
      return `Invoice ${invoice.invoiceNumber} posted to AP`;
    }
    case 'payment.scheduled': {
      const invoice = requireInvoice(state, event.invoiceNumber);
      // A retry after a failed payment was already moved to the next attempt by the resolution.
      invoice.payment = { ...event.plan, status: 'scheduled', attempt: invoice.payment?.attempt ?? 1 };
      invoice.status = 'scheduled';
      return `Invoice ${invoice.invoiceNumber}: ${event.plan.amount} scheduled for ${event.plan.scheduledFor}` +
        (isZero(event.plan.discount) ? '' : ` (discount ${event.plan.discount})`);
    }
    case 'payment.executed': {
      const invoice = requireInvoice(state, event.invoiceNumber);
      if (invoice.payment) {
        invoice.payment = { ...invoice.payment, status: 'executed', paymentId: event.paymentId, executedAt: event.at };
      }
      invoice.status = 'paid';
      return `Invoice ${invoice.invoiceNumber} paid, payment ${event.paymentId}`;
    }
    case 'payment.status_reported':
      return applyPaymentStatus(state, event);
    case 'exception.escalated': {
      const exception = state.exceptions.find((e) => e.id === event.exceptionId);
      if (exception) exception.escalatedAt = event.at;
      return `Exception ${event.exceptionId} escalated`;
    }
    case 'acknowledgement.reminded':
      state.reminders.ackReminderSentAt = event.at;
      return 'Supplier reminded to acknowledge';
    case 'acknowledgement.escalated':
      state.reminders.ackEscalatedAt = event.at;
      return 'Acknowledgement overdue: escalated to the buyer';
    case 'delivery.late':
      state.reminders.lateDeliveryNotifiedAt = event.at;
      return `Delivery late on line(s) ${event.lineNos.join(', ')}`;
    case 'po.closed':
      state.closedAt = event.at;
      return 'PO closed: fully received, invoiced and paid';
  }
}

function describeQuantities(lines: [number, string][]): string {
  return lines.map(([lineNo, quantity]) => `line ${lineNo}: ${formatQuantity(quantity)}`).join(', ');
}

/** A (new) acknowledgement is required: its reminder and escalation timers start over. */
function requireAcknowledgement(state: PoState): void {
  state.awaitingAcknowledgement = true;
  state.pendingChanges = null;
  delete state.reminders.ackReminderSentAt;
  delete state.reminders.ackEscalatedAt;
}

function applyAcknowledgement(state: PoState, event: EventOf<'po.acknowledged'>): string {
  const ack = event.acknowledgement;
  const record: AcknowledgementRecord = {
    type: ack.type,
    ...(ack.reason !== undefined ? { reason: ack.reason } : {}),
    ...(ack.lines !== undefined ? { lines: ack.lines } : {}),
    at: event.at,
    by: event.actor,
  };
  state.acknowledgement = record;
  state.awaitingAcknowledgement = false;
  if (ack.type === 'reject') {
    state.cancelled = { at: event.at, by: event.actor, reason: ack.reason ?? 'Rejected by the supplier' };
    state.pendingChanges = null;
    rejectHeldInvoices(state, { at: event.at, actor: event.actor, reason: state.cancelled.reason });
    return `Supplier rejected the PO: ${ack.reason ?? ''}`.trim();
  }
  if (ack.type === 'accept_with_changes') {
    state.pendingChanges = record;
    return `Supplier proposed changes on line(s) ${(ack.lines ?? []).filter((l) => l.status !== 'accepted').map((l) => l.lineNo).join(', ')}`;
  }
  for (const line of state.lines) {
    if (line.cancelled) continue;
    const ackLine = ack.lines?.find((l) => l.lineNo === line.lineNo);
    line.confirmedQuantity = line.quantity;
    line.acknowledgementStatus = 'accepted';
    if (ackLine?.promisedDate !== undefined) line.promisedDate = ackLine.promisedDate;
  }
  return 'Supplier accepted the PO as ordered';
}

function applyChangeDecision(state: PoState, event: EventOf<'po.change_decided'>): string {
  const proposal = state.pendingChanges;
  const decision = { decision: event.decision, ...(event.reason !== undefined ? { reason: event.reason } : {}), at: event.at, by: event.actor };
  if (proposal) state.acknowledgement = { ...proposal, decision };
  if (event.decision === 'reject') {
    requireAcknowledgement(state);
    return `Buyer rejected the supplier's changes${event.reason ? `: ${event.reason}` : ''}; a new acknowledgement is required`;
  }
  state.pendingChanges = null;
  state.awaitingAcknowledgement = false;
  for (const line of state.lines) {
    if (line.cancelled) continue;
    const proposed = proposal?.lines?.find((l) => l.lineNo === line.lineNo);
    const status = proposed?.status ?? 'accepted';
    line.acknowledgementStatus = status;
    if (proposed?.promisedDate !== undefined) line.promisedDate = proposed.promisedDate;
    switch (status) {
      case 'accepted':
        line.confirmedQuantity = line.quantity;
        break;
      case 'changed':
        line.confirmedQuantity = formatQuantity(proposed?.quantity ?? line.quantity);
        line.agreedUnitPrice = proposed?.unitPrice ?? line.unitPrice;
        break;
      case 'backordered':
        line.confirmedQuantity = formatQuantity(proposed?.quantity ?? line.quantity);
        break;
      case 'rejected':
        line.cancelled = true;
        line.confirmedQuantity = '0';
        break;
    }
  }
  return `Buyer approved the supplier's changes${event.reason ? `: ${event.reason}` : ''}`;
}

function applyChangeOrder(state: PoState, event: EventOf<'po.changed'>): string {
  const afterFirstReceipt = state.receipts.length > 0;
  state.changeOrders.push({ ...event.changeOrder, at: event.at, by: event.actor });
  for (const change of event.changeOrder.lines) {
    const line = findLine(state, change.lineNo);
    if (change.action === 'cancel') {
      if (!line) continue;
      line.cancelled = true;
      // Short-close: what arrived (goods) or was billed (services) is what the PO now confirms.
      if (afterFirstReceipt) line.confirmedQuantity = line.kind === 'goods' ? line.receivedQuantity : line.invoicedQuantity;
      continue;
    }
    if (!line) {
      state.lines.push(
        newLine({ ...change, sku: change.sku ?? '', quantity: change.quantity ?? '0', unitPrice: change.unitPrice ?? '0' }),
      );
      continue;
    }
    if (change.quantity !== undefined) line.quantity = formatQuantity(change.quantity);
    if (change.unitPrice !== undefined) {
      // The buyer's new price is what the supplier is asked to acknowledge.
      line.unitPrice = change.unitPrice;
      line.agreedUnitPrice = change.unitPrice;
    }
    if (change.requestedDate !== undefined) line.requestedDate = change.requestedDate;
    if (change.description !== undefined) line.description = change.description;
  }
  state.lines.sort((a, b) => a.lineNo - b.lineNo);
  if (!afterFirstReceipt) {
    // Before any receipt a change order is a new offer: the supplier acknowledges it again.
    requireAcknowledgement(state);
    for (const line of state.lines) line.confirmedQuantity = '0';
    return `Buyer changed line(s) ${event.changeOrder.lines.map((l) => l.lineNo).join(', ')}; a new acknowledgement is required`;
  }
  return `Buyer short-closed line(s) ${event.changeOrder.lines.map((l) => l.lineNo).join(', ')}`;
}

/** Invoiced = non-rejected invoices net of their credit memos; paid = paid invoices, also net. */
function recomputeInvoicedAndPaid(state: PoState): void {
  const live = liveInvoices(state);
  const paid = live.filter((invoice) => invoice.status === 'paid');
  const netOn = (invoices: InvoiceState[], lineNo: number) =>
    formatQuantity(sum(invoices.map((invoice) => netInvoiceLineQuantity(invoice.lines, creditMemosFor(state, invoice.invoiceNumber), lineNo))));
  for (const line of state.lines) {
    line.invoicedQuantity = netOn(live, line.lineNo);
    line.paidQuantity = netOn(paid, line.lineNo);
  }
}

