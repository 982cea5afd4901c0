/**
 * The finance rules one at a time, as a buyer, an approver, a warehouse clerk and an AP clerk
 * would check them (docs/domain.md, "Approval tiers", "Payment holds", "Returns to vendor", "Disputes").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requiredApprovals, validateApprovalDecision } from '../../workflows/domain/approvals';
import { validateDisputeOpening } from '../../workflows/domain/disputes';
import { DomainError } from '../../workflows/domain/errors';
import { firstDue, isHoldInForce } from '../../workflows/domain/holds';
import { normaliseState } from '../../workflows/domain/lifecycle/apply';
import { debitNotesFor, validateReturn } from '../../workflows/domain/returns';
import { accountBalances } from '../../workflows/domain/ledger';
import { formatQuantity, sub } from '../../workflows/domain/money';
import type { PoState } from '../../workflows/domain/state';
import { Sim } from './finance-sim';

const tiers = [
  { currency: 'USD', atLeast: '10000', approvals: 1 },
  { currency: 'USD', atLeast: '100000', approvals: 2 },
  { currency: 'EUR', atLeast: '9000', approvals: 1 },
];

function refusedWith(code: string, run: () => void): void {
  assert.throws(run, (error: unknown) => error instanceof DomainError && error.code === code, `expected ${code}`);
}

describe('approval tiers', () => {
  test('9,999.99 needs nobody, 10,000 one approver, 100,000 two; another currency has its own tiers', () => {
    assert.equal(requiredApprovals(tiers, 'USD', '9999.99'), 0);
    assert.equal(requiredApprovals(tiers, 'USD', '10000.00'), 1);
    assert.equal(requiredApprovals(tiers, 'USD', '100000.00'), 2);
    assert.equal(requiredApprovals(tiers, 'EUR', '10000.00'), 1);
    assert.equal(requiredApprovals(tiers, 'GBP', '1000000.00'), 0);
    assert.equal(requiredApprovals(undefined, 'USD', '1000000.00'), 0, 'no tiers configured: no PO waits');
  });

  test('the buyer who issued a PO cannot approve it, even with an approver key under the same label', () => {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '1000', unitPrice: '10.00' }], approvalTiers: tiers });
    assert.equal(sim.state.approvals[0]!.status, 'pending');
    refusedWith('SELF_APPROVAL', () => validateApprovalDecision(sim.state, { role: 'approver', id: sim.state.approvals[0]!.requestedBy.id }, { decision: 'approve', reason: 'ok' }));
    validateApprovalDecision(sim.state, { role: 'approver', id: 'approver#cfo' }, { decision: 'approve', reason: 'ok' });
  });
});

describe('payment holds', () => {
  test('a supplier hold is in force until the start (UTC) of its release date', () => {
    const hold = { releaseOn: '2026-12-10' };
    assert.equal(isHoldInForce(hold, '2026-12-09T23:59:59Z'), true);
    assert.equal(isHoldInForce(hold, '2026-12-10T00:00:00Z'), false);
    assert.equal(isHoldInForce({}, '2099-01-01T00:00:00Z'), true, 'without a date, until released');
    assert.equal(isHoldInForce(null, '2026-12-09T00:00:00Z'), false);
  });

  test('what is due skips a held invoice but still posts an approved one', () => {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], paymentTerms: { netDays: 0 } });
    sim.acknowledge();
    sim.holdSupplier('SH-1');
    sim.receive([{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }]);
    sim.invoice([[1, '10', '10.00']]);
    const invoice = sim.state.invoices[0]!;
    assert.equal(invoice.status, 'scheduled', 'posted to AP and scheduled during the hold');
    assert.equal(firstDue(sim.state, sim.now + 86_400_000), undefined);
    sim.releaseSupplier('SH-1');
    assert.equal(sim.state.invoices[0]!.status, 'paid');
  });
});

describe('returns to vendor', () => {
  function invoicedTwice(): Sim {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }] });
    sim.acknowledge();
    sim.receive([{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }]);
    sim.invoice([[1, '6', '10.00']]);
    sim.invoice([[1, '4', '10.10']]);
    return sim;
  }

  test('returning 5 of 10 all invoiced credits the latest invoice first, at the price it charged', () => {
    const sim = invoicedTwice();
    const [newest, older] = debitNotesFor(sim.state, { rmaNumber: 'RMA-9', reason: 'defective', location: 'MAIN', replacement: false, lines: [{ lineNo: 1, quantity: '5' }] });
    assert.deepEqual([newest!.creditMemoNumber, newest!.invoiceNumber, newest!.lines[0]!.quantity, newest!.total], ['DN-RMA-9-1', 'INV-3', '4', '40.40']);
    assert.deepEqual([older!.creditMemoNumber, older!.invoiceNumber, older!.lines[0]!.quantity, older!.total], ['DN-RMA-9-2', 'INV-2', '1', '10.00']);
  });

  test('debit notes that take a whole invoice line back in three returns add up to exactly what it put in AP', () => {
    // 5.43 × 181.38 = 984.89; on their own, 2.71, 0.68 and 2.04 would be 491.54 + 123.34 + 370.02 = 984.90.
    const returnsOf = (roundCumulatively: boolean) => {
      const sim = new Sim({ lines: [{ lineNo: 1, quantity: '21.75', unitPrice: '181.38' }] });
      sim.acknowledge();
      sim.receive([{ lineNo: 1, quantityReceived: '10.87', quantityRejected: '0' }]);
      sim.invoice([[1, '5.43', '181.38']]);
      const totals: string[] = [];
      for (const quantity of ['8.15', '0.68', '2.04']) {
        const goodsReturn = { rmaNumber: sim.next('RMA'), reason: 'damaged', location: 'MAIN', replacement: false, lines: [{ lineNo: 1, quantity }] };
        totals.push(...debitNotesFor(sim.state, goodsReturn, { roundCumulatively }).map((note) => note.total));
        sim.returnGoods(goodsReturn.lines, false);
      }
      return { sim, totals };
    };
    const { sim, totals } = returnsOf(true);
    assert.deepEqual(totals, ['491.54', '123.34', '370.01']);
    assert.deepEqual(returnsOf(false).totals, ['491.54', '123.34', '370.02'], 'older runs valued each note on its own');
    // Drive it to close: AP and GRNI end at 0.
    const line = () => sim.state.lines[0]!;
    sim.receive([{ lineNo: 1, quantityReceived: formatQuantity(sub(line().confirmedQuantity, line().receivedQuantity)), quantityRejected: '0' }]);
    sim.invoice([[1, formatQuantity(sub(line().receivedQuantity, line().invoicedQuantity)), '181.38']]);
    sim.advance(40 * 86_400_000);
    for (const invoice of sim.state.invoices) if (invoice.status === 'paid' && invoice.payment?.status === 'executed') sim.clear(invoice.invoiceNumber);
    assert.ok(sim.state.closedAt, JSON.stringify(sim.state.invoices.map((i) => [i.invoiceNumber, i.status])));
    const balances = accountBalances(sim.journals);
    assert.deepEqual([balances.AP, balances.GRNI], ['0.00', '0.00']);
  });

  test('goods not invoiced yet go back without a debit note; more than is here is refused', () => {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }] });
    sim.acknowledge();
    sim.receive([{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }]);
    sim.invoice([[1, '6', '10.00']]);
    assert.deepEqual(debitNotesFor(sim.state, { rmaNumber: 'R', reason: 'x', location: 'MAIN', replacement: true, lines: [{ lineNo: 1, quantity: '4' }] }), []);
    refusedWith('RETURN_EXCEEDS_RECEIVED', () => validateReturn(sim.state, { rmaNumber: 'R', reason: 'x', location: 'MAIN', replacement: true, lines: [{ lineNo: 1, quantity: '11' }] }));
  });

  test('goods on a paid invoice cannot be taken back here: RETURN_AFTER_PAYMENT', () => {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], paymentTerms: { netDays: 0 } });
    sim.acknowledge();
    sim.receive([{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }]);
    sim.invoice([[1, '10', '10.00']]);
    assert.equal(sim.state.invoices[0]!.status, 'paid');
    refusedWith('RETURN_AFTER_PAYMENT', () => validateReturn(sim.state, { rmaNumber: 'R', reason: 'x', location: 'MAIN', replacement: false, lines: [{ lineNo: 1, quantity: '1' }] }));
  });

  test('the supplier memo for exactly the debit note settles it without crediting twice', () => {
    const sim = invoicedTwice();
    sim.returnGoods([{ lineNo: 1, quantity: '2' }], true);
    const note = sim.state.creditMemos.find((m) => m.kind === 'debit_note')!;
    const credited = sim.state.invoices.find((i) => i.invoiceNumber === note.invoiceNumber)!.creditedTotal;
    sim.creditMemo({ creditMemoNumber: 'CM-S', invoiceNumber: note.invoiceNumber, lines: note.lines, total: note.total });
    assert.equal(sim.state.creditMemos.find((m) => m.kind === 'debit_note')!.settledBy?.creditMemoNumber, 'CM-S');
    assert.equal(sim.state.invoices.find((i) => i.invoiceNumber === note.invoiceNumber)!.creditedTotal, credited);
    assert.equal(sim.state.lines[0]!.invoicedQuantity, '8');
  });
});

describe('disputes', () => {
  test('only an invoice in exception can be disputed', () => {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }] });
    sim.acknowledge();
    sim.receive([{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }]);
    const invoiceNumber = sim.invoice([[1, '10', '10.00']]);
    refusedWith('NO_OPEN_EXCEPTION', () => validateDisputeOpening(sim.state, invoiceNumber));
    refusedWith('INVOICE_NOT_FOUND', () => validateDisputeOpening(sim.state, 'INV-NOPE'));
  });
});

test('a state carried over from a run older than the finance controls gets their fields', () => {
  const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }] });
  const { approvals: _a, returns: _r, disputes: _d, ...old } = sim.state;
  const legacy = { ...old, lines: old.lines.map(({ returnedQuantity: _q, ...line }) => line) } as unknown as PoState;
  const upgraded = normaliseState(legacy);
  assert.deepEqual([upgraded.approvals, upgraded.returns, upgraded.disputes, upgraded.lines[0]!.returnedQuantity], [[], [], [], '0']);
  assert.equal(normaliseState(sim.state), sim.state, 'a current state is left as it is');
});
