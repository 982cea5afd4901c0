/**
 * Properties of the finance controls for any sequence of commands, not just the examples a person
 * thought of: a held invoice is never paid; returns keep inventory, GRNI and AP consistent down
 * to 0 at close; no PO or raising change order reaches the supplier without its approvals;
 * supplier changes decided around receipts never re-value received goods, and a closed PO never
 * holds GRNI or AP.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import Decimal from 'decimal.js';
import { approvalsGiven, orderedValue, requiredApprovals } from '../../workflows/domain/approvals';
import { addDays, dateToUtcMs } from '../../workflows/domain/calendar';
import { DomainError } from '../../workflows/domain/errors';
import { accountBalances, postedNetQuantity } from '../../workflows/domain/ledger';
import { validateAcknowledgement, validateReceipt } from '../../workflows/domain/lifecycle/validate';
import { dec, formatQuantity, round2 } from '../../workflows/domain/money';
import type { ApprovalTier } from '../../workflows/domain/state';
import { Sim } from './finance-sim';

const DAY = 86_400_000;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });

/** Runs a step; a command the business refuses is simply not done. */
function attempt(step: () => void): void {
  try {
    step();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
  }
}

const quarters = (n: number) => formatQuantity(new D(n).div(4));
const price = (cents: number) => new D(cents).div(100).toFixed(2);

describe('property: payment holds', () => {
  type HoldStep = { kind: 'invoice' | 'hold' | 'release' | 'supplierHold' | 'supplierRelease' | 'wait' | 'receive'; pick: number; days: number; withDate: boolean };
  const arbStep: fc.Arbitrary<HoldStep> = fc.record({
    kind: fc.constantFrom('invoice', 'invoice', 'hold', 'hold', 'release', 'supplierHold', 'supplierRelease', 'wait', 'wait', 'receive'),
    pick: fc.nat(),
    days: fc.integer({ min: 1, max: 20 }),
    withDate: fc.boolean(),
  });

  test('no invoice is ever paid while it or its supplier is on hold; what fell due during a hold is paid at release, its discount only inside the window', () => {
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 40 }), fc.constantFrom(0, 30), (steps, netDays) => {
        const sim = new Sim({ lines: [{ lineNo: 1, quantity: '100', unitPrice: '10.00' }], paymentTerms: netDays === 0 ? { netDays: 0 } : { netDays, discountPercent: '2', discountDays: 10 } });
        sim.acknowledge();
        sim.receive([{ lineNo: 1, quantityReceived: '100', quantityRejected: '0' }]);
        let supplierHolds = 0;
        for (const step of steps) {
          const open = sim.state.invoices.filter((i) => i.status !== 'paid');
          const invoice = open[step.pick % Math.max(open.length, 1)];
          const releaseOn = step.withDate ? addDays(sim.iso().slice(0, 10), step.days) : undefined;
          attempt(() => {
            switch (step.kind) {
              case 'invoice': {
                const left = dec(sim.state.lines[0]!.receivedQuantity).minus(sim.state.lines[0]!.invoicedQuantity);
                if (left.greaterThan(0)) sim.invoice([[1, formatQuantity(Decimal.min(left, 10)), '10.00']]);
                return;
              }
              case 'hold':
                if (invoice) sim.holdInvoice(invoice.invoiceNumber, releaseOn);
                return;
              case 'release':
                if (invoice) sim.releaseInvoice(invoice.invoiceNumber);
                return;
              case 'supplierHold':
                if (!sim.state.supplierHold) sim.holdSupplier(`SH-${++supplierHolds}`, releaseOn);
                return;
              case 'supplierRelease':
                if (sim.state.supplierHold) sim.releaseSupplier(sim.state.supplierHold.holdId!);
                return;
              case 'wait':
                sim.advance(step.days * DAY);
                return;
              case 'receive':
                return;
            }
          });
        }
        for (const { event, before } of sim.events) {
          if (event.type !== 'payment.executed') continue;
          const invoice = before.invoices.find((i) => i.invoiceNumber === event.invoiceNumber)!;
          assert.equal(invoice.hold, undefined, `${invoice.invoiceNumber} paid while on hold`);
          assert.equal(before.supplierHold, undefined, `${invoice.invoiceNumber} paid while the supplier was on hold`);
          const payment = invoice.payment!;
          if (dec(payment.discount).greaterThan(0)) assert.ok(Date.parse(event.at) < dateToUtcMs(payment.discountDate!) + DAY, 'a discount taken after its window');
          assert.equal(new D(payment.amount).plus(payment.discount).toFixed(2), new D(invoice.total).minus(invoice.creditedTotal).toFixed(2), 'amount + discount = what is owed');
          if (payment.discountLost) assert.ok(Date.parse(event.at) >= dateToUtcMs(payment.discountDate!) + DAY, 'a discount lost only after its window');
        }
        // Liveness: with every hold gone, nothing due is left unpaid.
        for (const invoice of sim.state.invoices) if (invoice.hold) attempt(() => sim.releaseInvoice(invoice.invoiceNumber));
        if (sim.state.supplierHold) sim.releaseSupplier(sim.state.supplierHold.holdId!);
        sim.advance(60 * DAY);
        assert.ok(sim.state.invoices.every((i) => i.status === 'paid'), JSON.stringify(sim.state.invoices.map((i) => [i.invoiceNumber, i.status, i.payment?.scheduledFor])));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: returns to vendor', () => {
  type ReturnStep = { kind: 'receive' | 'return' | 'invoice' | 'memo' | 'wait'; pick: number; fraction: number; flag: boolean };
  const arbStep: fc.Arbitrary<ReturnStep> = fc.record({
    kind: fc.constantFrom('receive', 'receive', 'return', 'return', 'invoice', 'invoice', 'memo', 'wait'),
    pick: fc.nat(),
    fraction: fc.integer({ min: 1, max: 4 }),
    flag: fc.boolean(),
  });
  const arbLines = fc.array(fc.record({ quarters: fc.integer({ min: 4, max: 200 }), cents: fc.integer({ min: 1, max: 50_000 }) }), { minLength: 1, maxLength: 3 })
    .map((lines) => lines.map((l, i) => ({ lineNo: i + 1, quantity: quarters(l.quarters), unitPrice: price(l.cents) })));

  const part = (open: Decimal.Value, fraction: number) => {
    const share = new D(open).times(fraction).div(4).toDecimalPlaces(2, Decimal.ROUND_DOWN);
    return formatQuantity(share.isZero() ? new D(open) : share);
  };

  test('inventory is what was received less what went back, GRNI per line is received less invoiced, and a closed PO leaves GRNI and AP at 0', () => {
    fc.assert(
      fc.property(arbLines, fc.array(arbStep, { maxLength: 40 }), (lines, steps) => {
        const sim = new Sim({ lines });
        sim.acknowledge();
        for (const step of steps) {
          const line = sim.state.lines[step.pick % sim.state.lines.length]!;
          attempt(() => {
            switch (step.kind) {
              case 'receive': {
                const open = dec(line.confirmedQuantity).minus(line.receivedQuantity);
                if (open.greaterThan(0)) sim.receive([{ lineNo: line.lineNo, quantityReceived: part(open, step.fraction), quantityRejected: '0' }]);
                return;
              }
              case 'return':
                if (dec(line.receivedQuantity).greaterThan(0)) sim.returnGoods([{ lineNo: line.lineNo, quantity: part(line.receivedQuantity, step.fraction) }], step.flag);
                return;
              case 'invoice': {
                const open = dec(line.receivedQuantity).minus(line.invoicedQuantity);
                if (open.greaterThan(0)) sim.invoice([[line.lineNo, part(open, step.fraction), line.agreedUnitPrice]]);
                return;
              }
              case 'memo': {
                // The supplier confirms a debit note with its own credit memo.
                const note = sim.state.creditMemos.find((m) => m.kind === 'debit_note' && !m.settledBy);
                if (note) sim.creditMemo({ creditMemoNumber: sim.next('CM'), invoiceNumber: note.invoiceNumber, lines: note.lines, total: note.total });
                return;
              }
              case 'wait':
                sim.advance(15 * DAY);
                return;
            }
          });
          // Inventory movements per line add up to what is on hand for it.
          for (const l of sim.state.lines) {
            const moved = sim.movements.filter((m) => m.lineNo === l.lineNo).reduce((t, m) => t.plus(m.quantity), new D(0));
            assert.equal(formatQuantity(moved), l.receivedQuantity, `line ${l.lineNo}: movements ${moved} vs on hand ${l.receivedQuantity}`);
          }
          const balances = accountBalances(sim.journals);
          const grniOracle = sim.state.lines.reduce((t, l) => t.plus(new D(l.receivedQuantity).times(l.agreedUnitPrice).toDecimalPlaces(2)).minus(new D(postedNetQuantity(sim.state, l.lineNo, {})).times(l.agreedUnitPrice).toDecimalPlaces(2)), new D(0));
          assert.equal(balances.GRNI, round2(grniOracle.negated()), 'GRNI = value(received) − value(posted), as a credit');
          const inventoryOracle = sim.state.lines.reduce((t, l) => t.plus(new D(l.receivedQuantity).times(l.agreedUnitPrice).toDecimalPlaces(2)), new D(0));
          assert.equal(balances.INVENTORY, round2(inventoryOracle));
        }
        // Drive to close: deliver what is owed, bill what arrived, pay, clear.
        for (const l of sim.state.lines) {
          const open = dec(l.confirmedQuantity).minus(l.receivedQuantity);
          if (open.greaterThan(0)) sim.receive([{ lineNo: l.lineNo, quantityReceived: formatQuantity(open), quantityRejected: '0' }]);
        }
        for (const l of sim.state.lines) {
          const open = dec(l.receivedQuantity).minus(l.invoicedQuantity);
          if (open.greaterThan(0)) sim.invoice([[l.lineNo, formatQuantity(open), l.agreedUnitPrice]]);
        }
        for (const invoiceNumber of sim.state.invoices.filter((i) => i.status === 'exception').map((i) => i.invoiceNumber)) sim.resolve(invoiceNumber, 'approve');
        sim.advance(40 * DAY);
        for (const invoice of sim.state.invoices) if (invoice.status === 'paid' && invoice.payment?.status === 'executed') sim.clear(invoice.invoiceNumber);
        assert.ok(sim.state.closedAt, `not closed: ${JSON.stringify(sim.state.invoices.map((i) => [i.invoiceNumber, i.status]))} ${JSON.stringify(sim.state.lines.map((l) => [l.receivedQuantity, l.invoicedQuantity, l.confirmedQuantity]))}`);
        const balances = accountBalances(sim.journals);
        assert.equal(balances.GRNI, '0.00', `GRNI left at ${balances.GRNI}`);
        assert.equal(balances.AP, '0.00', `AP left at ${balances.AP}`);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: supplier changes around receipts', () => {
  type ChangeStep = { kind: 'propose' | 'approve' | 'reject' | 'ack' | 'receive' | 'invoice' | 'wait'; pick: number; change: 'price' | 'quantity' | 'reject'; cents: number; fraction: number };
  const arbStep: fc.Arbitrary<ChangeStep> = fc.record({
    kind: fc.constantFrom('propose', 'propose', 'approve', 'approve', 'reject', 'ack', 'receive', 'receive', 'invoice', 'wait'),
    pick: fc.nat(),
    change: fc.constantFrom('price', 'price', 'quantity', 'reject'),
    cents: fc.integer({ min: -500, max: 500 }),
    fraction: fc.integer({ min: 1, max: 4 }),
  });
  const arbLines = fc.array(fc.record({ units: fc.integer({ min: 1, max: 40 }), cents: fc.integer({ min: 600, max: 5_000 }) }), { minLength: 1, maxLength: 3 })
    .map((lines) => lines.map((l, i) => ({ lineNo: i + 1, quantity: String(l.units), unitPrice: price(l.cents) })));

  /** What the journals must hold at any time: GRNI = Σ value(received) − value(posted), INVENTORY = Σ value(received), at the price each receipt was valued at. */
  function assertLedger(sim: Sim, valuedAt: Map<number, string>): void {
    const balances = accountBalances(sim.journals);
    for (const line of sim.state.lines) {
      if (dec(line.receivedQuantity).greaterThan(0)) assert.equal(line.agreedUnitPrice, valuedAt.get(line.lineNo), `line ${line.lineNo} re-priced after receipt`);
    }
    const grni = sim.state.lines.reduce((t, l) => t.plus(new D(l.receivedQuantity).times(l.agreedUnitPrice).toDecimalPlaces(2)).minus(new D(postedNetQuantity(sim.state, l.lineNo, {})).times(l.agreedUnitPrice).toDecimalPlaces(2)), new D(0));
    assert.equal(balances.GRNI, round2(grni.negated()), 'GRNI = value(received) − value(posted), as a credit');
    if (sim.state.closedAt) {
      assert.equal(balances.GRNI, '0.00', `closed with GRNI ${balances.GRNI}`);
      assert.equal(balances.AP, '0.00', `closed with AP ${balances.AP}`);
    }
  }

  test('a change the buyer decides after goods arrived never re-values them (CHANGE_AFTER_RECEIPT instead), and a closed PO holds neither GRNI nor AP', () => {
    fc.assert(
      fc.property(arbLines, fc.array(arbStep, { maxLength: 40 }), (lines, steps) => {
        const sim = new Sim({ lines, paymentTerms: { netDays: 0 } });
        /** The price each line's receipts were valued at, from its first receipt on. */
        const valuedAt = new Map<number, string>();
        for (const step of steps) {
          const line = sim.state.lines[step.pick % sim.state.lines.length]!;
          attempt(() => {
            switch (step.kind) {
              case 'propose': {
                const proposed =
                  step.change === 'reject'
                    ? { lineNo: line.lineNo, status: 'rejected' as const }
                    : step.change === 'price'
                      ? { lineNo: line.lineNo, status: 'changed' as const, unitPrice: Decimal.max(new D('0.01'), new D(line.agreedUnitPrice).plus(new D(step.cents).div(100))).toFixed(2) }
                      : { lineNo: line.lineNo, status: 'backordered' as const, quantity: formatQuantity(Decimal.max(1, dec(line.quantity).minus(step.fraction))) };
                sim.acknowledge({ type: 'accept_with_changes', lines: [proposed] });
                return;
              }
              case 'approve':
              case 'reject':
                sim.decideChanges(step.kind);
                return;
              case 'ack':
                sim.acknowledge();
                return;
              case 'receive': {
                const open = Decimal.max(dec(line.quantity), dec(line.confirmedQuantity)).minus(line.receivedQuantity);
                if (line.cancelled || !open.greaterThan(0)) return;
                const quantity = formatQuantity(Decimal.max(1, open.times(step.fraction).div(4).floor()));
                if (!valuedAt.has(line.lineNo)) valuedAt.set(line.lineNo, line.agreedUnitPrice);
                sim.receive([{ lineNo: line.lineNo, quantityReceived: quantity, quantityRejected: '0' }]);
                return;
              }
              case 'invoice': {
                const open = dec(line.receivedQuantity).minus(line.invoicedQuantity);
                if (open.greaterThan(0)) sim.invoice([[line.lineNo, formatQuantity(open), line.agreedUnitPrice]]);
                return;
              }
              case 'wait':
                sim.advance(5 * DAY);
                return;
            }
          });
          // A receipt the business refused was never valued.
          for (const l of sim.state.lines) if (!dec(l.receivedQuantity).greaterThan(0) && sim.state.receipts.every((r) => r.lines.every((rl) => rl.lineNo !== l.lineNo))) valuedAt.delete(l.lineNo);
          assertLedger(sim, valuedAt);
        }
        // Drive to close: settle the proposal, deliver and bill what is owed, pay, clear.
        if (sim.state.pendingChanges) attempt(() => sim.decideChanges('approve'));
        if (sim.state.pendingChanges) sim.decideChanges('reject');
        if (sim.state.awaitingAcknowledgement) sim.acknowledge();
        for (const l of sim.state.lines) {
          const open = dec(l.confirmedQuantity).minus(l.receivedQuantity);
          if (!l.cancelled && open.greaterThan(0)) {
            if (!valuedAt.has(l.lineNo)) valuedAt.set(l.lineNo, l.agreedUnitPrice);
            sim.receive([{ lineNo: l.lineNo, quantityReceived: formatQuantity(open), quantityRejected: '0' }]);
          }
        }
        for (const l of sim.state.lines) {
          const open = dec(l.receivedQuantity).minus(l.invoicedQuantity);
          if (open.greaterThan(0)) sim.invoice([[l.lineNo, formatQuantity(open), l.agreedUnitPrice]]);
        }
        for (const invoiceNumber of sim.state.invoices.filter((i) => i.status === 'exception').map((i) => i.invoiceNumber)) sim.resolve(invoiceNumber, 'approve');
        sim.advance(40 * DAY);
        for (const invoice of sim.state.invoices) if (invoice.status === 'paid' && invoice.payment?.status === 'executed') sim.clear(invoice.invoiceNumber);
        assertLedger(sim, valuedAt);
        assert.ok(sim.state.closedAt, `not closed: ${JSON.stringify(sim.state.invoices.map((i) => [i.invoiceNumber, i.status]))} ${JSON.stringify(sim.state.lines.map((l) => [l.receivedQuantity, l.invoicedQuantity, l.confirmedQuantity, l.cancelled]))}`);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: approval tiers', () => {
  type ApprovalStep = { kind: 'approve' | 'reject' | 'raise' | 'lower' | 'ack' | 'receive'; approver: number; quantity: number };
  const arbStep: fc.Arbitrary<ApprovalStep> = fc.record({
    kind: fc.constantFrom('approve', 'approve', 'approve', 'reject', 'raise', 'raise', 'lower', 'ack', 'receive'),
    approver: fc.integer({ min: 1, max: 3 }),
    quantity: fc.integer({ min: 1, max: 2000 }),
  });
  const arbTiers: fc.Arbitrary<ApprovalTier[]> = fc
    .tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 10_000 }))
    .map(([low, extra]) => [
      { currency: 'USD', atLeast: String(low), approvals: 1 },
      { currency: 'USD', atLeast: String(low + extra), approvals: 2 },
    ]);

  test('the supplier is told of a PO, or of a change order raising it to a tier, only once enough distinct approvers approved it', () => {
    fc.assert(
      fc.property(arbTiers, fc.integer({ min: 1, max: 1500 }), fc.array(arbStep, { maxLength: 25 }), (tiers, quantity, steps) => {
        const sim = new Sim({ lines: [{ lineNo: 1, quantity: String(quantity), unitPrice: '10.00' }], approvalTiers: tiers, paymentTerms: { netDays: 0 } });
        for (const step of steps) {
          attempt(() => {
            switch (step.kind) {
              case 'approve':
              case 'reject':
                sim.approve(`approver#${step.approver}`, step.kind);
                return;
              case 'raise':
              case 'lower': {
                const line = sim.state.lines[0]!;
                const next = step.kind === 'raise' ? dec(line.quantity).plus(step.quantity) : Decimal.max(1, dec(line.quantity).minus(step.quantity));
                sim.changeOrder({ lines: [{ lineNo: 1, action: 'change', quantity: formatQuantity(next) }] });
                return;
              }
              case 'ack':
                validateAcknowledgement(sim.state, { type: 'accept' });
                sim.acknowledge();
                return;
              case 'receive':
                validateReceipt(sim.state, { receiptNumber: 'x', location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '1', quantityRejected: '0' }] });
                sim.receive([{ lineNo: 1, quantityReceived: '1', quantityRejected: '0' }]);
                return;
            }
          });
        }
        for (const { notice, state } of sim.notices) {
          if (notice.type !== 'po.issued' && notice.type !== 'po.changed') continue;
          const value = orderedValue(state.lines);
          const needed = requiredApprovals(tiers, 'USD', value);
          const request = state.approvals.at(-1);
          if (notice.type === 'po.issued' && needed > 0) {
            assert.ok(request && request.status === 'approved' && approvalsGiven(request) >= needed, `PO of ${value} sent with ${request ? approvalsGiven(request) : 0} of ${needed} approvals`);
            assert.equal(new Set(request.decisions.map((d) => d.by.id)).size, request.decisions.length, 'approvers are distinct');
          }
          assert.ok(!state.approvals.some((r) => r.status === 'pending'), 'nothing reaches the supplier while an approval is pending');
        }
        // Nothing was shipped, received or acknowledged against a PO its approvers had not released.
        for (const { event, before } of sim.events) {
          if (event.type !== 'po.acknowledged' && event.type !== 'goods.received') continue;
          assert.ok(!before.approvals.some((r) => r.status === 'pending' && r.subject === 'issue'), `${event.type} before the PO was approved`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
