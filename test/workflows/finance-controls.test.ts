/**
 * Finance controls on the time-skipping server with real activities on real PostgreSQL: approval
 * tiers (escalation after APPROVAL_SLA), payment holds with release dates, returns to vendor with
 * debit notes, and disputes with their SLA (docs/domain.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Decimal from 'decimal.js';
import { hashBody } from '../../api/canonical';
import { addDays } from '../../workflows/domain/calendar';
import type { Actor, PoView } from '../../workflows/domain/state';
import * as definitions from '../../workflows/purchase-order/definitions';
import { refusal, eventually } from '../helpers/expectations';
import { actors, createHarness, PurchaseOrderDriver, today, type Harness } from '../helpers/harness';
import { createTimeSkippingEnv } from '../helpers/temporal';

const DAY = 86_400_000;
const approver = (n: number): Actor => ({ role: 'approver', id: `approver#${n}` });

let env: TestWorkflowEnvironment;
let harness: Harness;
before(async () => {
  env = await createTimeSkippingEnv();
  harness = await createHarness(env, {
    approvalTiers: [
      { currency: 'USD', atLeast: '1000', approvals: 1 },
      { currency: 'USD', atLeast: '5000', approvals: 2 },
    ],
    approvalSla: '24h',
    disputeSla: '2d',
  });
  await PurchaseOrderDriver.supplier(harness, 'NET0', { paymentTerms: { netDays: 0 } });
  await PurchaseOrderDriver.supplier(harness, 'TERMS', { paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 } });
});
after(async () => {
  await harness?.close();
  await env?.teardown();
});

function po(poNumber: string, quantity: string, unitPrice = '10.00', supplierId = 'NET0') {
  return { poNumber, supplierId, currency: 'USD', buyer: 'jane.buyer@example.com', lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity, unitPrice }] };
}

function send<T>(order: PurchaseOrderDriver, update: UpdateDefinition<definitions.CommandAck, [any]>, actor: Actor, body: T, extra: Record<string, unknown> = {}): Promise<PoView> {
  return order.update(update, { actor, body, bodyHash: hashBody(body), ...extra });
}

async function outboxTypes(poNumber: string): Promise<string[]> {
  const rows = await harness.knex('outbox').where({ po_number: poNumber }).orderBy('sequence').select('type');
  return rows.map((r: { type: string }) => r.type);
}

async function noticeTypes(poNumber: string): Promise<string[]> {
  const rows = await harness.knex('supplier_notifications').where({ po_number: poNumber }).select('type');
  return rows.map((r: { type: string }) => r.type);
}

async function assertBooksClosed(poNumber: string): Promise<void> {
  const ledger = await harness.readModel.accountBalances(poNumber);
  for (const account of ['GRNI', 'AP']) assert.ok(new Decimal(ledger[account] ?? '0').isZero(), `${poNumber}: ${account} left at ${ledger[account]}`);
}

describe('approval tiers', () => {
  test('a PO of 6,000 waits for two distinct approvers before the supplier hears of it', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-APR-2', '600'));
      const pending = await order.state();
      assert.equal(pending.status, 'pending_approval');
      assert.equal(pending.approvals[0]!.requiredApprovals, 2);
      assert.equal((await refusal(order.acknowledge({ type: 'accept' }))).type, 'ACK_NOT_EXPECTED');
      assert.equal((await refusal(order.receive({ receiptNumber: 'GR-EARLY', lines: [{ lineNo: 1, quantityReceived: '1' }] }))).type, 'PO_PENDING_APPROVAL');

      const first = await send(order, definitions.decideApproval, approver(1), { decision: 'approve', reason: 'Budgeted for Q4' });
      assert.equal(first.status, 'pending_approval', 'one of two approvals');
      const again = await send(order, definitions.decideApproval, approver(1), { decision: 'approve', reason: 'Budgeted for Q4' });
      assert.equal(again.approvals[0]!.decisions.length, 1, 'the same approver twice counts once');
      assert.equal((await refusal(send(order, definitions.decideApproval, approver(1), { decision: 'reject', reason: 'changed my mind' }))).type, 'ALREADY_DECIDED');
      assert.ok(!(await noticeTypes('PO-APR-2')).includes('po.issued'), 'the supplier has not been told yet');

      const second = await send(order, definitions.decideApproval, approver(2), { decision: 'approve', reason: 'CFO ok' });
      assert.equal(second.status, 'issued');
      assert.equal(second.approvals[0]!.status, 'approved');
      await eventually(async () => (await noticeTypes('PO-APR-2')).includes('po.issued'), 'the supplier to receive the PO');
      assert.deepEqual((await outboxTypes('PO-APR-2')).slice(0, 3), ['po.issued', 'po.approval_recorded', 'po.approved']);
      assert.equal((await order.acknowledge({ type: 'accept' })).status, 'acknowledged');
    });
  });

  test('nobody decides within APPROVAL_SLA: the request is escalated once', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-APR-ESC', '150'));
      assert.equal((await order.state()).status, 'pending_approval');
      await env.sleep(23 * 3_600_000);
      assert.ok(!(await outboxTypes('PO-APR-ESC')).includes('approval.overdue'));
      await env.sleep(2 * 3_600_000);
      await eventually(async () => (await outboxTypes('PO-APR-ESC')).includes('approval.overdue'), 'the escalation');
      const state = await order.state();
      assert.ok(state.approvals[0]!.escalatedAt);
      assert.equal((await outboxTypes('PO-APR-ESC')).filter((t) => t === 'approval.overdue').length, 1);
    });
  });

  test('an approver cannot approve what they requested, and a rejection cancels the PO unsent', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-APR-REJ', '200'));
      const selfApproval = await refusal(send(order, definitions.decideApproval, { role: 'approver', id: actors.procurement.id }, { decision: 'approve', reason: 'mine' }));
      assert.equal(selfApproval.type, 'SELF_APPROVAL');
      const rejected = await send(order, definitions.decideApproval, approver(1), { decision: 'reject', reason: 'Not in the budget' });
      assert.equal(rejected.status, 'cancelled');
      assert.match(rejected.cancelled!.reason, /Not in the budget/);
      assert.equal((await order.handle.result()).status, 'cancelled');
      assert.ok(!(await noticeTypes('PO-APR-REJ')).includes('po.issued'));
    });
  });

  test('a change order raising the PO to a tier waits unapplied for approval; one lowering it does not', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-APR-CO', '50'));
      assert.equal((await order.state()).status, 'issued', '500.00 is below every tier');
      await order.acknowledge({ type: 'accept' });
      const raised = await send(order, definitions.changeOrder, actors.procurement, { lines: [{ lineNo: 1, action: 'change', quantity: '150' }] });
      assert.equal(raised.status, 'acknowledged', 'the supplier keeps working on the PO as it was');
      assert.equal(raised.lines[0]!.quantity, '50');
      assert.equal(raised.approvals[0]!.subject, 'change_order');
      assert.equal((await refusal(send(order, definitions.changeOrder, actors.procurement, { lines: [{ lineNo: 1, action: 'change', quantity: '40' }] }))).type, 'APPROVAL_PENDING');
      const approved = await send(order, definitions.decideApproval, approver(1), { decision: 'approve', reason: 'Demand confirmed' });
      assert.equal(approved.lines[0]!.quantity, '150');
      assert.equal(approved.status, 'issued', 'the supplier acknowledges the change');
      await eventually(async () => (await noticeTypes('PO-APR-CO')).includes('po.changed'), 'the supplier to receive the change');
      await order.acknowledge({ type: 'accept' });
      const lowered = await send(order, definitions.changeOrder, actors.procurement, { lines: [{ lineNo: 1, action: 'change', quantity: '120' }] });
      assert.equal(lowered.lines[0]!.quantity, '120', 'lowering needs no approval');
      assert.equal(lowered.approvals.length, 1);
    });
  });
});

describe('payment holds', () => {
  test('a held invoice is not paid on its discount date; the timer releases it after, it pays in full and the journal says the discount was lost', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-HOLD-1', '10', '10.00', 'TERMS'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-H1', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      const invoiceDate = await today(env);
      const outcome = await order.invoice({ invoiceNumber: 'INV-H1', invoiceDate, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      assert.equal(outcome.status, 'scheduled');
      const held = await send(order, definitions.holdInvoicePayment, actors.finance, { reason: 'Quality complaint pending', releaseOn: addDays(invoiceDate, 14) }, { invoiceNumber: 'INV-H1' });
      assert.equal(held.invoices[0]!.hold?.reason, 'Quality complaint pending');
      await env.sleep(12 * DAY);
      let state = await order.state();
      assert.equal(state.invoices[0]!.status, 'scheduled', 'not paid on the discount date while held');
      await env.sleep(3 * DAY);
      await eventually(async () => (await order.state()).invoices[0]!.status === 'paid', 'the release and payment');
      state = await order.state();
      const payment = state.invoices[0]!.payment!;
      assert.equal(payment.amount, '100.00');
      assert.equal(payment.discount, '0.00');
      assert.equal(payment.discountLost, '2.00');
      assert.equal(state.invoices[0]!.hold, undefined);
      const journal = await harness.knex('journal_entries').where({ po_number: 'PO-HOLD-1', event_type: 'payment.sent' }).first();
      assert.match(journal.description, /discount 2\.00 lost: held past the discount date/);
    });
  });

  test('finance releases a hold by hand before the discount date: the discount is kept', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-HOLD-2', '10', '10.00', 'TERMS'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-H2', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await order.invoice({ invoiceNumber: 'INV-H2', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      await send(order, definitions.holdInvoicePayment, actors.finance, { reason: 'Check bank details' }, { invoiceNumber: 'INV-H2' });
      assert.equal((await refusal(send(order, definitions.holdInvoicePayment, actors.finance, { reason: 'Another reason' }, { invoiceNumber: 'INV-H2' }))).type, 'INVOICE_ON_HOLD');
      await env.sleep(5 * DAY);
      const released = await send(order, definitions.releaseInvoicePayment, actors.finance, { reason: 'Bank details confirmed' }, { invoiceNumber: 'INV-H2' });
      assert.equal(released.invoices[0]!.hold, undefined);
      assert.equal((await refusal(send(order, definitions.releaseInvoicePayment, actors.finance, {}, { invoiceNumber: 'INV-H2' }))).type, 'NO_PAYMENT_HOLD');
      await env.sleep(6 * DAY);
      await eventually(async () => (await order.state()).invoices[0]!.status === 'paid', 'the discounted payment');
      assert.equal((await order.state()).invoices[0]!.payment!.discount, '2.00');
    });
  });

  test('a supplier-wide hold stops every payment of the PO, future invoices included, until it is released', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-SHOLD', '10'));
      await order.acknowledge({ type: 'accept' });
      const placedAt = new Date(await env.currentTimeMs()).toISOString();
      const held = await send(order, definitions.placeSupplierHold, actors.finance, { holdId: 'SH-NET0-1', reason: 'Bank account change being verified', placedAt });
      assert.equal(held.supplierHold?.holdId, 'SH-NET0-1');
      await order.receive({ receiptNumber: 'GR-SH', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      const outcome = await order.invoice({ invoiceNumber: 'INV-SH', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      assert.equal(outcome.status, 'scheduled', 'net 0, but held: posted and scheduled, not paid');
      await env.sleep(2 * DAY);
      assert.equal((await order.state()).invoices[0]!.status, 'scheduled');
      const released = await send(order, definitions.releaseSupplierHold, actors.finance, { holdId: 'SH-NET0-1' });
      assert.equal(released.invoices[0]!.status, 'paid', 'paid at release');
      await order.paymentStatus('INV-SH', { status: 'cleared' });
      await order.handle.result();
      await assertBooksClosed('PO-SHOLD');
    });
  });

  test('a supplier held in the ERP but not yet known to the PO is still not paid (the payment activity refuses)', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-SHOLD-RACE', '10'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-SR', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      const hold = { holdId: 'SH-RACE', reason: 'Fraud check', placedAt: new Date().toISOString(), placedBy: actors.finance };
      await harness.knex('suppliers').where({ supplier_id: 'NET0' }).update({ payment_hold: JSON.stringify(hold) });
      try {
        const outcome = await order.invoice({ invoiceNumber: 'INV-SR', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
        assert.equal(outcome.status, 'scheduled', 'the payment was refused: PAYMENT_ON_HOLD');
        assert.equal((await harness.knex('ap_payments').where({ po_number: 'PO-SHOLD-RACE' })).length, 0);
      } finally {
        await harness.knex('suppliers').where({ supplier_id: 'NET0' }).update({ payment_hold: null });
      }
      await env.sleep(16 * 60_000);
      await eventually(async () => (await order.state()).invoices[0]!.status === 'paid', 'the retried payment after the hold');
    });
  });
});

describe('returns to vendor', () => {
  test('goods returned before invoicing leave inventory and GRNI; without replacement the PO closes on what stayed', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-RTV-1', '10', '9.99'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-R1', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      const returned = await send(order, definitions.returnGoods, actors.warehouse, { rmaNumber: 'RMA-1', reason: 'Damaged in transit', location: 'MAIN', replacement: false, lines: [{ lineNo: 1, quantity: '4' }] });
      assert.deepEqual([returned.lines[0]!.receivedQuantity, returned.lines[0]!.returnedQuantity, returned.lines[0]!.confirmedQuantity], ['6', '4', '6']);
      assert.equal((await refusal(send(order, definitions.returnGoods, actors.warehouse, { rmaNumber: 'RMA-2', reason: 'x', location: 'MAIN', replacement: false, lines: [{ lineNo: 1, quantity: '7' }] }))).type, 'RETURN_EXCEEDS_RECEIVED');
      const ledger = await harness.readModel.accountBalances('PO-RTV-1');
      assert.equal(ledger.INVENTORY, '59.94');
      assert.equal(ledger.GRNI, '-59.94');
      await eventually(async () => (await noticeTypes('PO-RTV-1')).includes('goods.returned'), 'the supplier to hear of the return');
      const outcome = await order.invoice({ invoiceNumber: 'INV-R1', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '6', unitPrice: '9.99' }], total: '59.94' });
      assert.equal(outcome.status, 'paid');
      const closed = await order.paymentStatus('INV-R1', { status: 'cleared' });
      assert.equal(closed.status, 'closed');
      await assertBooksClosed('PO-RTV-1');
      const movements = await harness.knex('inventory_movements').where({ po_number: 'PO-RTV-1' }).orderBy('id').select('quantity');
      assert.deepEqual(movements.map((m: { quantity: string }) => new Decimal(m.quantity).toString()), ['10', '-4']);
    });
  });

  test('goods returned after invoicing raise a debit note against the unpaid invoice; the replacement is invoiced anew and the supplier memo settles the note', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-RTV-2', '10', '10.00', 'TERMS'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-R2', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await order.invoice({ invoiceNumber: 'INV-R2', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      const returned = await send(order, definitions.returnGoods, actors.warehouse, { rmaNumber: 'RMA-R2', reason: 'Wrong colour', location: 'MAIN', replacement: true, lines: [{ lineNo: 1, quantity: '3' }] });
      const note = returned.creditMemos.find((m) => m.kind === 'debit_note')!;
      assert.deepEqual([note.creditMemoNumber, note.invoiceNumber, note.total], ['DN-RMA-R2', 'INV-R2', '30.00']);
      assert.equal(returned.invoices[0]!.payment!.amount, '68.60', '70.00 owed, less the 2% discount');
      assert.equal(returned.lines[0]!.confirmedQuantity, '10', 'the replacement is owed');
      const ledger = await harness.readModel.accountBalances('PO-RTV-2');
      assert.deepEqual([ledger.INVENTORY, ledger.GRNI, ledger.AP], ['70.00', '0.00', '-70.00']);
      const settled = await order.creditMemo({ creditMemoNumber: 'CM-R2', invoiceNumber: 'INV-R2', lines: [{ lineNo: 1, quantity: '3', unitPrice: '10.00' }], total: '30.00' });
      assert.equal(settled.creditMemos.find((m) => m.kind === 'debit_note')!.settledBy?.creditMemoNumber, 'CM-R2');
      assert.equal(settled.invoices[0]!.creditedTotal, '30.00', 'settling the note credits nothing twice');
      await order.receive({ receiptNumber: 'GR-R2B', lines: [{ lineNo: 1, quantityReceived: '3' }] });
      await order.invoice({ invoiceNumber: 'INV-R2B', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '3', unitPrice: '10.00' }], total: '30.00' });
      await env.sleep(31 * DAY);
      await eventually(async () => (await order.state()).invoices.every((i) => i.status === 'paid'), 'both payments');
      await order.paymentStatus('INV-R2', { status: 'cleared' });
      const closed = await order.paymentStatus('INV-R2B', { status: 'cleared' });
      assert.equal(closed.status, 'closed');
      await assertBooksClosed('PO-RTV-2');
      const final = await harness.readModel.accountBalances('PO-RTV-2');
      assert.equal(final.INVENTORY, '100.00');
    });
  });
});

describe('disputes', () => {
  test('finance disputes an over-billed invoice; the supplier answers with a credit memo; the dispute resolves when the invoice matches', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-DSP-1', '10'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-D1', lines: [{ lineNo: 1, quantityReceived: '8' }] });
      const outcome = await order.invoice({ invoiceNumber: 'INV-D1', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      assert.equal(outcome.status, 'exception');
      const opened = await send(order, definitions.openDispute, actors.finance, { message: 'We received 8, you billed 10: please credit 2' }, { invoiceNumber: 'INV-D1' });
      const dispute = opened.disputes[0]!;
      assert.equal(dispute.status, 'open');
      assert.equal((await refusal(send(order, definitions.openDispute, actors.finance, { message: 'again' }, { invoiceNumber: 'INV-D1' }))).type, 'DISPUTE_ALREADY_OPEN');
      const memo = { creditMemoNumber: 'CM-D1', invoiceNumber: 'INV-D1', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' };
      const answered = await send(order, definitions.replyToDispute, actors.supplier('NET0'), { message: 'Agreed, credit attached', creditMemo: memo }, { invoiceNumber: 'INV-D1', disputeId: dispute.id, documentHash: hashBody(memo) });
      const after = answered.disputes[0]!;
      assert.equal(after.status, 'resolved', 'the memo re-matched the invoice: nothing left to dispute');
      assert.deepEqual(after.messages.map((m) => m.by.role), ['finance', 'supplier']);
      assert.equal(answered.invoices[0]!.status, 'paid');
      assert.ok(answered.timeline.some((t) => t.type === 'dispute.replied' && /credit memo CM-D1/.test(t.detail ?? '')));
      await eventually(async () => (await noticeTypes('PO-DSP-1')).includes('invoice.disputed'), 'the supplier to hear of the dispute');
    });
  });

  test('the supplier replaces a mispriced invoice with a corrected one', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-DSP-2', '10'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-D2', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await order.invoice({ invoiceNumber: 'INV-D2', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.50' }], total: '105.00' });
      const opened = await send(order, definitions.openDispute, actors.finance, { message: 'Agreed price is 10.00' }, { invoiceNumber: 'INV-D2' });
      const corrected = { invoiceNumber: 'INV-D2-C', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], freight: '0', tax: '0', total: '100.00' };
      const answered = await send(order, definitions.replyToDispute, actors.supplier('NET0'), { message: 'Corrected invoice attached', correctedInvoice: corrected }, { invoiceNumber: 'INV-D2', disputeId: opened.disputes[0]!.id, documentHash: hashBody(corrected) });
      assert.deepEqual(answered.invoices.map((i) => [i.invoiceNumber, i.status]), [['INV-D2', 'rejected'], ['INV-D2-C', 'paid']]);
      assert.equal(answered.disputes[0]!.status, 'resolved');
      const closed = await order.paymentStatus('INV-D2-C', { status: 'cleared' });
      assert.equal(closed.status, 'closed');
      await assertBooksClosed('PO-DSP-2');
    });
  });

  test('a dispute the supplier leaves unanswered past DISPUTE_SLA is escalated once', async () => {
    await harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(harness, po('PO-DSP-3', '10'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-D3', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await order.invoice({ invoiceNumber: 'INV-D3', invoiceDate: await today(env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '11.00' }], total: '110.00' });
      await send(order, definitions.openDispute, actors.finance, { message: 'Price?' }, { invoiceNumber: 'INV-D3' });
      await env.sleep(2 * DAY + 60_000);
      await eventually(async () => (await outboxTypes('PO-DSP-3')).includes('dispute.overdue'), 'the dispute escalation');
      const state: PoView = await order.state();
      assert.ok(state.disputes[0]!.escalatedAt);
      await eventually(async () => (await noticeTypes('PO-DSP-3')).includes('dispute.overdue'), 'the supplier reminder');
    });
  });
});
