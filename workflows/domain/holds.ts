/**
 * Payment holds (docs/domain.md, "Payment holds"; docs/adr/0051-supplier-holds-reach-open-pos.md):
 * finance holds one invoice, or a whole supplier (every unpaid invoice of its POs, future ones
 * included). A held invoice is still posted to AP and scheduled, but never paid: `firstDue`, which
 * decides what the workflow pays next, skips it. A payment date that passed during the hold pays at
 * release; if the discount date passed too, the discount is lost and the payment says so.
 */
import { dateToUtcMs, instantToMs } from './calendar';
import { SYSTEM } from './system-actor';
import { conflict, notFound } from './errors';
import { findInvoice, normaliseDocumentNumber, requireInvoice } from './lookups';
import { isZero } from './money';
import { isWithinDiscountWindow, payableAmount } from './payment-terms';
import type { Command, Outcome } from './business-events';
import type * as wire from './schemas';
import type { Actor, BusinessEvent, InvoiceState, PaymentHold, PoEvent, PoState } from './state';

const none: Outcome = { record: null, notices: [] };

export type InvoiceHoldCommand<T> = Command<T> & { invoiceNumber: string };

/** Held: by its own hold or by the supplier's. */
export function isPaymentHeld(po: Pick<PoState, 'supplierHold'>, invoice: Pick<InvoiceState, 'hold'>): boolean {
  return invoice.hold !== undefined || po.supplierHold !== undefined;
}

/**
 * What the workflow does next, if anything: post and schedule an approved invoice, or pay a
 * scheduled one whose date has come and that no hold stops.
 */
export function firstDue(po: PoState, nowMs: number): InvoiceState | undefined {
  return po.invoices.find(
    (invoice) =>
      invoice.status === 'approved' ||
      (invoice.status === 'scheduled' && invoice.payment !== null && instantToMs(invoice.payment.scheduledFor) <= nowMs && !isPaymentHeld(po, invoice)),
  );
}

function sameHold(hold: PaymentHold, body: wire.PaymentHoldRequest): boolean {
  return hold.reason === body.reason && hold.releaseOn === body.releaseOn;
}

export function validateInvoiceHold(po: PoState, invoiceNumber: string, body: wire.PaymentHoldRequest): void {
  const invoice = findInvoice(po, invoiceNumber);
  if (!invoice) throw notFound('INVOICE_NOT_FOUND', `Invoice ${invoiceNumber} is not on PO ${po.poNumber}`);
  if (invoice.hold) {
    if (sameHold(invoice.hold, body)) return; // the same hold again changes nothing
    throw conflict('INVOICE_ON_HOLD', `Invoice ${invoice.invoiceNumber} is already on hold since ${invoice.hold.placedAt} (${invoice.hold.reason}); release it first`);
  }
  if (invoice.status === 'paid') throw conflict('INVOICE_ALREADY_PAID', `Invoice ${invoice.invoiceNumber} is already paid: there is no payment left to hold`);
  if (invoice.status === 'rejected') throw conflict('INVOICE_REJECTED', `Invoice ${invoice.invoiceNumber} was rejected: it will never be paid`);
}

export function validateInvoiceRelease(po: PoState, invoiceNumber: string): void {
  const invoice = findInvoice(po, invoiceNumber);
  if (!invoice) throw notFound('INVOICE_NOT_FOUND', `Invoice ${invoiceNumber} is not on PO ${po.poNumber}`);
  if (!invoice.hold) {
    const supplier = po.supplierHold ? ` (the supplier's hold ${po.supplierHold.holdId ?? ''} is released with DELETE /v1/suppliers/${po.supplierId}/payment-hold)` : '';
    throw conflict('NO_PAYMENT_HOLD', `Invoice ${invoice.invoiceNumber} has no payment hold of its own to release${supplier}`);
  }
}

export function invoiceHeld(po: PoState, { actor, body, invoiceNumber }: InvoiceHoldCommand<wire.PaymentHoldRequest>, at: string): Outcome {
  const invoice = requireInvoice(po, invoiceNumber);
  if (invoice.hold) return none;
  const hold: PaymentHold = { reason: body.reason, ...(body.releaseOn !== undefined ? { releaseOn: body.releaseOn } : {}), placedAt: at, placedBy: actor };
  return {
    record: {
      type: 'invoice.payment_held',
      documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/hold`,
      events: [{ type: 'invoice.hold_placed', at, actor, invoiceNumber: invoice.invoiceNumber, hold }],
      payload: { invoiceNumber: invoice.invoiceNumber, hold },
    },
    notices: [],
  };
}

export function invoiceReleased(po: PoState, { actor, body, invoiceNumber }: InvoiceHoldCommand<wire.PaymentHoldRelease>, at: string): Outcome {
  return { record: releaseInvoiceRecord(po, requireInvoice(po, invoiceNumber), actor, at, body.reason), notices: [] };
}

function releaseInvoiceRecord(po: PoState, invoice: InvoiceState, actor: Actor, at: string, reason?: string): BusinessEvent {
  const released: PoEvent = { type: 'invoice.hold_released', at, actor, invoiceNumber: invoice.invoiceNumber, ...(reason !== undefined ? { reason } : {}) };
  const replans = po.supplierHold ? [] : replansAtRelease(po, [invoice], at, actor);
  return {
    type: 'invoice.payment_released',
    documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/release`,
    events: [released, ...replans],
    payload: { invoiceNumber: invoice.invoiceNumber, releasedHold: invoice.hold, ...(reason !== undefined ? { reason } : {}), replanned: replans.map(replanSummary) },
  };
}

export function supplierHoldPlaced(po: PoState, { actor, body }: Command<wire.SupplierHoldPlacement>, at: string): Outcome {
  if (po.supplierHold?.holdId === body.holdId) return none; // the fan-out reached this PO already
  const hold: PaymentHold = { holdId: body.holdId, reason: body.reason, ...(body.releaseOn !== undefined ? { releaseOn: body.releaseOn } : {}), placedAt: body.placedAt, placedBy: actor };
  return {
    record: {
      type: 'supplier.payment_held',
      documentKey: body.holdId,
      // The PO's own time, not the API's: the ERP never lets an older snapshot overwrite a newer one.
      events: [{ type: 'supplier_hold.placed', at, actor, hold }],
      payload: { supplierId: po.supplierId, hold },
    },
    notices: [],
  };
}

export function supplierHoldRemoved(po: PoState, { actor, body }: Command<wire.SupplierHoldRemoval>, at: string): Outcome {
  if (po.supplierHold?.holdId !== body.holdId) return none; // not (or no longer) held by that hold
  return { record: releaseSupplierRecord(po, actor, at), notices: [] };
}

function releaseSupplierRecord(po: PoState, actor: Actor, at: string, reason?: string): BusinessEvent {
  const hold = po.supplierHold!;
  const stillHeld = po.invoices.filter((invoice) => invoice.hold === undefined);
  const replans = replansAtRelease(po, stillHeld, at, actor);
  return {
    type: 'supplier.payment_released',
    documentKey: `${hold.holdId ?? 'supplier'}/release`,
    events: [{ type: 'supplier_hold.released', at, actor, holdId: hold.holdId ?? '', ...(reason !== undefined ? { reason } : {}) }, ...replans],
    payload: { supplierId: po.supplierId, releasedHold: hold, replanned: replans.map(replanSummary) },
  };
}

function replanSummary(event: PoEvent): Record<string, unknown> {
  return event.type === 'payment.replanned' ? { invoiceNumber: event.invoiceNumber, amount: event.plan.amount, discountLost: event.discountLost } : {};
}

/**
 * Invoices becoming payable at `at` whose payment date passed during the hold: paid at release.
 * When the discount date has passed as well, the discount is lost: the full amount is paid.
 */
function replansAtRelease(po: PoState, released: InvoiceState[], at: string, actor: Actor): PoEvent[] {
  const events: PoEvent[] = [];
  for (const invoice of released) {
    const payment = invoice.payment;
    if (invoice.status !== 'scheduled' || payment?.status !== 'scheduled') continue;
    if (instantToMs(payment.scheduledFor) > instantToMs(at)) continue; // its date is still to come
    if (isZero(payment.discount) || payment.discountDate === undefined || isWithinDiscountWindow(payment.discountDate, at)) continue;
    const { status: _status, attempt: _attempt, paymentId: _paymentId, executedAt: _executedAt, reference: _reference, discountLost: _lost, ...plan } = payment;
    events.push({
      type: 'payment.replanned',
      at,
      actor,
      invoiceNumber: invoice.invoiceNumber,
      plan: { ...plan, scheduledFor: at, amount: payableAmount(invoice), discount: '0.00' },
      discountLost: payment.discount,
    });
  }
  return events;
}

/** Hold release dates as timers: at 00:00 UTC on `releaseOn` the hold ends by itself. */
export function holdReleaseDeadlines(po: PoState, now: number): { at: number; record: BusinessEvent }[] {
  const at = new Date(now).toISOString();
  const result: { at: number; record: BusinessEvent }[] = [];
  for (const invoice of po.invoices) {
    if (!invoice.hold?.releaseOn || invoice.status === 'paid' || invoice.status === 'rejected') continue;
    result.push({ at: dateToUtcMs(invoice.hold.releaseOn), record: releaseInvoiceRecord(po, invoice, SYSTEM, at, `release date ${invoice.hold.releaseOn} reached`) });
  }
  if (po.supplierHold?.releaseOn) {
    result.push({ at: dateToUtcMs(po.supplierHold.releaseOn), record: releaseSupplierRecord(po, SYSTEM, at, `release date ${po.supplierHold.releaseOn} reached`) });
  }
  return result;
}

/** A supplier hold as the ERP keeps it is in force until released or until its release date begins. */
export function isHoldInForce(hold: Pick<PaymentHold, 'releaseOn'> | null | undefined, at: string): boolean {
  return Boolean(hold) && (hold!.releaseOn === undefined || dateToUtcMs(hold!.releaseOn) > instantToMs(at));
}
