/**
 * The purchase order's life as a fold over events (SPEC §2): `apply(state, event)` returns the
 * next state, the status users see is derived from line quantities and invoice states, and one
 * `validate*` function per command refuses what the business does not allow, before the
 * workflow does anything with side effects.
 *
 * Pure and deterministic: times come from events; no I/O, no clocks, no randomness.
 */
import { conflict, notFound, unprocessable } from './errors';
import { allReasons, committedQuantity, creditMemosFor, findInvoice, findLine, isInvoiceableLine, netInvoiceLineQuantity, sameDocumentNumber } from './matching';
import { add, cmp, formatPrice, formatQuantity, isPositive, isZero, max, mul, round2, roundCents, sub, sum } from './money';
import { replanAmounts } from './payment-terms';
import type {
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
} from './schemas';
import type {
  AcknowledgementRecord,
  ExceptionState,
  InvoiceState,
  PoEvent,
  PoLine,
  PoState,
  PoStatus,
  PoView,
} from './state';

export { findInvoice, findLine } from './matching';

type IssuedEvent = Extract<PoEvent, { type: 'po.issued' }>;
type EventOf<T extends PoEvent['type']> = Extract<PoEvent, { type: T }>;

// ---------------------------------------------------------------------------------------------
// Folding events
// ---------------------------------------------------------------------------------------------

export function initialState(event: IssuedEvent): PoState {
  const { po } = event;
  const lines: PoLine[] = po.lines.map((line) => ({
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
    cancelled: false,
  }));
  const state: PoState = {
    poNumber: po.poNumber,
    supplierId: po.supplierId,
    currency: po.currency,
    ...(po.buyer !== undefined ? { buyer: po.buyer } : {}),
    requestHash: event.requestHash,
    createdAt: event.at,
    policy: event.policy,
    awaitingAcknowledgement: true,
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
    reminders: {},
  };
  state.timeline.push({
    at: event.at,
    type: event.type,
    actor: event.actor.id,
    detail: `PO ${po.poNumber} issued to ${po.supplierId}: ${lines.length} line(s), ${po.currency} ${poTotal(state)}`,
  });
  return state;
}

/** The state is plain JSON (it travels as a Temporal payload), so a JSON copy is a deep copy. */
function copy(state: PoState): PoState {
  return JSON.parse(JSON.stringify(state)) as PoState;
}

export function apply(state: PoState, event: PoEvent): PoState {
  if (event.type === 'po.issued') return initialState(event);
  const next = copy(state);
  const detail = applyInPlace(next, event);
  recomputeInvoicedAndPaid(next);
  next.timeline.push({ at: event.at, type: event.type, actor: event.actor.id, ...(detail ? { detail } : {}) });
  return next;
}

/** Mutates the (already copied) state; returns the timeline detail. */
function applyInPlace(state: PoState, event: Exclude<PoEvent, IssuedEvent>): string | undefined {
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

function requireInvoice(state: PoState, invoiceNumber: string): InvoiceState {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw new Error(`Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  return invoice;
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
      state.lines.push({
        lineNo: change.lineNo,
        sku: change.sku ?? '',
        ...(change.description !== undefined ? { description: change.description } : {}),
        kind: change.kind ?? 'goods',
        uom: change.uom ?? 'EA',
        quantity: formatQuantity(change.quantity ?? '0'),
        unitPrice: change.unitPrice ?? '0',
        ...(change.requestedDate !== undefined ? { requestedDate: change.requestedDate } : {}),
        confirmedQuantity: '0',
        agreedUnitPrice: change.unitPrice ?? '0',
        shippedQuantity: '0',
        receivedQuantity: '0',
        rejectedQuantity: '0',
        invoicedQuantity: '0',
        paidQuantity: '0',
        cancelled: false,
      });
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

function openException(state: PoState, invoice: InvoiceState, code: ExceptionState['code'], at: string, reasons: ExceptionState['reasons']): ExceptionState {
  const n = state.exceptions.filter((e) => e.invoiceNumber !== undefined && sameDocumentNumber(e.invoiceNumber, invoice.invoiceNumber)).length + 1;
  const exception: ExceptionState = { id: `EXC-${invoice.invoiceNumber}-${n}`, code, invoiceNumber: invoice.invoiceNumber, status: 'open', openedAt: at, reasons };
  state.exceptions.push(exception);
  return exception;
}

function openExceptionOf(state: PoState, invoiceNumber: string, code?: ExceptionState['code']): ExceptionState | undefined {
  return [...state.exceptions]
    .reverse()
    .find((e) => e.status === 'open' && e.invoiceNumber !== undefined && sameDocumentNumber(e.invoiceNumber, invoiceNumber) && (code === undefined || e.code === code));
}

/**
 * A cancelled PO ends its workflow: invoices still waiting for goods or for finance would stay
 * pending (and their exceptions open, counted in KPIs) forever. Nothing of them was posted (a PO
 * with posted or approved invoices cannot be cancelled), so they are rejected with the PO.
 */
function rejectHeldInvoices(state: PoState, event: { at: string; actor: PoEvent['actor']; reason: string }): void {
  const reason = `PO cancelled: ${event.reason}`;
  for (const invoice of state.invoices) {
    if ((invoice.status !== 'pending_receipt' && invoice.status !== 'exception') || invoice.postedAt !== undefined) continue;
    invoice.status = 'rejected';
    invoice.resolution = { action: 'reject', reason, by: event.actor, at: event.at };
    for (const exception of state.exceptions) {
      if (exception.status !== 'open' || exception.invoiceNumber === undefined || !sameDocumentNumber(exception.invoiceNumber, invoice.invoiceNumber)) continue;
      Object.assign(exception, { status: 'rejected', resolvedAt: event.at, resolvedBy: event.actor, resolution: reason });
    }
  }
}

function applyInvoiceReceived(state: PoState, event: EventOf<'invoice.received'>): string {
  const body: Invoice = event.invoice;
  const invoice: InvoiceState = {
    invoiceNumber: body.invoiceNumber,
    invoiceDate: body.invoiceDate,
    currency: body.currency,
    lines: body.lines,
    freight: body.freight ?? '0',
    tax: body.tax ?? '0',
    total: body.total,
    bodyHash: event.bodyHash,
    submittedAt: event.at,
    submittedBy: event.actor,
    status: event.match.status === 'matched' ? 'approved' : event.match.status,
    match: event.match,
    creditedTotal: '0.00',
    payment: null,
  };
  state.invoices.push(invoice);
  if (event.match.status === 'exception') {
    const exception = openException(state, invoice, 'MATCH_EXCEPTION', event.at, allReasons(event.match));
    return `Invoice ${invoice.invoiceNumber} (${invoice.total}) held: ${exception.reasons.map((r) => r.code).join(', ')}`;
  }
  return event.match.status === 'matched'
    ? `Invoice ${invoice.invoiceNumber} (${invoice.total}) matched`
    : `Invoice ${invoice.invoiceNumber} (${invoice.total}) waiting for goods`;
}

function applyRematch(state: PoState, event: EventOf<'invoice.rematched'>): string {
  const invoice = requireInvoice(state, event.invoiceNumber);
  invoice.match = event.match;
  const open = openExceptionOf(state, invoice.invoiceNumber, 'MATCH_EXCEPTION');
  const held = invoice.status === 'pending_receipt' || (invoice.status === 'exception' && open !== undefined);
  if (!held) return `Invoice ${invoice.invoiceNumber} re-matched: ${event.match.status}`;
  if (event.match.status === 'exception') {
    invoice.status = 'exception';
    if (open) open.reasons = allReasons(event.match);
    else openException(state, invoice, 'MATCH_EXCEPTION', event.at, allReasons(event.match));
    return `Invoice ${invoice.invoiceNumber} re-matched: held with ${allReasons(event.match).map((r) => r.code).join(', ')}`;
  }
  if (open) {
    // The documents now agree (goods arrived, a credit memo fixed the quantity): nobody needs to decide.
    open.status = 'resolved';
    open.resolvedAt = event.at;
    open.resolvedBy = event.actor;
    open.resolution = 'Re-matched within tolerance after a receipt or credit memo';
  }
  invoice.status = event.match.status === 'matched' ? 'approved' : 'pending_receipt';
  return `Invoice ${invoice.invoiceNumber} re-matched: ${event.match.status}`;
}

function applyCreditMemo(state: PoState, event: EventOf<'credit_memo.received'>): string {
  const memo: CreditMemo = event.creditMemo;
  state.creditMemos.push({ ...memo, bodyHash: event.bodyHash, receivedAt: event.at, by: event.actor });
  const invoice = findInvoice(state, memo.invoiceNumber);
  if (!invoice) return `Credit memo ${memo.creditMemoNumber} (${memo.total}) for unknown invoice ${memo.invoiceNumber}`;
  // Each memo reaches AP in whole cents (its journal debits AP round2(total)); summing the rounded
  // amounts keeps what is paid equal to what AP holds, so a paid invoice leaves AP at 0.
  invoice.creditedTotal = formatPrice(add(invoice.creditedTotal, roundCents(memo.total)));
  if (invoice.payment?.status === 'scheduled') {
    invoice.payment = { ...invoice.payment, ...replanAmounts(invoice.payment, invoice, state.policy.paymentTerms) };
  }
  return `Credit memo ${memo.creditMemoNumber} (${memo.total}) against invoice ${invoice.invoiceNumber}`;
}

function applyResolution(state: PoState, event: EventOf<'invoice.resolved'>): string {
  const invoice = requireInvoice(state, event.invoiceNumber);
  const exception = openExceptionOf(state, invoice.invoiceNumber);
  invoice.resolution = { action: event.action, reason: event.reason, by: event.actor, at: event.at };
  if (exception) {
    exception.status = event.action === 'approve' ? 'approved' : 'rejected';
    exception.resolvedAt = event.at;
    exception.resolvedBy = event.actor;
    exception.resolution = event.reason;
  }
  if (event.action === 'reject') {
    invoice.status = 'rejected';
    return `Invoice ${invoice.invoiceNumber} rejected: ${event.reason}`;
  }
  if (exception?.code === 'PAYMENT_FAILED' && invoice.payment) {
    // Pay again: the next attempt gets its own idempotency key at the AP tool.
    const { paymentId: _paymentId, executedAt: _executedAt, ...previous } = invoice.payment;
    invoice.payment = { ...previous, status: 'failed', attempt: invoice.payment.attempt + 1 };
  }
  invoice.status = 'approved';
  return `Invoice ${invoice.invoiceNumber} approved by finance: ${event.reason}`;
}

function applyPaymentStatus(state: PoState, event: EventOf<'payment.status_reported'>): string {
  const invoice = requireInvoice(state, event.invoiceNumber);
  if (!invoice.payment) return `Payment status ${event.status} reported for unpaid invoice ${invoice.invoiceNumber}`;
  invoice.payment = { ...invoice.payment, status: event.status, ...(event.reference !== undefined ? { reference: event.reference } : {}) };
  if (event.status === 'failed') {
    invoice.status = 'exception';
    openException(state, invoice, 'PAYMENT_FAILED', event.at, []);
    return `Payment of invoice ${invoice.invoiceNumber} failed${event.reference ? ` (${event.reference})` : ''}`;
  }
  return `Payment of invoice ${invoice.invoiceNumber} ${event.status}`;
}

/** Invoiced = non-rejected invoices net of their credit memos; paid = paid invoices, also net. */
function recomputeInvoicedAndPaid(state: PoState): void {
  const live = state.invoices.filter((invoice) => invoice.status !== 'rejected');
  const paid = live.filter((invoice) => invoice.status === 'paid');
  const netOn = (invoices: InvoiceState[], lineNo: number) =>
    formatQuantity(sum(invoices.map((invoice) => netInvoiceLineQuantity(invoice.lines, creditMemosFor(state, invoice.invoiceNumber), lineNo))));
  for (const line of state.lines) {
    line.invoicedQuantity = netOn(live, line.lineNo);
    line.paidQuantity = netOn(paid, line.lineNo);
  }
}

// ---------------------------------------------------------------------------------------------
// Derived views
// ---------------------------------------------------------------------------------------------

export function deriveStatus(state: PoState): PoStatus {
  if (state.cancelled) return 'cancelled';
  if (state.closedAt) return 'closed';
  if (state.pendingChanges) return 'changes_pending';
  if (state.awaitingAcknowledgement) return 'issued';
  const open = state.lines.filter((line) => !line.cancelled);
  const goods = open.filter((line) => line.kind === 'goods');
  if (open.length === 0) {
    // Every line short-closed: whatever arrived is all that will.
    return state.lines.some((line) => isPositive(line.receivedQuantity) || isPositive(line.invoicedQuantity)) ? 'received' : 'acknowledged';
  }
  if (goods.length === 0) {
    // A services-only PO is "received" once the work is billed: there are no goods to count.
    const services = open.filter((line) => line.kind === 'service');
    if (services.length > 0 && services.every((line) => cmp(line.invoicedQuantity, line.confirmedQuantity) >= 0)) return 'received';
    return services.some((line) => isPositive(line.invoicedQuantity)) ? 'partially_received' : 'acknowledged';
  }
  if (goods.every((line) => cmp(line.receivedQuantity, line.confirmedQuantity) >= 0)) return 'received';
  if (goods.some((line) => isPositive(line.receivedQuantity))) return 'partially_received';
  if (goods.some((line) => isPositive(line.shippedQuantity))) return 'in_transit';
  return 'acknowledged';
}

/**
 * The PO value: each line's committed quantity (confirmed once acknowledged, else ordered) at the
 * agreed price. A short-closed line keeps its value for what was delivered.
 */
export function poTotal(state: PoState): string {
  return round2(
    sum(
      state.lines
        .filter((line) => !line.cancelled || isInvoiceableLine(line))
        .map((line) => mul(committedQuantity(state, line), line.agreedUnitPrice)),
    ),
  );
}

export function hasOpenException(state: PoState): boolean {
  return state.exceptions.some((exception) => exception.status === 'open');
}

export function view(state: PoState): PoView {
  return { ...state, status: deriveStatus(state), total: poTotal(state), hasOpenException: hasOpenException(state) };
}

/** SPEC §2: every line fully received (or short-closed), fully invoiced, every invoice paid and cleared. */
export function isReadyToClose(state: PoState): boolean {
  if (state.cancelled || state.closedAt) return false;
  if (state.pendingChanges) return false;
  const live = state.invoices.filter((invoice) => invoice.status !== 'rejected');
  if (live.length === 0) return false;
  for (const line of state.lines) {
    if (line.kind === 'goods') {
      if (!line.cancelled && cmp(line.receivedQuantity, committedQuantity(state, line)) < 0) return false;
      if (cmp(line.invoicedQuantity, line.receivedQuantity) < 0) return false;
    } else if (cmp(line.invoicedQuantity, committedQuantity(state, line)) < 0) {
      return false;
    }
  }
  if (!live.every((invoice) => invoice.status === 'paid' && invoice.payment?.status === 'cleared')) return false;
  return !hasOpenException(state);
}

/** Invoices to re-match automatically after a receipt or credit memo: waiting for goods, or held on a match exception. */
export function heldInvoices(state: PoState): string[] {
  return state.invoices
    .filter(
      (invoice) =>
        invoice.status === 'pending_receipt' ||
        (invoice.status === 'exception' && openExceptionOf(state, invoice.invoiceNumber, 'MATCH_EXCEPTION') !== undefined),
    )
    .map((invoice) => invoice.invoiceNumber);
}

// ---------------------------------------------------------------------------------------------
// Command validation: throw DomainError before any effect
// ---------------------------------------------------------------------------------------------

function assertOpen(state: PoState): void {
  if (state.cancelled) throw conflict('PO_CANCELLED', `PO ${state.poNumber} was cancelled on ${state.cancelled.at}`);
  if (state.closedAt) throw conflict('PO_CLOSED', `PO ${state.poNumber} was closed on ${state.closedAt}`);
}

function requireLine(state: PoState, lineNo: number): PoLine {
  const line = findLine(state, lineNo);
  if (!line) throw unprocessable('UNKNOWN_LINE', `Line ${lineNo} is not on PO ${state.poNumber}`);
  return line;
}

function requireReceivableLine(state: PoState, lineNo: number, document: string): PoLine {
  const line = requireLine(state, lineNo);
  if (line.kind !== 'goods') throw unprocessable('SERVICE_LINE', `Line ${lineNo} (${line.sku}) is a service: it is not shipped or received, only invoiced (${document})`);
  if (line.cancelled) throw unprocessable('LINE_CANCELLED', `Line ${lineNo} (${line.sku}) is cancelled on PO ${state.poNumber}`);
  return line;
}

export function validateAcknowledgement(state: PoState, ack: Acknowledgement): void {
  if (state.cancelled || state.closedAt || !state.awaitingAcknowledgement) {
    const why = state.cancelled
      ? 'it is cancelled'
      : state.closedAt
        ? 'it is closed'
        : state.pendingChanges
          ? 'the changes already proposed are waiting for the buyer'
          : 'it is already acknowledged';
    throw conflict('ACK_NOT_EXPECTED', `PO ${state.poNumber} is not waiting for an acknowledgement: ${why}`);
  }
  for (const ackLine of ack.lines ?? []) {
    const line = requireLine(state, ackLine.lineNo);
    if (line.cancelled) throw unprocessable('LINE_CANCELLED', `Line ${line.lineNo} (${line.sku}) is cancelled on PO ${state.poNumber}`);
    if (ack.type === 'accept' && ackLine.status !== 'accepted') {
      throw unprocessable('ACK_LINES_INCONSISTENT', `A plain accept cannot mark line ${line.lineNo} as ${ackLine.status}; send accept_with_changes`);
    }
    if (ack.type !== 'accept_with_changes' || ackLine.status === 'accepted') continue;
    // Goods already received were valued at the agreed price: that price and quantity are history.
    const delivered = formatQuantity(line.receivedQuantity);
    if (isPositive(line.receivedQuantity)) {
      if (ackLine.status === 'rejected') {
        throw conflict('CHANGE_AFTER_RECEIPT', `Line ${line.lineNo} (${line.sku}) cannot be rejected: ${delivered} already received`);
      }
      if (ackLine.unitPrice !== undefined && cmp(ackLine.unitPrice, line.agreedUnitPrice) !== 0) {
        throw conflict('CHANGE_AFTER_RECEIPT', `Line ${line.lineNo} (${line.sku}): price cannot change from ${line.agreedUnitPrice} after ${delivered} was received`);
      }
    }
    const floor = line.kind === 'goods' ? (cmp(line.receivedQuantity, line.shippedQuantity) > 0 ? line.receivedQuantity : line.shippedQuantity) : '0';
    if (ackLine.quantity !== undefined && cmp(ackLine.quantity, floor) < 0) {
      throw unprocessable('QUANTITY_BELOW_DELIVERED', `Line ${line.lineNo} (${line.sku}): proposed quantity ${formatQuantity(ackLine.quantity)} is below the ${formatQuantity(floor)} already shipped or received`);
    }
  }
  if (ack.type === 'accept_with_changes') {
    const rejected = new Set((ack.lines ?? []).filter((l) => l.status === 'rejected').map((l) => l.lineNo));
    if (state.lines.every((line) => line.cancelled || rejected.has(line.lineNo))) {
      throw unprocessable('ACK_REJECTS_ALL_LINES', `Every open line of PO ${state.poNumber} is rejected: reject the PO instead (type "reject" with a reason)`);
    }
  }
  if (ack.type === 'reject' && state.receipts.length > 0) {
    throw conflict('CANCEL_AFTER_RECEIPT', `PO ${state.poNumber} cannot be rejected: goods were already received (${state.receipts.length} receipt(s))`);
  }
  if (ack.type === 'reject') assertNothingOwed(state, 'rejected');
}

/**
 * Invoices that AP holds or is about to hold (approved, scheduled, paid, or posted and now in a
 * payment exception). A PO with any of them owes the supplier money: cancelling it would end the
 * workflow with the payment never made (or made on a cancelled PO), and AP never cleared.
 * Services are never received, so "until the first receipt" alone does not protect them.
 */
function owedInvoices(state: PoState): InvoiceState[] {
  return state.invoices.filter(
    (invoice) => invoice.status !== 'rejected' && (invoice.postedAt !== undefined || ['approved', 'scheduled', 'paid'].includes(invoice.status)),
  );
}

function assertNothingOwed(state: PoState, what: 'cancelled' | 'rejected'): void {
  const owed = owedInvoices(state);
  if (owed.length === 0) return;
  throw conflict(
    'CANCEL_AFTER_INVOICE',
    `PO ${state.poNumber} cannot be ${what}: invoice(s) ${owed.map((i) => `${i.invoiceNumber} (${i.status})`).join(', ')} are owed to the supplier (approved, scheduled or paid); cancel the lines not yet delivered with a change order instead`,
  );
}

export function validateChangeDecision(state: PoState, _decision?: ChangeDecision): void {
  assertOpen(state);
  if (!state.pendingChanges) throw conflict('NO_CHANGES_PENDING', `PO ${state.poNumber} has no supplier changes waiting for a decision`);
}

export function validateChangeOrder(state: PoState, changeOrder: ChangeOrder): void {
  assertOpen(state);
  const afterFirstReceipt = state.receipts.length > 0;
  const cancelling = new Set<number>();
  for (const change of changeOrder.lines) {
    const line = findLine(state, change.lineNo);
    if (afterFirstReceipt && change.action !== 'cancel') {
      throw conflict('CHANGE_AFTER_RECEIPT', `PO ${state.poNumber} already has receipts: only cancelling (short-closing) a line is possible, not "${change.action}" on line ${change.lineNo}`);
    }
    if (change.action === 'add' || (change.action === 'change' && !line)) {
      if (line) throw unprocessable('LINE_EXISTS', `Line ${change.lineNo} already exists on PO ${state.poNumber}; change it instead`);
      if (change.sku === undefined || change.quantity === undefined || change.unitPrice === undefined) {
        throw unprocessable('UNKNOWN_LINE', `Line ${change.lineNo} is not on PO ${state.poNumber}; a new line needs sku, quantity and unitPrice`);
      }
      continue;
    }
    const existing = requireLine(state, change.lineNo);
    if (existing.cancelled) throw unprocessable('LINE_CANCELLED', `Line ${existing.lineNo} (${existing.sku}) is already cancelled`);
    if (change.action === 'cancel') {
      if (!afterFirstReceipt && isPositive(existing.shippedQuantity)) {
        throw unprocessable('QUANTITY_BELOW_SHIPPED', `Line ${existing.lineNo} (${existing.sku}) cannot be cancelled: ${formatQuantity(existing.shippedQuantity)} already shipped`);
      }
      cancelling.add(existing.lineNo);
      continue;
    }
    if (change.quantity !== undefined && cmp(change.quantity, existing.shippedQuantity) < 0) {
      throw unprocessable('QUANTITY_BELOW_SHIPPED', `Line ${existing.lineNo} (${existing.sku}): new quantity ${formatQuantity(change.quantity)} is below the ${formatQuantity(existing.shippedQuantity)} already shipped`);
    }
  }
  const adding = changeOrder.lines.some((change) => !findLine(state, change.lineNo));
  if (!afterFirstReceipt && !adding && state.lines.every((line) => line.cancelled || cancelling.has(line.lineNo))) {
    throw unprocessable('NO_OPEN_LINES', `This change would cancel every line of PO ${state.poNumber}; cancel the PO instead`);
  }
}

export function validateCancel(state: PoState, _cancel?: CancelPurchaseOrder): void {
  assertOpen(state);
  if (state.receipts.length > 0) {
    throw conflict('CANCEL_AFTER_RECEIPT', `PO ${state.poNumber} cannot be cancelled: goods were already received (${state.receipts.map((r) => r.receiptNumber).join(', ')}); short-close the open lines with a change order instead`);
  }
  assertNothingOwed(state, 'cancelled');
}

export function validateAsn(state: PoState, asn: AdvanceShipNotice): void {
  assertOpen(state);
  if (state.awaitingAcknowledgement || state.pendingChanges) {
    throw conflict('PO_NOT_ACKNOWLEDGED', `PO ${state.poNumber} is not acknowledged yet${state.pendingChanges ? ' (proposed changes await the buyer)' : ''}: ship against an acknowledged PO`);
  }
  for (const asnLine of asn.lines) {
    const line = requireReceivableLine(state, asnLine.lineNo, `ASN ${asn.asnNumber}`);
    // Goods refused at the dock go back and are owed again; goods that arrived without an ASN
    // were shipped all the same. What is on its way or accepted: max(shipped − rejected, received).
    const underway = max(sub(line.shippedQuantity, line.rejectedQuantity), line.receivedQuantity);
    const open = sub(line.confirmedQuantity, underway);
    if (cmp(asnLine.quantity, open) > 0) {
      throw unprocessable(
        'ASN_EXCEEDS_OPEN_QUANTITY',
        `Line ${line.lineNo} (${line.sku}): ASN quantity ${formatQuantity(asnLine.quantity)} exceeds the open quantity ${formatQuantity(open.isNegative() ? 0 : open)} (confirmed ${line.confirmedQuantity}, already shipped ${line.shippedQuantity}, received ${line.receivedQuantity}, rejected ${line.rejectedQuantity})`,
      );
    }
  }
}

export function validateReceipt(state: PoState, receipt: GoodsReceipt): void {
  assertOpen(state);
  const qtyOverPct = state.policy.tolerances.qtyOverPct;
  for (const receiptLine of receipt.lines) {
    const line = requireReceivableLine(state, receiptLine.lineNo, `receipt ${receipt.receiptNumber}`);
    const base = committedQuantity(state, line);
    const limit = mul(base, add(1, qtyOverPct));
    const after = add(line.receivedQuantity, receiptLine.quantityReceived);
    if (cmp(after, limit) > 0) {
      throw unprocessable(
        'OVER_RECEIPT',
        `Line ${line.lineNo} (${line.sku}): accepting ${formatQuantity(receiptLine.quantityReceived)} would bring the received quantity to ${formatQuantity(after)}, above the ${formatQuantity(limit)} allowed (${formatQuantity(base)} ${state.awaitingAcknowledgement || state.pendingChanges ? 'ordered' : 'confirmed'}, over-receipt tolerance ${formatQuantity(mul(qtyOverPct, 100))}%; already received ${line.receivedQuantity})`,
      );
    }
  }
}

export function validateInvoice(state: PoState, _invoice?: Invoice): void {
  // Structural only: whether the documents agree is the match's job, and its result is an
  // exception for finance, not a refusal.
  if (state.cancelled) throw conflict('PO_CANCELLED', `PO ${state.poNumber} was cancelled on ${state.cancelled.at}: nothing can be invoiced against it`);
  if (state.closedAt) throw conflict('PO_CLOSED', `PO ${state.poNumber} was closed on ${state.closedAt}: send a new invoice against an open PO`);
}

export function validateCreditMemo(state: PoState, creditMemo: CreditMemo): void {
  const invoice = findInvoice(state, creditMemo.invoiceNumber);
  if (!invoice) throw unprocessable('UNKNOWN_INVOICE', `Invoice ${creditMemo.invoiceNumber} is not on PO ${state.poNumber}`);
  if (invoice.status === 'rejected') throw conflict('INVOICE_REJECTED', `Invoice ${invoice.invoiceNumber} was rejected: there is nothing to credit`);
  if (invoice.status === 'paid') {
    throw conflict('INVOICE_ALREADY_PAID', `Invoice ${invoice.invoiceNumber} is already paid: credit a later invoice or settle outside this PO`);
  }
  const earlierMemos = creditMemosFor(state, invoice.invoiceNumber).filter((memo) => memo.creditMemoNumber !== creditMemo.creditMemoNumber);
  for (const memoLine of creditMemo.lines) {
    if (!invoice.lines.some((line) => line.lineNo === memoLine.lineNo)) {
      throw unprocessable('CREDIT_EXCEEDS_INVOICE', `Line ${memoLine.lineNo} is not on invoice ${invoice.invoiceNumber}`);
    }
    const open = netInvoiceLineQuantity(invoice.lines, earlierMemos, memoLine.lineNo);
    if (cmp(memoLine.quantity, open) > 0) {
      throw unprocessable(
        'CREDIT_EXCEEDS_INVOICE',
        `Line ${memoLine.lineNo}: credited quantity ${formatQuantity(memoLine.quantity)} exceeds the ${open} still invoiced on ${invoice.invoiceNumber} after earlier credit memos`,
      );
    }
  }
  const openAmount = sub(invoice.total, invoice.creditedTotal);
  if (cmp(creditMemo.total, openAmount) > 0) {
    throw unprocessable('CREDIT_EXCEEDS_INVOICE', `Credit memo total ${round2(creditMemo.total)} exceeds the ${round2(openAmount)} still owed on invoice ${invoice.invoiceNumber}`);
  }
}

export function validateResolution(state: PoState, invoiceNumber: string, _resolution?: InvoiceResolution): void {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw notFound('INVOICE_NOT_FOUND', `Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  if (!openExceptionOf(state, invoice.invoiceNumber)) {
    throw conflict('NO_OPEN_EXCEPTION', `Invoice ${invoice.invoiceNumber} has no open exception to resolve (status ${invoice.status})`);
  }
}

export function validatePaymentStatus(state: PoState, invoiceNumber: string, report: PaymentStatusReport): void {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw notFound('INVOICE_NOT_FOUND', `Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  const payment = invoice.payment;
  if (!payment || payment.status === 'scheduled') {
    throw conflict('PAYMENT_NOT_EXECUTED', `Invoice ${invoice.invoiceNumber} has no executed payment to report on (invoice ${invoice.status}${payment ? `, payment ${payment.status}` : ''})`);
  }
  // A failed payment that finance approved again waits for its next attempt: not final, not executed.
  const retryPending = payment.status === 'failed' && (invoice.status === 'approved' || invoice.status === 'scheduled');
  if (retryPending) {
    throw conflict('PAYMENT_NOT_EXECUTED', `Invoice ${invoice.invoiceNumber}: payment attempt ${payment.attempt} has not been executed yet`);
  }
  if (payment.status === 'cleared' || payment.status === 'failed') {
    throw conflict('PAYMENT_ALREADY_FINAL', `The payment of invoice ${invoice.invoiceNumber} is already ${payment.status}; "${report.status}" cannot follow`);
  }
}
