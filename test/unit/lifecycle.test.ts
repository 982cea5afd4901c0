import assert from 'node:assert/strict';
import { AT, buyer, finance, issuedPo, supplier, system, warehouse, type LineSpec } from './fixtures';
import { describe, test } from 'node:test';
import { DomainError } from '../../workflows/domain/errors';
import { apply } from '../../workflows/domain/lifecycle/apply';
import { deriveStatus, heldInvoices, isReadyToClose, poTotal, view } from '../../workflows/domain/lifecycle/views';
import { validateAcknowledgement, validateAsn, validateCancel, validateChangeDecision, validateChangeOrder, validateCreditMemo, validateInvoice, validatePaymentStatus, validateReceipt, validateResolution } from '../../workflows/domain/lifecycle/validate';
import { threeWayMatch } from '../../workflows/domain/matching';
import { lineAmount, round2, sum } from '../../workflows/domain/money';
import { planPayment } from '../../workflows/domain/payment-terms';
import { Invoice } from '../../workflows/domain/schemas';
import type { Acknowledgement, ChangeOrder, Tolerances } from '../../workflows/domain/schemas';
import type { PoEvent, PoState } from '../../workflows/domain/state';

const LATER = '2026-11-05T10:00:00.000Z';

const TWO_LINES: LineSpec[] = [
  { lineNo: 1, quantity: '10', unitPrice: '10.00' },
  { lineNo: 2, quantity: '4', unitPrice: '2.50' },
];

function issued(lines: LineSpec[] = TWO_LINES, tolerances?: Tolerances): PoState {
  return issuedPo(lines, { poNumber: 'PO-2001', tolerances });
}

const acknowledge = (state: PoState, acknowledgement: Acknowledgement = { type: 'accept' }) => {
  validateAcknowledgement(state, acknowledgement);
  return apply(state, { type: 'po.acknowledged', at: AT, actor: supplier, acknowledgement });
};
const ship = (state: PoState, asnNumber: string, lines: [number, string][]) => {
  const asn = { asnNumber, shipDate: '2026-11-03', lines: lines.map(([lineNo, quantity]) => ({ lineNo, quantity })) };
  validateAsn(state, asn);
  return apply(state, { type: 'asn.received', at: AT, actor: supplier, asn, bodyHash: asnNumber });
};
const receive = (state: PoState, receiptNumber: string, lines: [number, string, string?][]) => {
  const receipt = { receiptNumber, location: 'MAIN', lines: lines.map(([lineNo, quantityReceived, quantityRejected]) => ({ lineNo, quantityReceived, quantityRejected: quantityRejected ?? '0' })) };
  validateReceipt(state, receipt);
  return apply(state, { type: 'goods.received', at: AT, actor: warehouse, receipt, bodyHash: receiptNumber });
};
const change = (state: PoState, changeOrder: ChangeOrder) => {
  validateChangeOrder(state, changeOrder);
  return apply(state, { type: 'po.changed', at: AT, actor: buyer, changeOrder });
};
function submitInvoice(state: PoState, invoiceNumber: string, lines: [number, string, string][]): PoState {
  const body = Invoice.parse({
    invoiceNumber,
    invoiceDate: '2026-11-06',
    currency: 'USD',
    lines: lines.map(([lineNo, quantity, unitPrice]) => ({ lineNo, quantity, unitPrice })),
    total: round2(sum(lines.map(([, q, p]) => lineAmount(q, p)))),
  });
  validateInvoice(state, body);
  const match = threeWayMatch({ state, invoice: body, at: LATER });
  return apply(state, { type: 'invoice.received', at: LATER, actor: supplier, invoice: body, bodyHash: invoiceNumber, match });
}
function rematchHeld(state: PoState): PoState {
  let next = state;
  for (const invoiceNumber of heldInvoices(next)) {
    const invoice = next.invoices.find((i) => i.invoiceNumber === invoiceNumber)!;
    const match = threeWayMatch({ state: next, invoice, invoiceNumber, at: LATER });
    next = apply(next, { type: 'invoice.rematched', at: LATER, actor: system, invoiceNumber, match });
  }
  return next;
}
function payAndClear(state: PoState, invoiceNumber: string): PoState {
  const invoice = state.invoices.find((i) => i.invoiceNumber === invoiceNumber)!;
  const plan = planPayment({ invoice, terms: state.policy.paymentTerms, captureDiscounts: true, approvedAt: LATER });
  const events: PoEvent[] = [
    { type: 'invoice.posted', at: LATER, actor: system, invoiceNumber },
    { type: 'payment.scheduled', at: LATER, actor: system, invoiceNumber, plan },
    { type: 'payment.executed', at: plan.scheduledFor, actor: system, invoiceNumber, paymentId: `PAY-${invoiceNumber}` },
  ];
  let next = events.reduce(apply, state);
  validatePaymentStatus(next, invoiceNumber, { status: 'cleared' });
  next = apply(next, { type: 'payment.status_reported', at: plan.scheduledFor, actor: finance, invoiceNumber, status: 'cleared' });
  return next;
}

/** Runs a command's validation and returns the DomainError it raised. */
function refusal(validate: () => void): Pick<DomainError, 'code' | 'kind' | 'message'> {
  try {
    validate();
  } catch (error) {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    return { code: error.code, kind: error.kind, message: error.message };
  }
  assert.fail('expected the command to be refused');
}

const line = (state: PoState, lineNo: number) => state.lines.find((l) => l.lineNo === lineNo)!;

describe('issue and acknowledgement', () => {
  test('a new PO is issued, nothing confirmed yet, agreed prices are the PO prices, total 110.00', () => {
    const po = issued();
    assert.equal(deriveStatus(po), 'issued');
    assert.equal(po.awaitingAcknowledgement, true);
    assert.deepEqual(po.lines.map((l) => [l.confirmedQuantity, l.agreedUnitPrice, l.kind]), [['0', '10.00', 'goods'], ['0', '2.50', 'goods']]);
    assert.equal(poTotal(po), '110.00');
    assert.deepEqual(po.timeline.map((t) => [t.type, t.actor]), [['po.issued', 'procurement#buyer']]);
  });

  test('the supplier accepts: lines confirmed as ordered, promised date recorded, status acknowledged', () => {
    const po = acknowledge(issued(), { type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: '2026-11-20' }] });
    assert.equal(deriveStatus(po), 'acknowledged');
    assert.deepEqual(po.lines.map((l) => l.confirmedQuantity), ['10', '4']);
    assert.equal(line(po, 1).promisedDate, '2026-11-20');
    assert.equal(po.timeline.at(-1)!.actor, 'supplier:ACME');
  });

  test('the supplier rejects the PO: it is cancelled', () => {
    const po = acknowledge(issued(), { type: 'reject', reason: 'discontinued item' });
    assert.equal(deriveStatus(po), 'cancelled');
    assert.equal(po.cancelled?.reason, 'discontinued item');
  });

  test('a second acknowledgement is refused with ACK_NOT_EXPECTED (409)', () => {
    const po = acknowledge(issued());
    assert.deepEqual(refusal(() => validateAcknowledgement(po, { type: 'accept' })).code, 'ACK_NOT_EXPECTED');
    assert.equal(refusal(() => validateAcknowledgement(po, { type: 'accept' })).kind, 'conflict');
  });

  test('an acknowledgement naming line 9 of a two-line PO is refused with UNKNOWN_LINE (422)', () => {
    const refused = refusal(() => validateAcknowledgement(issued(), { type: 'accept_with_changes', lines: [{ lineNo: 9, status: 'rejected' }] }));
    assert.deepEqual([refused.code, refused.kind], ['UNKNOWN_LINE', 'unprocessable']);
  });

  test('supplier proposes 8 at 9.50 on line 1, buyer approves: confirmed 8 at agreed 9.50, total 86.00', () => {
    let po = acknowledge(issued(), {
      type: 'accept_with_changes',
      lines: [{ lineNo: 1, status: 'changed', quantity: '8', unitPrice: '9.50', promisedDate: '2026-11-25' }],
    });
    assert.equal(deriveStatus(po), 'changes_pending');
    validateChangeDecision(po, { decision: 'approve' });
    po = apply(po, { type: 'po.change_decided', at: AT, actor: buyer, decision: 'approve' });
    assert.equal(deriveStatus(po), 'acknowledged');
    assert.deepEqual([line(po, 1).confirmedQuantity, line(po, 1).agreedUnitPrice, line(po, 1).unitPrice, line(po, 1).promisedDate], ['8', '9.50', '10.00', '2026-11-25']);
    assert.equal(line(po, 2).confirmedQuantity, '4', 'a line the supplier did not mention is accepted as ordered');
    assert.equal(poTotal(po), '86.00');
    assert.equal(po.acknowledgement?.decision?.decision, 'approve');
  });

  test('approved changes: a rejected line is cancelled, a backordered line is confirmed with its new date', () => {
    let po = acknowledge(issued(), {
      type: 'accept_with_changes',
      lines: [
        { lineNo: 1, status: 'backordered', promisedDate: '2026-12-15' },
        { lineNo: 2, status: 'rejected' },
      ],
    });
    po = apply(po, { type: 'po.change_decided', at: AT, actor: buyer, decision: 'approve' });
    assert.deepEqual([line(po, 1).confirmedQuantity, line(po, 1).promisedDate, line(po, 1).cancelled], ['10', '2026-12-15', false]);
    assert.deepEqual([line(po, 2).cancelled, line(po, 2).confirmedQuantity], [true, '0']);
    assert.equal(poTotal(po), '100.00');
  });

  test('buyer rejects the proposed changes: the PO is issued again and the supplier must acknowledge again', () => {
    let po = acknowledge(issued(), { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', unitPrice: '12.00' }] });
    po = apply(po, { type: 'po.change_decided', at: AT, actor: buyer, decision: 'reject', reason: 'price is contractual' });
    assert.equal(deriveStatus(po), 'issued');
    assert.equal(po.pendingChanges, null);
    assert.equal(line(po, 1).agreedUnitPrice, '10.00');
    po = acknowledge(po);
    assert.equal(deriveStatus(po), 'acknowledged');
  });

  test('a change decision with nothing pending is refused with NO_CHANGES_PENDING', () => {
    assert.equal(refusal(() => validateChangeDecision(acknowledge(issued()), { decision: 'approve' })).code, 'NO_CHANGES_PENDING');
  });
});

describe('buyer change orders and cancellation', () => {
  test('raising line 1 to 12 before any receipt needs a new acknowledgement and resets confirmations', () => {
    let po = change(acknowledge(issued()), { lines: [{ lineNo: 1, action: 'change', quantity: '12' }] });
    assert.equal(deriveStatus(po), 'issued');
    assert.deepEqual(po.lines.map((l) => [l.quantity, l.confirmedQuantity]), [['12', '0'], ['4', '0']]);
    assert.equal(poTotal(po), '130.00');
    po = acknowledge(po);
    assert.equal(line(po, 1).confirmedQuantity, '12');
  });

  test('adding line 3 before receipt adds it as ordered goods', () => {
    const po = change(acknowledge(issued()), { lines: [{ lineNo: 3, action: 'add', sku: 'BOLT', quantity: '100', unitPrice: '0.1000' }] });
    assert.deepEqual([line(po, 3).sku, line(po, 3).quantity, line(po, 3).agreedUnitPrice, line(po, 3).kind], ['BOLT', '100', '0.1000', 'goods']);
  });

  test('lowering a line below what is already shipped is refused with QUANTITY_BELOW_SHIPPED', () => {
    const po = ship(acknowledge(issued()), 'ASN-1', [[1, '6']]);
    const refused = refusal(() => validateChangeOrder(po, { lines: [{ lineNo: 1, action: 'change', quantity: '5' }] }));
    assert.deepEqual([refused.code, refused.kind], ['QUANTITY_BELOW_SHIPPED', 'unprocessable']);
  });

  test('a price change after the first receipt is refused with CHANGE_AFTER_RECEIPT (409)', () => {
    const po = receive(acknowledge(issued()), 'GR-1', [[1, '5']]);
    const refused = refusal(() => validateChangeOrder(po, { lines: [{ lineNo: 1, action: 'change', unitPrice: '9.00' }] }));
    assert.deepEqual([refused.code, refused.kind], ['CHANGE_AFTER_RECEIPT', 'conflict']);
  });

  test('after 6 of 10 arrived, cancelling line 1 short-closes it at 6 without a new acknowledgement', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '6'], [2, '4']]);
    assert.equal(deriveStatus(po), 'partially_received');
    po = change(po, { lines: [{ lineNo: 1, action: 'cancel' }] });
    assert.deepEqual([line(po, 1).cancelled, line(po, 1).confirmedQuantity], [true, '6']);
    assert.equal(po.awaitingAcknowledgement, false);
    assert.equal(deriveStatus(po), 'received');
    assert.equal(poTotal(po), '70.00');
  });

  test('cancel after first receipt is refused with CANCEL_AFTER_RECEIPT', () => {
    const po = receive(acknowledge(issued()), 'GR-1', [[1, '1']]);
    const refused = refusal(() => validateCancel(po, { reason: 'no longer needed' }));
    assert.deepEqual([refused.code, refused.kind], ['CANCEL_AFTER_RECEIPT', 'conflict']);
  });

  test('a services PO whose installation was invoiced and is due for payment cannot be cancelled (409 CANCEL_AFTER_INVOICE); the supplier cannot reject it either', () => {
    let po = acknowledge(issued([{ lineNo: 1, quantity: '8', unitPrice: '95.00', kind: 'service' }]));
    po = submitInvoice(po, 'INV-SVC', [[1, '8', '95.00']]);
    assert.equal(po.invoices[0]!.status, 'approved', 'two-way matched: the work is owed for');
    const refused = refusal(() => validateCancel(po, { reason: 'project stopped' }));
    assert.deepEqual([refused.code, refused.kind], ['CANCEL_AFTER_INVOICE', 'conflict']);
    assert.match(refused.message, /INV-SVC/);
    po = payAndClear(po, 'INV-SVC');
    assert.equal(refusal(() => validateCancel(po, { reason: 'project stopped' })).code, 'CANCEL_AFTER_INVOICE', 'nor once it is paid');
    // The buyer orders 2 more hours; the supplier declining the new offer cannot cancel the paid work.
    po = change(po, { lines: [{ lineNo: 1, action: 'change', quantity: '10' }] });
    assert.equal(refusal(() => validateAcknowledgement(po, { type: 'reject', reason: 'no capacity' })).code, 'CANCEL_AFTER_INVOICE');
  });

  test('the buyer can still cancel a PO whose only invoice finance rejected', () => {
    let po = acknowledge(issued([{ lineNo: 1, quantity: '8', unitPrice: '95.00', kind: 'service' }]));
    po = submitInvoice(po, 'INV-SVC', [[1, '9', '95.00']]);
    po = apply(po, { type: 'invoice.resolved', at: LATER, actor: finance, invoiceNumber: 'INV-SVC', action: 'reject', reason: 'only 8 hours ordered' });
    assert.doesNotThrow(() => validateCancel(po, { reason: 'project stopped' }));
  });

  test('cancelling a PO rejects the invoices still held on it, so no open exception or pending invoice outlives the PO', () => {
    let po = acknowledge(issued());
    po = submitInvoice(po, 'INV-EARLY', [[1, '10', '10.00']]);
    po = submitInvoice(po, 'INV-PRICE', [[2, '4', '3.00']]);
    assert.deepEqual(po.invoices.map((i) => i.status), ['pending_receipt', 'exception']);
    validateCancel(po, { reason: 'project stopped' });
    po = apply(po, { type: 'po.cancelled', at: LATER, actor: buyer, reason: 'project stopped' });
    assert.deepEqual(po.invoices.map((i) => i.status), ['rejected', 'rejected']);
    assert.deepEqual(po.invoices.map((i) => i.resolution?.reason), ['PO cancelled: project stopped', 'PO cancelled: project stopped']);
    assert.deepEqual(po.exceptions.map((e) => [e.invoiceNumber, e.status, e.resolvedBy?.id]), [['INV-PRICE', 'rejected', buyer.id]]);
    assert.equal(view(po).hasOpenException, false);
    assert.deepEqual(po.lines.map((l) => l.invoicedQuantity), ['0', '0']);
  });

  test('the buyer cancels before any receipt: status cancelled, and nothing more can be shipped', () => {
    let po = acknowledge(issued());
    validateCancel(po, { reason: 'project stopped' });
    po = apply(po, { type: 'po.cancelled', at: AT, actor: buyer, reason: 'project stopped' });
    assert.equal(view(po).status, 'cancelled');
    assert.equal(refusal(() => validateAsn(po, { asnNumber: 'A', shipDate: '2026-11-03', lines: [{ lineNo: 1, quantity: '1' }] })).code, 'PO_CANCELLED');
    assert.equal(refusal(() => validateCancel(po)).code, 'PO_CANCELLED');
  });
});

describe('shipping and receiving', () => {
  test('an ASN before the supplier acknowledged is refused with PO_NOT_ACKNOWLEDGED', () => {
    const refused = refusal(() => validateAsn(issued(), { asnNumber: 'ASN-1', shipDate: '2026-11-03', lines: [{ lineNo: 1, quantity: '1' }] }));
    assert.deepEqual([refused.code, refused.kind], ['PO_NOT_ACKNOWLEDGED', 'conflict']);
  });

  test('shipping 6 then another 5 of 10 is refused with ASN_EXCEEDS_OPEN_QUANTITY naming the 4 still open', () => {
    const po = ship(acknowledge(issued()), 'ASN-1', [[1, '6']]);
    assert.equal(deriveStatus(po), 'in_transit');
    assert.equal(line(po, 1).shippedQuantity, '6');
    const refused = refusal(() => validateAsn(po, { asnNumber: 'ASN-2', shipDate: '2026-11-04', lines: [{ lineNo: 1, quantity: '5' }] }));
    assert.deepEqual([refused.code, refused.kind], ['ASN_EXCEEDS_OPEN_QUANTITY', 'unprocessable']);
    assert.match(refused.message, /open quantity 4/);
  });

  test('10 shipped, 8 accepted and 2 rejected at the dock: the supplier may send an ASN for the 2 replacements, not for 3', () => {
    let po = ship(acknowledge(issued([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }])), 'ASN-1', [[1, '10']]);
    po = receive(po, 'GR-1', [[1, '8', '2']]);
    assert.equal(deriveStatus(po), 'partially_received');
    const refused = refusal(() => validateAsn(po, { asnNumber: 'ASN-2', shipDate: '2026-11-09', lines: [{ lineNo: 1, quantity: '3' }] }));
    assert.deepEqual([refused.code, refused.kind], ['ASN_EXCEEDS_OPEN_QUANTITY', 'unprocessable']);
    assert.match(refused.message, /open quantity 2/);
    po = ship(po, 'ASN-2', [[1, '2']]);
    assert.equal(line(po, 1).shippedQuantity, '12');
    po = receive(po, 'GR-2', [[1, '2']]);
    assert.equal(deriveStatus(po), 'received');
  });

  test('goods delivered without an ASN count as shipped: 6 received (1 rejected) of 10 leaves 4 to ship', () => {
    const po = receive(acknowledge(issued()), 'GR-1', [[1, '6', '1']]);
    const refused = refusal(() => validateAsn(po, { asnNumber: 'ASN-1', shipDate: '2026-11-09', lines: [{ lineNo: 1, quantity: '5' }] }));
    assert.match(refused.message, /open quantity 4/);
    assert.doesNotThrow(() => validateAsn(po, { asnNumber: 'ASN-1', shipDate: '2026-11-09', lines: [{ lineNo: 1, quantity: '4' }] }));
  });

  test('receiving 6 of 10 (2 more rejected) is partially received; the remaining 4 make it received', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '6', '2'], [2, '4']]);
    assert.deepEqual([line(po, 1).receivedQuantity, line(po, 1).rejectedQuantity], ['6', '2']);
    assert.equal(deriveStatus(po), 'partially_received');
    po = receive(po, 'GR-2', [[1, '4']]);
    assert.equal(deriveStatus(po), 'received');
  });

  test('receiving 11 of 10 is refused with OVER_RECEIPT; with a 10% tolerance it is accepted', () => {
    const po = acknowledge(issued());
    const refused = refusal(() => validateReceipt(po, { receiptNumber: 'GR-1', location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '11', quantityRejected: '0' }] }));
    assert.deepEqual([refused.code, refused.kind], ['OVER_RECEIPT', 'unprocessable']);
    assert.match(refused.message, /11.*above the 10 allowed/);
    const tolerant = acknowledge(issued(TWO_LINES, { qtyOverPct: '0.1' }));
    assert.equal(line(receive(tolerant, 'GR-1', [[1, '11']]), 1).receivedQuantity, '11');
  });

  test('a receipt for a service line is refused: services are not received', () => {
    const po = acknowledge(issued([{ lineNo: 1, quantity: '8', unitPrice: '95.00', kind: 'service' }]));
    assert.equal(refusal(() => validateReceipt(po, { receiptNumber: 'GR-1', location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '1', quantityRejected: '0' }] })).code, 'SERVICE_LINE');
  });
});

describe('invoices, exceptions and payment', () => {
  test('a matched invoice is approved and counts as invoiced on its lines', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10'], [2, '4']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00']]);
    assert.equal(po.invoices[0]!.status, 'approved');
    assert.equal(line(po, 1).invoicedQuantity, '10');
    assert.equal(view(po).hasOpenException, false);
  });

  test('an invoice 3% over price opens exception EXC-INV-1-1; finance approves it with a reason, audited', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.30']]);
    assert.equal(po.invoices[0]!.status, 'exception');
    assert.deepEqual(po.exceptions.map((e) => [e.id, e.code, e.status, e.reasons[0]!.code]), [['EXC-INV-1-1', 'MATCH_EXCEPTION', 'open', 'PRICE_VARIANCE']]);
    assert.equal(view(po).hasOpenException, true);
    assert.deepEqual(heldInvoices(po), ['INV-1']);
    validateResolution(po, 'INV-1', { action: 'approve', reason: 'freight surcharge agreed by phone' });
    po = apply(po, { type: 'invoice.resolved', at: LATER, actor: finance, invoiceNumber: 'INV-1', action: 'approve', reason: 'freight surcharge agreed by phone' });
    assert.equal(po.invoices[0]!.status, 'approved');
    assert.deepEqual([po.exceptions[0]!.status, po.exceptions[0]!.resolvedBy?.id, po.exceptions[0]!.resolvedAt], ['approved', 'finance#clerk', LATER]);
    assert.equal(view(po).hasOpenException, false);
  });

  test('finance rejects a held invoice: it is rejected and its quantity no longer counts as invoiced', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '11.00']]);
    assert.equal(line(po, 1).invoicedQuantity, '10');
    po = apply(po, { type: 'invoice.resolved', at: LATER, actor: finance, invoiceNumber: 'INV-1', action: 'reject', reason: 'wrong price' });
    assert.deepEqual([po.invoices[0]!.status, po.exceptions[0]!.status, line(po, 1).invoicedQuantity], ['rejected', 'rejected', '0']);
  });

  test('an invoice that arrives before the goods waits as pending_receipt and is approved by the re-match after the receipt', () => {
    let po = submitInvoice(acknowledge(issued()), 'INV-1', [[1, '10', '10.00']]);
    assert.equal(po.invoices[0]!.status, 'pending_receipt');
    assert.equal(po.exceptions.length, 0);
    assert.deepEqual(heldInvoices(po), ['INV-1']);
    po = rematchHeld(receive(po, 'GR-1', [[1, '10']]));
    assert.equal(po.invoices[0]!.status, 'approved');
    assert.deepEqual(heldInvoices(po), []);
  });

  test('an over-quantity exception is resolved automatically when a credit memo brings it back to what was received', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '8']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00']]);
    assert.equal(po.invoices[0]!.status, 'exception');
    const creditMemo = { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' };
    validateCreditMemo(po, creditMemo);
    po = apply(po, { type: 'credit_memo.received', at: LATER, actor: supplier, creditMemo, bodyHash: 'cm' });
    assert.deepEqual([po.invoices[0]!.creditedTotal, line(po, 1).invoicedQuantity], ['20.00', '8']);
    po = rematchHeld(po);
    assert.deepEqual([po.invoices[0]!.status, po.exceptions[0]!.status], ['approved', 'resolved']);
  });

  test('credit memos are refused for an unknown invoice, for more than was invoiced, and once the invoice is paid', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00']]);
    const memo = (quantity: string, invoiceNumber = 'INV-1') => ({ creditMemoNumber: 'CM-1', invoiceNumber, lines: [{ lineNo: 1, quantity, unitPrice: '10.00' }], total: '10.00' });
    assert.deepEqual(Object.values(refusal(() => validateCreditMemo(po, memo('1', 'INV-404')))).slice(0, 2), ['UNKNOWN_INVOICE', 'unprocessable']);
    assert.equal(refusal(() => validateCreditMemo(po, memo('11'))).code, 'CREDIT_EXCEEDS_INVOICE');
    po = payAndClear(po, 'INV-1');
    const refused = refusal(() => validateCreditMemo(po, memo('1')));
    assert.deepEqual([refused.code, refused.kind], ['INVOICE_ALREADY_PAID', 'conflict']);
  });

  test('resolving an invoice that does not exist is 404 INVOICE_NOT_FOUND; one without an open exception is NO_OPEN_EXCEPTION', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00']]);
    assert.deepEqual(Object.values(refusal(() => validateResolution(po, 'INV-404', { action: 'approve', reason: 'x' }))).slice(0, 2), ['INVOICE_NOT_FOUND', 'not_found']);
    assert.equal(refusal(() => validateResolution(po, 'INV-1', { action: 'approve', reason: 'x' })).code, 'NO_OPEN_EXCEPTION');
  });

  test('2/10 net 30: the matched invoice is scheduled on the discount date, paid, cleared, and the PO closes', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10'], [2, '4']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00'], [2, '4', '2.50']]);
    assert.equal(refusal(() => validatePaymentStatus(po, 'INV-1', { status: 'cleared' })).code, 'PAYMENT_NOT_EXECUTED');
    assert.equal(isReadyToClose(po), false);
    po = payAndClear(po, 'INV-1');
    const invoice = po.invoices[0]!;
    assert.deepEqual(
      [invoice.status, invoice.payment?.status, invoice.payment?.scheduledFor, invoice.payment?.amount, invoice.payment?.discount, invoice.payment?.paymentId],
      ['paid', 'cleared', '2026-11-16T00:00:00.000Z', '107.80', '2.20', 'PAY-INV-1'],
    );
    assert.deepEqual(po.lines.map((l) => l.paidQuantity), ['10', '4']);
    assert.equal(refusal(() => validatePaymentStatus(po, 'INV-1', { status: 'failed' })).code, 'PAYMENT_ALREADY_FINAL');
    assert.equal(isReadyToClose(po), true);
    po = apply(po, { type: 'po.closed', at: LATER, actor: system });
    assert.equal(deriveStatus(po), 'closed');
    assert.equal(isReadyToClose(po), false);
  });

  test('the PO is not ready to close while a line is invoiced short of what was received', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10'], [2, '4']]);
    po = payAndClear(submitInvoice(po, 'INV-1', [[1, '10', '10.00']]), 'INV-1');
    assert.equal(isReadyToClose(po), false);
    po = payAndClear(submitInvoice(po, 'INV-2', [[2, '4', '2.50']]), 'INV-2');
    assert.equal(isReadyToClose(po), true);
  });

  test('a failed payment opens PAYMENT_FAILED; finance approves a retry and attempt 2 is scheduled', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10'], [2, '4']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00'], [2, '4', '2.50']]);
    const plan = planPayment({ invoice: po.invoices[0]!, terms: po.policy.paymentTerms, captureDiscounts: true, approvedAt: LATER });
    po = apply(po, { type: 'payment.scheduled', at: LATER, actor: system, invoiceNumber: 'INV-1', plan });
    po = apply(po, { type: 'payment.executed', at: LATER, actor: system, invoiceNumber: 'INV-1', paymentId: 'PAY-1' });
    validatePaymentStatus(po, 'INV-1', { status: 'failed' });
    po = apply(po, { type: 'payment.status_reported', at: LATER, actor: finance, invoiceNumber: 'INV-1', status: 'failed', reference: 'R01 insufficient funds' });
    assert.deepEqual([po.invoices[0]!.status, po.invoices[0]!.payment?.status], ['exception', 'failed']);
    assert.deepEqual(po.exceptions.map((e) => [e.id, e.code, e.status]), [['EXC-INV-1-1', 'PAYMENT_FAILED', 'open']]);
    assert.deepEqual(heldInvoices(po), [], 'a failed payment is not re-matched');
    assert.equal(line(po, 1).paidQuantity, '0');
    po = apply(po, { type: 'invoice.resolved', at: LATER, actor: finance, invoiceNumber: 'INV-1', action: 'approve', reason: 'bank details corrected' });
    assert.deepEqual([po.invoices[0]!.status, po.invoices[0]!.payment?.attempt, po.exceptions[0]!.status], ['approved', 2, 'approved']);
    assert.equal(refusal(() => validatePaymentStatus(po, 'INV-1', { status: 'cleared' })).code, 'PAYMENT_NOT_EXECUTED');
    po = apply(po, { type: 'payment.scheduled', at: LATER, actor: system, invoiceNumber: 'INV-1', plan });
    assert.deepEqual([po.invoices[0]!.status, po.invoices[0]!.payment?.attempt, po.invoices[0]!.payment?.status], ['scheduled', 2, 'scheduled']);
  });

  test('a credit memo on an invoice already scheduled with a discount lowers the payment and its discount', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00']]);
    const plan = planPayment({ invoice: po.invoices[0]!, terms: po.policy.paymentTerms, captureDiscounts: true, approvedAt: LATER });
    po = apply(po, { type: 'payment.scheduled', at: LATER, actor: system, invoiceNumber: 'INV-1', plan });
    assert.deepEqual([po.invoices[0]!.payment?.amount, po.invoices[0]!.payment?.discount], ['98.00', '2.00']);
    const creditMemo = { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '5', unitPrice: '10.00' }], total: '50.00' };
    po = apply(po, { type: 'credit_memo.received', at: LATER, actor: supplier, creditMemo, bodyHash: 'cm' });
    assert.deepEqual([po.invoices[0]!.payment?.amount, po.invoices[0]!.payment?.discount, po.invoices[0]!.payment?.scheduledFor], ['49.00', '1.00', plan.scheduledFor]);
  });
});

describe('the fold itself', () => {
  test('apply returns a new state and leaves the old one untouched', () => {
    const before = acknowledge(issued());
    const snapshot = JSON.stringify(before);
    const after = receive(before, 'GR-1', [[1, '3']]);
    assert.equal(JSON.stringify(before), snapshot);
    assert.notEqual(after, before);
    assert.equal(line(after, 1).receivedQuantity, '3');
  });

  test('every event adds a timeline entry with its time, type and actor', () => {
    let po = acknowledge(issued());
    po = receive(po, 'GR-1', [[1, '3']]);
    po = apply(po, { type: 'acknowledgement.reminded', at: LATER, actor: system });
    assert.deepEqual(po.timeline.map((t) => [t.type, t.actor]), [
      ['po.issued', 'procurement#buyer'],
      ['po.acknowledged', 'supplier:ACME'],
      ['goods.received', 'warehouse#wms'],
      ['acknowledgement.reminded', 'workflow'],
    ]);
    assert.equal(po.reminders.ackReminderSentAt, LATER);
    assert.match(po.timeline[2]!.detail!, /GR-1/);
  });

  test('a services-only PO counts as received once all ordered hours are invoiced', () => {
    let po = acknowledge(issued([{ lineNo: 1, quantity: '8', unitPrice: '95.00', kind: 'service' }]));
    assert.equal(deriveStatus(po), 'acknowledged');
    po = submitInvoice(po, 'INV-1', [[1, '8', '95.00']]);
    assert.equal(po.invoices[0]!.status, 'approved');
    assert.equal(deriveStatus(po), 'received');
  });
});

describe('more refusals a buyer, supplier or clerk may meet', () => {
  test('a supplier cannot reject a PO whose goods have already been received (CANCEL_AFTER_RECEIPT)', () => {
    let po = receive(issued(), 'GR-1', [[1, '2']]);
    assert.equal(deriveStatus(po), 'issued', 'goods may arrive before the acknowledgement');
    const refused = refusal(() => validateAcknowledgement(po, { type: 'reject', reason: 'out of stock' }));
    assert.deepEqual([refused.code, refused.kind], ['CANCEL_AFTER_RECEIPT', 'conflict']);
    po = acknowledge(po);
    assert.equal(deriveStatus(po), 'partially_received');
  });

  test('a supplier cannot change the price of a line already received (CHANGE_AFTER_RECEIPT)', () => {
    const po = receive(issued(), 'GR-1', [[1, '2']]);
    const refused = refusal(() =>
      validateAcknowledgement(po, { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', unitPrice: '11.00' }] }),
    );
    assert.deepEqual([refused.code, refused.kind], ['CHANGE_AFTER_RECEIPT', 'conflict']);
  });

  test('the buyer cannot approve a supplier price change (10.00 → 11.00) once the line was received: CHANGE_AFTER_RECEIPT, and rejecting it is still possible', () => {
    let po = acknowledge(issued(), { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', unitPrice: '11.00' }] });
    assert.ok(po.pendingChanges, 'waiting for the buyer');
    po = receive(po, 'GR-1', [[1, '10']]);
    const refused = refusal(() => validateChangeDecision(po, { decision: 'approve' }));
    assert.deepEqual([refused.code, refused.kind], ['CHANGE_AFTER_RECEIPT', 'conflict']);
    assert.match(refused.message, /cannot be approved any more: Line 1 \(.*\): price cannot change from 10\.00 after 10 was received; reject them instead/);
    validateChangeDecision(po, { decision: 'reject', reason: 'Goods already in at 10.00' });
  });

  test('the buyer cannot approve a supplier line rejection once goods of that line were received (CHANGE_AFTER_RECEIPT)', () => {
    let po = acknowledge(issued(), { type: 'accept_with_changes', lines: [{ lineNo: 2, status: 'rejected' }] });
    po = receive(po, 'GR-1', [[2, '1']]);
    assert.deepEqual(refusal(() => validateChangeDecision(po, { decision: 'approve' })).code, 'CHANGE_AFTER_RECEIPT');
  });

  test('the buyer cannot approve a confirmed quantity below what arrived meanwhile (QUANTITY_BELOW_DELIVERED)', () => {
    let po = acknowledge(issued(), { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'backordered', quantity: '6' }] });
    po = receive(po, 'GR-1', [[1, '8']]);
    assert.deepEqual(refusal(() => validateChangeDecision(po, { decision: 'approve' })).code, 'QUANTITY_BELOW_DELIVERED');
  });

  test('approving changes to lines nothing was received or invoiced on is allowed', () => {
    let po = acknowledge(issued(), { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', unitPrice: '11.00' }] });
    po = receive(po, 'GR-1', [[2, '4']]);
    validateChangeDecision(po, { decision: 'approve' });
  });

  test('a supplier cannot re-price or reject a service line already invoiced (CHANGE_AFTER_INVOICE)', () => {
    let po = acknowledge(issued([{ lineNo: 1, quantity: '8', unitPrice: '95.00', kind: 'service' }, { lineNo: 2, quantity: '4', unitPrice: '2.50' }]));
    po = submitInvoice(po, 'INV-1', [[1, '4', '95.00']]);
    po = change(po, { reason: 'More bolts', lines: [{ lineNo: 2, action: 'change', quantity: '6' }] });
    assert.equal(po.awaitingAcknowledgement, true);
    for (const line of [{ lineNo: 1, status: 'changed', unitPrice: '99.00' }, { lineNo: 1, status: 'rejected' }] as const) {
      const refused = refusal(() => validateAcknowledgement(po, { type: 'accept_with_changes', lines: [line] }));
      assert.deepEqual([refused.code, refused.kind], ['CHANGE_AFTER_INVOICE', 'conflict']);
      assert.match(refused.message, /already invoiced on INV-1/);
    }
    // A history recorded before the rule replays as it ran: the handler's version check says so.
    validateAcknowledgement(po, { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', unitPrice: '99.00' }] }, { newRules: () => false });
  });

  test('"accept with changes" that rejects every line is refused: the supplier should reject the PO', () => {
    const refused = refusal(() =>
      validateAcknowledgement(issued(), { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'rejected' }, { lineNo: 2, status: 'rejected' }] }),
    );
    assert.equal(refused.code, 'ACK_REJECTS_ALL_LINES');
  });

  test('a change order adding an existing line number, or cancelling every line, is refused', () => {
    const po = acknowledge(issued());
    assert.equal(refusal(() => validateChangeOrder(po, { lines: [{ lineNo: 1, action: 'add', sku: 'X', quantity: '1', unitPrice: '1.00' }] })).code, 'LINE_EXISTS');
    assert.equal(refusal(() => validateChangeOrder(po, { lines: [{ lineNo: 1, action: 'cancel' }, { lineNo: 2, action: 'cancel' }] })).code, 'NO_OPEN_LINES');
    assert.equal(refusal(() => validateChangeOrder(po, { lines: [{ lineNo: 5, action: 'change', quantity: '3' }] })).code, 'UNKNOWN_LINE');
  });

  test('short-closing every line after partial receipts leaves the PO received', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '3']]);
    po = change(po, { lines: [{ lineNo: 1, action: 'cancel' }, { lineNo: 2, action: 'cancel' }] });
    assert.equal(deriveStatus(po), 'received');
    assert.equal(poTotal(po), '30.00');
  });

  test('no invoice is accepted on a cancelled PO', () => {
    const po = apply(issued(), { type: 'po.cancelled', at: AT, actor: buyer, reason: 'budget cut' });
    assert.deepEqual(Object.values(refusal(() => validateInvoice(po))).slice(0, 2), ['PO_CANCELLED', 'conflict']);
  });

  test('a pending invoice that turns out over-billed when the goods arrive opens an exception; its reasons update on the next re-match', () => {
    let po = submitInvoice(acknowledge(issued()), 'INV-1', [[1, '10', '10.00']]);
    po = rematchHeld(receive(po, 'GR-1', [[1, '4']]));
    assert.equal(po.invoices[0]!.status, 'exception');
    assert.deepEqual(po.exceptions.map((e) => [e.id, e.status, e.reasons[0]!.expected]), [['EXC-INV-1-1', 'open', '4']]);
    po = rematchHeld(receive(po, 'GR-2', [[1, '3']]));
    assert.deepEqual(po.exceptions.map((e) => [e.id, e.status, e.reasons[0]!.expected]), [['EXC-INV-1-1', 'open', '7']]);
    po = rematchHeld(receive(po, 'GR-3', [[1, '3']]));
    assert.deepEqual([po.invoices[0]!.status, po.exceptions[0]!.status, po.exceptions[0]!.resolvedBy?.id], ['approved', 'resolved', 'workflow']);
  });

  test('an overdue exception is marked escalated; the view shows status, total and the open exception', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '12.00']]);
    po = apply(po, { type: 'exception.escalated', at: LATER, actor: system, exceptionId: 'EXC-INV-1-1' });
    assert.equal(po.exceptions[0]!.escalatedAt, LATER);
    const v = view(po);
    assert.deepEqual([v.status, v.total, v.hasOpenException], ['partially_received', '110.00', true]);
  });

  test('the bank reports sent, then cleared; a report before execution is PAYMENT_NOT_EXECUTED', () => {
    let po = receive(acknowledge(issued()), 'GR-1', [[1, '10'], [2, '4']]);
    po = submitInvoice(po, 'INV-1', [[1, '10', '10.00'], [2, '4', '2.50']]);
    const plan = planPayment({ invoice: po.invoices[0]!, terms: po.policy.paymentTerms, captureDiscounts: true, approvedAt: LATER });
    po = apply(po, { type: 'payment.scheduled', at: LATER, actor: system, invoiceNumber: 'INV-1', plan });
    assert.equal(refusal(() => validatePaymentStatus(po, 'INV-1', { status: 'sent' })).code, 'PAYMENT_NOT_EXECUTED');
    assert.equal(refusal(() => validatePaymentStatus(po, 'INV-9', { status: 'sent' })).kind, 'not_found');
    po = apply(po, { type: 'payment.executed', at: LATER, actor: system, invoiceNumber: 'INV-1', paymentId: 'PAY-1' });
    validatePaymentStatus(po, 'INV-1', { status: 'sent' });
    po = apply(po, { type: 'payment.status_reported', at: LATER, actor: finance, invoiceNumber: 'INV-1', status: 'sent', reference: 'ACH-77' });
    assert.equal(isReadyToClose(po), false, 'sent is not yet cleared');
    validatePaymentStatus(po, 'INV-1', { status: 'cleared' });
    po = apply(po, { type: 'payment.status_reported', at: LATER, actor: finance, invoiceNumber: 'INV-1', status: 'cleared' });
    assert.deepEqual([po.invoices[0]!.payment?.status, po.invoices[0]!.payment?.reference], ['cleared', 'ACH-77']);
    assert.equal(isReadyToClose(po), true);
  });
});
