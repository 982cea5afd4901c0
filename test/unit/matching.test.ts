import assert from 'node:assert/strict';
import { AT, buyer, finance, issuedPo as issueFixture, supplier, warehouse, type LineSpec } from './fixtures';
import { describe, test } from 'node:test';
import { apply } from '../../workflows/domain/lifecycle/apply';
import { threeWayMatch, withoutTolerance } from '../../workflows/domain/matching';
import { lineAmount, round2, sum } from '../../workflows/domain/money';
import { Invoice } from '../../workflows/domain/schemas';
import type { Tolerances } from '../../workflows/domain/schemas';
import type { MatchResult, PoEvent, PoState } from '../../workflows/domain/state';
import { DEFAULT_TOLERANCES, resolveTolerances } from '../../workflows/domain/policy';



function issuedPo(lines: LineSpec[], tolerances?: Tolerances): PoState {
  return issueFixture(lines, { poNumber: 'PO-1001', tolerances, paymentTerms: { netDays: 30 } });
}

function acknowledged(lines: LineSpec[], tolerances?: Tolerances): PoState {
  return apply(issuedPo(lines, tolerances), { type: 'po.acknowledged', at: AT, actor: supplier, acknowledgement: { type: 'accept' } });
}

function received(state: PoState, receiptNumber: string, lines: [lineNo: number, quantity: string][]): PoState {
  return apply(state, {
    type: 'goods.received',
    at: AT,
    actor: warehouse,
    bodyHash: receiptNumber,
    receipt: { receiptNumber, location: 'MAIN', lines: lines.map(([lineNo, quantityReceived]) => ({ lineNo, quantityReceived, quantityRejected: '0' })) },
  });
}

function invoice(invoiceNumber: string, lines: [lineNo: number, quantity: string, unitPrice: string][], extra: Partial<Invoice> = {}): Invoice {
  const computed = round2(sum(lines.map(([, quantity, unitPrice]) => lineAmount(quantity, unitPrice))));
  return Invoice.parse({
    invoiceNumber,
    invoiceDate: '2026-11-02',
    currency: 'USD',
    lines: lines.map(([lineNo, quantity, unitPrice]) => ({ lineNo, quantity, unitPrice })),
    total: computed,
    ...extra,
  });
}

function submitted(state: PoState, body: Invoice): { state: PoState; match: MatchResult } {
  const match = threeWayMatch({ state, invoice: body, at: AT });
  const event: PoEvent = { type: 'invoice.received', at: AT, actor: supplier, invoice: body, bodyHash: body.invoiceNumber, match };
  return { state: apply(state, event), match };
}

const reasonsOf = (match: MatchResult) => [...match.reasons, ...match.lines.flatMap((l) => l.reasons)];

describe('three-way match: price', () => {
  test('invoice at 3% over PO price is held with PRICE_VARIANCE, expected 10.00, actual 10.30, tolerance 0.20', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.30']]), at: AT });
    assert.equal(match.status, 'exception');
    assert.equal(match.lines[0]!.status, 'exception');
    const [reason] = match.lines[0]!.reasons;
    assert.deepEqual(
      { code: reason!.code, expected: reason!.expected, actual: reason!.actual, tolerance: reason!.tolerance },
      { code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.30', tolerance: '0.20' },
    );
    assert.match(reason!.message, /Invoiced unit price 10\.30 differs from agreed 10\.00 by more than 0\.20/);
  });

  test('invoice exactly 2% over PO price is within tolerance and matches', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.20']]), at: AT });
    assert.equal(match.status, 'matched');
    assert.deepEqual(reasonsOf(match), []);
    assert.equal(match.matchedAt, AT);
  });

  test('an invoice cheaper than agreed by more than 2% is also a PRICE_VARIANCE', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '9.70']]), at: AT });
    assert.deepEqual(reasonsOf(match).map((r) => [r.code, r.actual]), [['PRICE_VARIANCE', '9.70']]);
  });

  test('a supplier price tolerance of 0.05 absolute lets a 1.00 item be invoiced at 1.05 but not 1.06', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '100', unitPrice: '1.00' }], { priceVarianceAbs: '0.05' }), 'GR-1', [[1, '100']]);
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '100', '1.05']]), at: AT }).status, 'matched');
    const held = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '100', '1.06']]), at: AT });
    assert.deepEqual(reasonsOf(held).map((r) => [r.code, r.expected, r.actual, r.tolerance]), [['PRICE_VARIANCE', '1.00', '1.06', '0.05']]);
  });

  test('a 4-decimal agreed price is shown with its 4 decimals', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '12.3456' }]), 'GR-1', [[1, '10']]);
    const held = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '13.0000']]), at: AT });
    const [reason] = reasonsOf(held);
    assert.deepEqual([reason!.expected, reason!.actual, reason!.tolerance], ['12.3456', '13.00', '0.2469']);
  });

  test('a 0.1234 fastener invoiced at 0.1259 is held and the reason adds up: 0.1259 − 0.1234 = 0.0025 is more than the tolerance shown, 0.0024', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '1000', unitPrice: '0.1234' }]), 'GR-1', [[1, '1000']]);
    const held = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '1000', '0.1259']]), at: AT });
    const [reason] = reasonsOf(held);
    // 2 % of 0.1234 is 0.002468: prices move in steps of 0.0001, so 0.0024 is the largest difference allowed.
    assert.deepEqual([reason!.code, reason!.expected, reason!.actual, reason!.tolerance], ['PRICE_VARIANCE', '0.1234', '0.1259', '0.0024']);
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-2', [[1, '1000', '0.1258']]), at: AT }).status, 'matched');
  });

  test('the agreed price is the supplier-proposed price the buyer approved, not the PO price', () => {
    let po = issuedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]);
    po = apply(po, {
      type: 'po.acknowledged',
      at: AT,
      actor: supplier,
      acknowledgement: { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', unitPrice: '11.00' }] },
    });
    po = apply(po, { type: 'po.change_decided', at: AT, actor: buyer, decision: 'approve' });
    po = received(po, 'GR-1', [[1, '10']]);
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '11.00']]), at: AT }).status, 'matched');
    const held = threeWayMatch({ state: po, invoice: invoice('INV-2', [[1, '10', '10.00']]), at: AT });
    assert.deepEqual(reasonsOf(held).map((r) => [r.code, r.expected]), [['PRICE_VARIANCE', '11.00']]);
  });
});

describe('three-way match: quantity', () => {
  test('invoice for goods not yet received is held as pending_receipt, not an exception', () => {
    const po = acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]);
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00']]), at: AT });
    assert.equal(match.status, 'pending_receipt');
    assert.deepEqual(match.lines, [{ lineNo: 1, status: 'pending_receipt', reasons: [] }]);
  });

  test('invoicing 8 when 6 were received is QTY_EXCEEDS_RECEIVED, expected 6, actual 8, tolerance 0', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '6']]);
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '8', '10.00']]), at: AT });
    assert.equal(match.status, 'exception');
    const [reason] = reasonsOf(match);
    assert.deepEqual([reason!.code, reason!.expected, reason!.actual, reason!.tolerance], ['QTY_EXCEEDS_RECEIVED', '6', '8', '0']);
    assert.match(reason!.message, /invoiced quantity 8 .* exceeds the 6 received/);
  });

  test('a second invoice counts what the first already billed: 6 + 6 against 10 received is over by 2', () => {
    let po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const first = submitted(po, invoice('INV-1', [[1, '6', '10.00']]));
    assert.equal(first.match.status, 'matched');
    po = first.state;
    const second = threeWayMatch({ state: po, invoice: invoice('INV-2', [[1, '6', '10.00']]), at: AT });
    assert.deepEqual(reasonsOf(second).map((r) => [r.code, r.expected, r.actual]), [['QTY_EXCEEDS_RECEIVED', '10', '12']]);
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-2', [[1, '4', '10.00']]), at: AT }).status, 'matched');
  });

  test('a rejected invoice no longer counts against the received quantity', () => {
    let po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    po = submitted(po, invoice('INV-1', [[1, '10', '12.00']])).state;
    po = apply(po, { type: 'invoice.resolved', at: AT, actor: finance, invoiceNumber: 'INV-1', action: 'reject', reason: 'wrong price' });
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-2', [[1, '10', '10.00']]), at: AT }).status, 'matched');
  });

  test('re-matching an invoice does not count it twice and ignores invoices submitted after it', () => {
    let po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '4']]);
    po = submitted(po, invoice('INV-1', [[1, '4', '10.00']])).state;
    po = submitted(po, invoice('INV-2', [[1, '6', '10.00']])).state; // held: 10 > 4
    const inv1 = po.invoices[0]!;
    assert.equal(threeWayMatch({ state: po, invoice: inv1, invoiceNumber: 'INV-1', at: AT }).status, 'matched');
    po = received(po, 'GR-2', [[1, '6']]);
    const inv2 = po.invoices[1]!;
    assert.equal(threeWayMatch({ state: po, invoice: inv2, invoiceNumber: 'INV-2', at: AT }).status, 'matched');
  });

  test('a credit memo for 2 brings an over-invoiced line back within what was received', () => {
    let po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '8']]);
    po = submitted(po, invoice('INV-1', [[1, '10', '10.00']])).state;
    assert.equal(po.invoices[0]!.status, 'exception');
    po = apply(po, {
      type: 'credit_memo.received',
      at: AT,
      actor: supplier,
      bodyHash: 'cm',
      creditMemo: { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' },
    });
    const rematch = threeWayMatch({ state: po, invoice: po.invoices[0]!, invoiceNumber: 'INV-1', at: AT });
    assert.equal(rematch.status, 'matched');
  });

  test('with a 5% over-delivery tolerance, 105 invoiced on 100 received matches and 106 is held with tolerance 5', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '100', unitPrice: '1.00' }], { qtyOverPct: '0.05' }), 'GR-1', [[1, '100']]);
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '105', '1.00']]), at: AT }).status, 'matched');
    const held = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '106', '1.00']]), at: AT });
    assert.deepEqual(reasonsOf(held).map((r) => [r.code, r.expected, r.actual, r.tolerance]), [['QTY_EXCEEDS_RECEIVED', '105', '106', '5']]);
  });

  test('decimal quantities are compared exactly: 2.5 kg invoiced on 2.5 kg received matches', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '2.5', unitPrice: '4.0000' }]), 'GR-1', [[1, '2.5']]);
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '2.5', '4.00']]), at: AT }).status, 'matched');
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '2.5001', '4.00']], { total: '10.00' }), at: AT }).status, 'exception');
  });

  test('one line waiting for goods and one line matched leaves the invoice pending_receipt', () => {
    const po = received(
      acknowledged([
        { lineNo: 1, quantity: '10', unitPrice: '10.00' },
        { lineNo: 2, quantity: '5', unitPrice: '3.00' },
      ]),
      'GR-1',
      [[1, '10']],
    );
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00'], [2, '5', '3.00']]), at: AT });
    assert.equal(match.status, 'pending_receipt');
    assert.deepEqual(match.lines.map((l) => l.status), ['matched', 'pending_receipt']);
    const worse = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '11.00'], [2, '5', '3.00']]), at: AT });
    assert.equal(worse.status, 'exception', 'an exception anywhere wins over waiting for goods');
  });
});

describe('three-way match: services, lines and header', () => {
  test('a service line is matched two-way against the ordered hours and never waits for a receipt', () => {
    const po = acknowledged([{ lineNo: 1, quantity: '8', unitPrice: '95.00', kind: 'service' }]);
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '8', '95.00']]), at: AT }).status, 'matched');
    const held = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '95.00']]), at: AT });
    assert.deepEqual(reasonsOf(held).map((r) => [r.code, r.expected, r.actual]), [['QTY_EXCEEDS_ORDERED', '8', '10']]);
  });

  test('a line that is not on the PO is UNKNOWN_LINE', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00'], [7, '1', '5.00']]), at: AT });
    assert.equal(match.status, 'exception');
    assert.deepEqual(match.lines[1]!.reasons.map((r) => [r.code, r.actual]), [['UNKNOWN_LINE', '7']]);
    assert.match(match.lines[1]!.reasons[0]!.message, /Line 7 is not on PO PO-1001/);
  });

  test('a line the buyer cancelled before delivery is UNKNOWN_LINE with a message saying so', () => {
    let po = issuedPo([
      { lineNo: 1, quantity: '10', unitPrice: '10.00' },
      { lineNo: 2, quantity: '10', unitPrice: '1.00' },
    ]);
    po = apply(po, { type: 'po.changed', at: AT, actor: buyer, changeOrder: { lines: [{ lineNo: 2, action: 'cancel' }] } });
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[2, '10', '1.00']]), at: AT });
    assert.deepEqual(reasonsOf(match).map((r) => r.code), ['UNKNOWN_LINE']);
    assert.match(reasonsOf(match)[0]!.message, /cancelled/);
  });

  test('an invoice in EUR against a USD PO is CURRENCY_MISMATCH', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const match = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00']], { currency: 'EUR' }), at: AT });
    assert.equal(match.status, 'exception');
    assert.deepEqual(match.reasons.map((r) => [r.code, r.expected, r.actual, r.tolerance]), [['CURRENCY_MISMATCH', 'USD', 'EUR', '0']]);
  });

  test('a stated total 6 cents off lines + freight + tax is TOTAL_MISMATCH; 5 cents off is within tolerance', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const ok = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00']], { freight: '5.00', tax: '8.40', total: '113.45' }), at: AT });
    assert.equal(ok.status, 'matched');
    const off = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00']], { freight: '5.00', tax: '8.40', total: '113.46' }), at: AT });
    assert.deepEqual(off.reasons.map((r) => [r.code, r.expected, r.actual, r.tolerance]), [['TOTAL_MISMATCH', '113.40', '113.46', '0.05']]);
  });

  test('a stated total of 100.054 on 100.00 of lines is TOTAL_MISMATCH and shows 100.054, not a rounded 100.05 that would look within tolerance', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const off = threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00']], { total: '100.054' }), at: AT });
    assert.deepEqual(off.reasons.map((r) => [r.code, r.expected, r.actual, r.tolerance]), [['TOTAL_MISMATCH', '100.00', '100.054', '0.05']]);
  });

  test('line amounts round half-even to cents before they are summed: 3 × 0.125 = 0.38 (not 0.375)', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '3', unitPrice: '0.1250' }], { totalVarianceAbs: '0.00' }), 'GR-1', [[1, '3']]);
    // 0.375 → 0.38 (half-even keeps 8, the even neighbour of 7.5 cents)
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '3', '0.1250']], { total: '0.38' }), at: AT }).status, 'matched');
    assert.equal(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '3', '0.1250']], { total: '0.37' }), at: AT }).status, 'exception');
  });
});

describe('match reasons as the supplier sees them', () => {
  test('a PRICE_VARIANCE keeps expected 10.00 and actual 10.30, without the tolerance of 0.20 anywhere', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const [reason] = reasonsOf(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.30']]), at: AT }));
    const seen = withoutTolerance(reason!);
    assert.deepEqual([seen.code, seen.expected, seen.actual, 'tolerance' in seen], ['PRICE_VARIANCE', '10.00', '10.30', false]);
    assert.equal(seen.message, 'Invoiced unit price 10.30 differs from agreed 10.00 (line 1, SKU-1)'.replace('SKU-1', po.lines[0]!.sku));
  });

  test('a QTY_EXCEEDS_RECEIVED over a 5 % allowance says the received quantity, not received + allowance', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '100', unitPrice: '10.00' }], { qtyOverPct: '0.05' }), 'GR-1', [[1, '100']]);
    const [reason] = reasonsOf(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '110', '10.00']]), at: AT }));
    assert.deepEqual([reason!.expected, reason!.tolerance], ['105', '5']);
    const seen = withoutTolerance(reason!);
    assert.deepEqual([seen.code, seen.expected, seen.actual], ['QTY_EXCEEDS_RECEIVED', '100', '110']);
    assert.doesNotMatch(seen.message, /tolerance|105/);
  });

  test('a TOTAL_MISMATCH keeps the computed and stated totals, not the allowed difference', () => {
    const po = received(acknowledged([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    const [reason] = reasonsOf(threeWayMatch({ state: po, invoice: invoice('INV-1', [[1, '10', '10.00']], { total: '101.00' }), at: AT }));
    const seen = withoutTolerance(reason!);
    assert.deepEqual([seen.code, seen.expected, seen.actual], ['TOTAL_MISMATCH', '100.00', '101.00']);
    assert.doesNotMatch(seen.message, /more than/);
  });
});

describe('tolerance profile', () => {
  test('a supplier overriding only the price tolerance keeps the system defaults for the rest', () => {
    assert.deepEqual(resolveTolerances({ priceVariancePct: '0.05' }), { ...DEFAULT_TOLERANCES, priceVariancePct: '0.05' });
    assert.deepEqual(resolveTolerances(), { qtyOverPct: '0', priceVariancePct: '0.02', priceVarianceAbs: '0.00', totalVarianceAbs: '0.05' });
  });
});
