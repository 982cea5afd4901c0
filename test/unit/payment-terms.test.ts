import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addDays } from '../../workflows/domain/calendar';
import { planPayment } from '../../workflows/domain/payment-terms';
import type { PaymentTerms } from '../../workflows/domain/schemas';
import { DEFAULT_PAYMENT_TERMS, resolvePaymentTerms, resolveSlas } from '../../workflows/domain/policy';

const TWO_TEN_NET_30: PaymentTerms = { netDays: 30, discountPercent: '2', discountDays: 10 };
const invoice = (total: string, creditedTotal = '0.00') => ({ invoiceDate: '2026-11-02', total, creditedTotal });

describe('payment terms', () => {
  test('2/10 net 30 approved on day 3 is paid on day 10 with 2% discount', () => {
    const plan = planPayment({ invoice: invoice('1000.00'), terms: TWO_TEN_NET_30, captureDiscounts: true, approvedAt: '2026-11-05T14:30:00Z' });
    assert.deepEqual(plan, {
      dueDate: '2026-12-02',
      discountDate: '2026-11-12',
      scheduledFor: '2026-11-12T00:00:00.000Z',
      amount: '980.00',
      discount: '20.00',
    });
  });

  test('2/10 net 30 approved late on the discount day itself still takes the discount and pays at once', () => {
    const plan = planPayment({ invoice: invoice('1000.00'), terms: TWO_TEN_NET_30, captureDiscounts: true, approvedAt: '2026-11-12T23:59:59.999Z' });
    assert.equal(plan.discount, '20.00');
    assert.equal(plan.scheduledFor, '2026-11-12T23:59:59.999Z');
  });

  test('2/10 net 30 approved on day 11 misses the discount and is paid on day 30 in full', () => {
    const plan = planPayment({ invoice: invoice('1000.00'), terms: TWO_TEN_NET_30, captureDiscounts: true, approvedAt: '2026-11-13T00:00:00Z' });
    assert.deepEqual([plan.scheduledFor, plan.amount, plan.discount], ['2026-12-02T00:00:00.000Z', '1000.00', '0.00']);
  });

  test('with discount capture switched off, 2/10 net 30 is paid in full on the due date', () => {
    const plan = planPayment({ invoice: invoice('1000.00'), terms: TWO_TEN_NET_30, captureDiscounts: false, approvedAt: '2026-11-03T10:00:00Z' });
    assert.deepEqual([plan.scheduledFor, plan.amount, plan.discount], ['2026-12-02T00:00:00.000Z', '1000.00', '0.00']);
  });

  test('net 0 is paid as soon as the invoice is approved, with no discount', () => {
    const plan = planPayment({ invoice: invoice('250.00'), terms: { netDays: 0 }, captureDiscounts: true, approvedAt: '2026-11-04T08:15:00Z' });
    assert.deepEqual(plan, { dueDate: '2026-11-02', scheduledFor: '2026-11-04T08:15:00.000Z', amount: '250.00', discount: '0.00' });
  });

  test('an invoice approved after its due date (a long exception) is paid at once', () => {
    const plan = planPayment({ invoice: invoice('99.90'), terms: { netDays: 30 }, captureDiscounts: true, approvedAt: '2026-12-20T10:00:00Z' });
    assert.deepEqual([plan.dueDate, plan.scheduledFor, plan.amount], ['2026-12-02', '2026-12-20T10:00:00.000Z', '99.90']);
    assert.equal(plan.discountDate, undefined);
  });

  test('a 100.00 credit memo lowers what is paid: 1000 − 100 = 900, 2% discount 18.00, paid 882.00', () => {
    const plan = planPayment({ invoice: invoice('1000.00', '100.00'), terms: TWO_TEN_NET_30, captureDiscounts: true, approvedAt: '2026-11-03T10:00:00Z' });
    assert.deepEqual([plan.amount, plan.discount], ['882.00', '18.00']);
  });

  test('the discount rounds half-even: 2% of 100.25 = 2.005 → 2.00, paid 98.25', () => {
    const plan = planPayment({ invoice: invoice('100.25'), terms: TWO_TEN_NET_30, captureDiscounts: true, approvedAt: '2026-11-03T10:00:00Z' });
    assert.deepEqual([plan.amount, plan.discount], ['98.25', '2.00']);
  });

  test('an approval instant with an offset is read as the instant it is (UTC+2 evening of day 10 is inside the window)', () => {
    const plan = planPayment({ invoice: invoice('100.00'), terms: TWO_TEN_NET_30, captureDiscounts: true, approvedAt: '2026-11-13T01:00:00+02:00' });
    assert.equal(plan.discount, '2.00');
    assert.equal(plan.scheduledFor, '2026-11-12T23:00:00.000Z');
  });

  test('calendar arithmetic crosses months, years and leap days', () => {
    assert.equal(addDays('2026-12-31', 1), '2027-01-01');
    assert.equal(addDays('2028-02-28', 1), '2028-02-29');
    assert.equal(addDays('2027-02-28', 1), '2027-03-01');
    assert.equal(addDays('2026-01-31', 30), '2026-03-02');
    assert.equal(addDays('2026-11-02', 0), '2026-11-02');
  });
});

describe('resolving terms and SLAs', () => {
  test('terms on the PO replace the supplier terms as a whole; neither gives net 30', () => {
    assert.deepEqual(resolvePaymentTerms({ netDays: 45 }, TWO_TEN_NET_30), { netDays: 45 });
    assert.deepEqual(resolvePaymentTerms(undefined, TWO_TEN_NET_30), TWO_TEN_NET_30);
    assert.deepEqual(resolvePaymentTerms(), { netDays: 30 });
    assert.deepEqual(DEFAULT_PAYMENT_TERMS, { netDays: 30 });
  });

  test('a supplier SLA override replaces only the timers it names', () => {
    const defaults = { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' };
    assert.deepEqual(resolveSlas({ ackSla: '24h' }, defaults), { ...defaults, ackSla: '24h' });
    assert.deepEqual(resolveSlas(undefined, defaults), defaults);
  });
});
