import assert from 'node:assert/strict';
import { AT, finance, issuedPo, supplier, system, warehouse, type LineSpec } from './fixtures';
import { describe, test } from 'node:test';
import { accountBalances, assertBalanced, creditMemoJournal, invoicePostingJournal, invoiceVoidJournal, paymentJournal, paymentReversalJournal, poCloseJournal, receiptJournal } from '../../workflows/domain/ledger';
import { apply } from '../../workflows/domain/lifecycle/apply';
import { threeWayMatch } from '../../workflows/domain/matching';
import { lineAmount, round2, sum } from '../../workflows/domain/money';
import { planPayment } from '../../workflows/domain/payment-terms';
import { Invoice } from '../../workflows/domain/schemas';
import type { CreditMemo, GoodsReceipt, Tolerances } from '../../workflows/domain/schemas';
import type { JournalEntry, PoState } from '../../workflows/domain/state';



function acknowledgedPo(lines: LineSpec[], tolerances?: Tolerances): PoState {
  const po = issuedPo(lines, { poNumber: 'PO-3001', tolerances });
  return apply(po, { type: 'po.acknowledged', at: AT, actor: supplier, acknowledgement: { type: 'accept' } });
}

/** Receives goods and returns the state after with the receipt's journal. */
function receive(state: PoState, receiptNumber: string, lines: [number, string, string?][]): [PoState, JournalEntry | null] {
  const receipt: GoodsReceipt = {
    receiptNumber,
    location: 'MAIN',
    lines: lines.map(([lineNo, quantityReceived, quantityRejected]) => ({ lineNo, quantityReceived, quantityRejected: quantityRejected ?? '0' })),
  };
  const journal = receiptJournal(state, receipt);
  return [apply(state, { type: 'goods.received', at: AT, actor: warehouse, receipt, bodyHash: receiptNumber }), journal];
}

function submit(state: PoState, invoiceNumber: string, lines: [number, string, string][], extra: Partial<Invoice> = {}): PoState {
  const body = Invoice.parse({
    invoiceNumber,
    invoiceDate: '2026-11-02',
    currency: 'USD',
    lines: lines.map(([lineNo, quantity, unitPrice]) => ({ lineNo, quantity, unitPrice })),
    total: round2(sum([...lines.map(([, q, p]) => lineAmount(q, p)), extra.freight ?? '0', extra.tax ?? '0'])),
    ...extra,
  });
  const match = threeWayMatch({ state, invoice: body, at: AT });
  return apply(state, { type: 'invoice.received', at: AT, actor: supplier, invoice: body, bodyHash: invoiceNumber, match });
}

function post(state: PoState, invoiceNumber: string): [PoState, JournalEntry | null] {
  const journal = invoicePostingJournal(state, invoiceNumber);
  return [apply(state, { type: 'invoice.posted', at: AT, actor: system, invoiceNumber }), journal];
}

function memo(state: PoState, creditMemo: CreditMemo): [PoState, JournalEntry | null] {
  const invoice = state.invoices.find((i) => i.invoiceNumber === creditMemo.invoiceNumber)!;
  const journal = invoice.postedAt ? creditMemoJournal(state, creditMemo) : null;
  return [apply(state, { type: 'credit_memo.received', at: AT, actor: supplier, creditMemo, bodyHash: creditMemo.creditMemoNumber }), journal];
}

/** Journal lines as [account, debit, credit] sorted for comparison. */
const rows = (journal: JournalEntry | null) => (journal?.lines ?? []).map((l) => [l.account, l.debit, l.credit]);

describe('goods receipt journal', () => {
  test('receiving 10 at 10.00 debits Inventory 100.00 and credits GRNI 100.00', () => {
    const [, journal] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    assert.deepEqual(rows(journal), [['INVENTORY', '100.00', '0.00'], ['GRNI', '0.00', '100.00']]);
    assert.equal(journal!.currency, 'USD');
  });

  test('a receipt of only rejected goods posts nothing', () => {
    const [, journal] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '0', '3']]);
    assert.equal(journal, null);
  });

  test('three receipts of 1 at 0.3333 post 0.33, 0.34, 0.33 so GRNI holds exactly round(3 × 0.3333) = 1.00', () => {
    let po = acknowledgedPo([{ lineNo: 1, quantity: '3', unitPrice: '0.3333' }]);
    const credits: string[] = [];
    for (const receiptNumber of ['GR-1', 'GR-2', 'GR-3']) {
      const [next, journal] = receive(po, receiptNumber, [[1, '1']]);
      credits.push(journal!.lines.find((l) => l.account === 'GRNI')!.credit);
      po = next;
    }
    assert.deepEqual(credits, ['0.33', '0.34', '0.33']);
    po = submit(po, 'INV-1', [[1, '3', '0.3333']]);
    const [, posting] = post(po, 'INV-1');
    assert.equal(posting!.lines.find((l) => l.account === 'GRNI')!.debit, '1.00');
  });
});

describe('invoice posting journal', () => {
  test('an invoice at 10.15 on goods received at 10.00, with freight and tax: GRNI 100.00, PPV 1.50 debit, AP 114.50', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    po = submit(po, 'INV-1', [[1, '10', '10.15']], { freight: '5.00', tax: '8.00' });
    const [, journal] = post(po, 'INV-1');
    assert.deepEqual(rows(journal), [
      ['GRNI', '100.00', '0.00'],
      ['PPV', '1.50', '0.00'],
      ['FREIGHT_IN', '5.00', '0.00'],
      ['TAX_RECEIVABLE', '8.00', '0.00'],
      ['AP', '0.00', '114.50'],
    ]);
  });

  test('an invoice cheaper than agreed credits PPV', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    po = submit(po, 'INV-1', [[1, '10', '9.90']]);
    assert.deepEqual(rows(post(po, 'INV-1')[1]), [['GRNI', '100.00', '0.00'], ['PPV', '0.00', '1.00'], ['AP', '0.00', '99.00']]);
  });

  test('a stated total 3 cents above the lines (within tolerance) is carried to PPV so AP is the stated total', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    po = submit(po, 'INV-1', [[1, '10', '10.00']], { total: '100.03' });
    assert.equal(po.invoices[0]!.status, 'approved');
    assert.deepEqual(rows(post(po, 'INV-1')[1]), [['GRNI', '100.00', '0.00'], ['PPV', '0.03', '0.00'], ['AP', '0.00', '100.03']]);
  });

  test('a service line is charged to Expense at the invoiced amount, without GRNI', () => {
    let po = acknowledgedPo([{ lineNo: 1, quantity: '8', unitPrice: '95.00', kind: 'service' }]);
    po = submit(po, 'INV-1', [[1, '8', '95.00']]);
    assert.deepEqual(rows(post(po, 'INV-1')[1]), [['EXPENSE', '760.00', '0.00'], ['AP', '0.00', '760.00']]);
  });

  test('a credit memo that arrived before posting is posted with the invoice: GRNI only for the net quantity', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '8']]);
    po = submit(po, 'INV-1', [[1, '10', '10.00']]);
    [po] = memo(po, { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' });
    const [, journal] = post(po, 'INV-1');
    assert.deepEqual(rows(journal), [['GRNI', '80.00', '0.00'], ['AP', '20.00', '0.00'], ['AP', '0.00', '100.00']]);
  });
});

describe('credit memo, payment, reversal and void journals', () => {
  test('a credit memo for 2 at 10.00 on a posted invoice debits AP 20.00 and credits GRNI 20.00', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    po = submit(po, 'INV-1', [[1, '10', '10.00']]);
    [po] = post(po, 'INV-1');
    const [, journal] = memo(po, { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' });
    assert.deepEqual(rows(journal), [['GRNI', '0.00', '20.00'], ['AP', '20.00', '0.00']]);
  });

  test('a credit memo priced above the agreed price puts the difference in PPV', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    po = submit(po, 'INV-1', [[1, '10', '10.10']]);
    [po] = post(po, 'INV-1');
    const [, journal] = memo(po, { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '1', unitPrice: '10.10' }], total: '10.10' });
    assert.deepEqual(rows(journal), [['GRNI', '0.00', '10.00'], ['AP', '10.10', '0.00'], ['PPV', '0.00', '0.10']]);
  });

  test('paying 1000.00 on 2/10 net 30 inside the window: AP 1000.00, Bank 980.00, Purchase discounts 20.00; a failed payment reverses it exactly', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '100', unitPrice: '10.00' }]), 'GR-1', [[1, '100']]);
    po = submit(po, 'INV-1', [[1, '100', '10.00']]);
    const plan = planPayment({ invoice: po.invoices[0]!, terms: po.policy.paymentTerms, captureDiscounts: true, approvedAt: '2026-11-03T09:00:00Z' });
    po = apply(po, { type: 'payment.scheduled', at: AT, actor: system, invoiceNumber: 'INV-1', plan });
    const payment = paymentJournal(po.invoices[0]!);
    assert.deepEqual(rows(payment), [['AP', '1000.00', '0.00'], ['BANK', '0.00', '980.00'], ['PURCHASE_DISCOUNTS', '0.00', '20.00']]);
    const reversal = paymentReversalJournal(po.invoices[0]!);
    assert.deepEqual(rows(reversal), [['AP', '0.00', '1000.00'], ['BANK', '980.00', '0.00'], ['PURCHASE_DISCOUNTS', '20.00', '0.00']]);
    assert.ok(Object.values(accountBalances([payment, reversal])).every((balance) => balance === '0.00'));
  });

  test('voiding a posted invoice with a later credit memo takes everything back out: all accounts but Inventory/GRNI receipt side return to 0', () => {
    let [po, receipt] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '10.00' }]), 'GR-1', [[1, '10']]);
    po = submit(po, 'INV-1', [[1, '10', '10.15']], { freight: '5.00', tax: '8.00' });
    let posting: JournalEntry | null;
    [po, posting] = post(po, 'INV-1');
    let credit: JournalEntry | null;
    [po, credit] = memo(po, { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '1', unitPrice: '10.15' }], total: '10.15' });
    const voided = invoiceVoidJournal(po, 'INV-1');
    assert.deepEqual(accountBalances([receipt, posting, credit, voided]), accountBalances([receipt]));
    po = apply(po, { type: 'invoice.resolved', at: AT, actor: finance, invoiceNumber: 'INV-1', action: 'reject', reason: 'duplicate billing' });
    assert.equal(po.invoices[0]!.status, 'rejected');
  });

  test('two credit memos of 10.125 each (1.5 at 6.75) are posted at 10.12 each, so paying the rest of a 67.50 invoice leaves AP at exactly 0', () => {
    let [po] = receive(acknowledgedPo([{ lineNo: 1, quantity: '10', unitPrice: '6.75' }]), 'GR-1', [[1, '10']]);
    po = submit(po, 'INV-1', [[1, '10', '6.75']]);
    let posting: JournalEntry | null;
    [po, posting] = post(po, 'INV-1');
    const credits: (JournalEntry | null)[] = [];
    for (const creditMemoNumber of ['CM-1', 'CM-2']) {
      let credit: JournalEntry | null;
      [po, credit] = memo(po, { creditMemoNumber, invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '1.5', unitPrice: '6.75' }], total: '10.125' });
      credits.push(credit);
    }
    assert.deepEqual(credits.map((credit) => credit?.lines.find((l) => l.account === 'AP')?.debit), ['10.12', '10.12']);
    const plan = planPayment({ invoice: po.invoices[0]!, terms: { netDays: 30 }, captureDiscounts: true, approvedAt: AT });
    po = apply(po, { type: 'payment.scheduled', at: AT, actor: system, invoiceNumber: 'INV-1', plan });
    assert.equal(plan.amount, '47.26', '67.50 − 10.12 − 10.12: what AP holds for the supplier');
    assert.equal(accountBalances([posting, ...credits, paymentJournal(po.invoices[0]!)]).AP, '0.00');
  });

  test('a line invoiced 5% over what was received (within tolerance) is cleared from GRNI to PPV at close', () => {
    let [po, receipt] = receive(acknowledgedPo([{ lineNo: 1, quantity: '100', unitPrice: '1.00' }], { qtyOverPct: '0.05' }), 'GR-1', [[1, '100']]);
    po = submit(po, 'INV-1', [[1, '105', '1.00']]);
    let posting: JournalEntry | null;
    [po, posting] = post(po, 'INV-1');
    assert.equal(accountBalances([receipt, posting]).GRNI, '5.00');
    const close = poCloseJournal(po);
    assert.deepEqual(rows(close), [['GRNI', '0.00', '5.00'], ['PPV', '5.00', '0.00']]);
    assert.equal(accountBalances([receipt, posting, close]).GRNI, '0.00');
  });

  test('assertBalanced refuses an unbalanced entry, a zero line and a two-sided line', () => {
    const entry = (lines: JournalEntry['lines']): JournalEntry => ({ description: 'test', currency: 'USD', lines });
    assert.throws(() => assertBalanced(entry([{ account: 'AP', debit: '1.00', credit: '0.00' }, { account: 'BANK', debit: '0.00', credit: '0.99' }])), /does not balance/);
    assert.throws(() => assertBalanced(entry([{ account: 'AP', debit: '0.00', credit: '0.00' }])), /exactly one positive side/);
    assert.throws(() => assertBalanced(entry([{ account: 'AP', debit: '1.00', credit: '1.00' }])), /exactly one positive side/);
    assert.doesNotThrow(() => assertBalanced(entry([{ account: 'AP', debit: '1.00', credit: '0.00' }, { account: 'BANK', debit: '0.00', credit: '1.00' }])));
  });
});
