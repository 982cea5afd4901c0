/**
 * Folding the billing side of a PO's events: invoices arriving and matched again, credit memos,
 * finance's resolutions, payment statuses, and the exceptions they open and close. Called by
 * `apply` (./apply.ts) on a copy of the state.
 */
import { allReasons } from '../matching';
import { add, formatPrice, roundCents } from '../money';
import { replanAmounts } from '../payment-terms';
import { findInvoice, openExceptionOf, requireInvoice, sameDocumentNumber } from '../lookups';
import type { CreditMemo, Invoice } from '../schemas';
import type { ExceptionState, InvoiceState, PoEvent, PoEventOf, PoState } from '../state';

type EventOf<T extends PoEvent['type']> = PoEventOf<T>;

function openException(state: PoState, invoice: InvoiceState, code: ExceptionState['code'], at: string, reasons: ExceptionState['reasons']): ExceptionState {
  const n = state.exceptions.filter((e) => e.invoiceNumber !== undefined && sameDocumentNumber(e.invoiceNumber, invoice.invoiceNumber)).length + 1;
  const exception: ExceptionState = { id: `EXC-${invoice.invoiceNumber}-${n}`, code, invoiceNumber: invoice.invoiceNumber, status: 'open', openedAt: at, reasons };
  state.exceptions.push(exception);
  return exception;
}

/**
 * A cancelled PO ends its workflow: invoices still waiting for goods or for finance would stay
 * pending (and their exceptions open, counted in KPIs) forever. Nothing of them was posted (a PO
 * with posted or approved invoices cannot be cancelled), so they are rejected with the PO.
 */
export function rejectHeldInvoices(state: PoState, event: { at: string; actor: PoEvent['actor']; reason: string }): void {
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

export function applyInvoiceReceived(state: PoState, event: EventOf<'invoice.received'>): string {
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

export function applyRematch(state: PoState, event: EventOf<'invoice.rematched'>): string {
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

export function applyCreditMemo(state: PoState, event: EventOf<'credit_memo.received'>): string {
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

export function applyResolution(state: PoState, event: EventOf<'invoice.resolved'>): string {
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

export function applyPaymentStatus(state: PoState, event: EventOf<'payment.status_reported'>): string {
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
