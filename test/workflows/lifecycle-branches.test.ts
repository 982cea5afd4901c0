/**
 * The less travelled branches of purchaseOrderWorkflow, on the time-skipping server with real
 * activities on real PostgreSQL: supplier rejections and proposals, buyer change orders, credit
 * memos, service lines, late deliveries, rejected invoices and continue-as-new.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Decimal from 'decimal.js';
import * as definitions from '../../workflows/purchase-order/definitions';
import { hashBody } from '../../api/canonical';
import { addDays } from '../../workflows/domain/calendar';
import { refusal, eventually } from '../helpers/expectations';
import { actors, PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

const DAY = 86_400_000;

const stack = timeSkippingStack(async (h) => {
  await PurchaseOrderDriver.supplier(h, 'NET0', { paymentTerms: { netDays: 0 } });
});

function po(poNumber: string, lines = [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }]) {
  return { poNumber, supplierId: 'NET0', currency: 'USD', buyer: 'jane.buyer@example.com', lines };
}

function buyerCommand<T>(body: T) {
  return { actor: actors.procurement, body, bodyHash: hashBody(body) };
}

async function outboxTypes(poNumber: string): Promise<string[]> {
  const rows = await stack.harness.knex('outbox').where({ po_number: poNumber }).orderBy('occurred_at').select('type');
  return rows.map((r: { type: string }) => r.type);
}

describe('purchase order branches', () => {
  test('a supplier that rejects the PO cancels it, and the workflow ends', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-REJ'));
      const rejected = await order.acknowledge({ type: 'reject', reason: 'Item discontinued' });
      assert.equal(rejected.status, 'cancelled');
      const result = await order.handle.result();
      assert.equal(result.status, 'cancelled');
      assert.ok((await outboxTypes('PO-REJ')).includes('po.rejected'));
    });
  });

  test('the buyer rejects proposed changes: the PO is issued again and waits for a new acknowledgement', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-PROP'));
      await order.acknowledge({ type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', quantity: '8' }] });
      const decided = await order.update(definitions.decideChanges, buyerCommand({ decision: 'reject' as const, reason: 'We need all 10' }));
      assert.equal(decided.status, 'issued');
      assert.equal(decided.awaitingAcknowledgement, true);
      const accepted = await order.acknowledge({ type: 'accept' });
      assert.equal(accepted.status, 'acknowledged');
      assert.equal(accepted.lines[0]!.confirmedQuantity, '10');
    });
  });

  test('a buyer change order before receipt needs a new acknowledgement; after receipt only a short-close', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-CO', [
        { lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' },
        { lineNo: 2, sku: 'GADGET-2', quantity: '4', unitPrice: '2.50' },
      ]));
      await order.acknowledge({ type: 'accept' });
      const changed = await order.update(
        definitions.changeOrder,
        buyerCommand({ lines: [{ lineNo: 1, action: 'change' as const, quantity: '12' }, { lineNo: 3, action: 'add' as const, sku: 'BOLT-3', quantity: '100', unitPrice: '0.10' }] }),
      );
      assert.equal(changed.status, 'issued', 'the supplier must acknowledge the change');
      assert.equal(changed.lines.length, 3);
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-CO-1', lines: [{ lineNo: 1, quantityReceived: '12' }, { lineNo: 2, quantityReceived: '1' }, { lineNo: 3, quantityReceived: '100' }] });
      const notAllowed = await refusal(order.update(definitions.changeOrder, buyerCommand({ lines: [{ lineNo: 1, action: 'change' as const, quantity: '20' }] })));
      assert.equal(notAllowed.type, 'CHANGE_AFTER_RECEIPT');
      const shortClosed = await order.update(definitions.changeOrder, buyerCommand({ lines: [{ lineNo: 2, action: 'cancel' as const }] }));
      assert.equal(shortClosed.status, 'received', 'line 2 short-closed at the 1 received');
      assert.equal(shortClosed.awaitingAcknowledgement, false);
    });
  });

  test('an invoice over the received quantity is held with QTY_EXCEEDS_RECEIVED and matched after a credit memo', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-CM'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-CM', lines: [{ lineNo: 1, quantityReceived: '8', quantityRejected: '2' }] });
      const outcome = await order.invoice({ invoiceNumber: 'INV-CM', invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      assert.equal(outcome.status, 'exception');
      const reason = outcome.match.lines[0]!.reasons[0]!;
      assert.deepEqual([reason.code, reason.expected, reason.actual], ['QTY_EXCEEDS_RECEIVED', '8', '10']);
      const credited = await order.creditMemo({ creditMemoNumber: 'CM-1', invoiceNumber: 'INV-CM', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' });
      const invoice = credited.invoices[0]!;
      assert.equal(invoice.match.status, 'matched');
      assert.equal(invoice.status, 'paid', 'net 0: paid as soon as it matched');
      assert.equal(invoice.payment?.amount, '80.00');
      assert.equal(credited.exceptions[0]!.status, 'resolved');
      const paid = await order.paymentStatus('INV-CM', { status: 'cleared' });
      assert.equal(paid.status, 'partially_received', 'the 2 rejected units are still owed');
      const closed = await order.update(definitions.changeOrder, buyerCommand({ lines: [{ lineNo: 1, action: 'cancel' as const }], reason: 'No replacement for the damaged units' }));
      assert.equal(closed.status, 'closed', 'short-closing the rest closes the PO');
      const ledger = await stack.harness.readModel.accountBalances('PO-CM');
      for (const account of ['GRNI', 'AP']) assert.ok(new Decimal(ledger[account] ?? '0').isZero(), `${account} ${ledger[account]}`);
      assert.equal(new Decimal(ledger.INVENTORY ?? '0').toFixed(2), '80.00', 'only accepted goods reach inventory');
      const onHand = await stack.harness.knex('inventory_on_hand').where({ sku: 'WIDGET-1' }).first();
      assert.ok(onHand && new Decimal(onHand.quantity).gte(8));
    });
  });

  test('a rejected invoice posts nothing to AP and the supplier is told', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-RJI'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-RJI', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      const outcome = await order.invoice({ invoiceNumber: 'INV-RJI', invoiceDate: await today(stack.env), currency: 'EUR', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      assert.equal(outcome.match.reasons[0]?.code, 'CURRENCY_MISMATCH');
      const rejected = await order.resolve('INV-RJI', { action: 'reject', reason: 'Invoice in the wrong currency; please re-issue in USD' });
      assert.equal(rejected.invoices[0]!.status, 'rejected');
      assert.equal(rejected.exceptions[0]!.status, 'rejected');
      const ledger = await stack.harness.readModel.accountBalances('PO-RJI');
      assert.ok(new Decimal(ledger.AP ?? '0').isZero());
      // Notifications run beside the command; give the activity a moment to land.
      await eventually(async () => {
        const notices = await stack.harness.knex('supplier_notifications').where({ po_number: 'PO-RJI' }).select('type');
        return notices.some((n: { type: string }) => n.type === 'invoice.rejected');
      }, 'the supplier to be told about the rejected invoice');
    });
  });

  test('a corrected invoice held because the wrong one still counted is matched as soon as finance rejects the wrong one', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-REBILL'));
      await order.acknowledge({ type: 'accept' });
      await order.receive({ receiptNumber: 'GR-REBILL', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      const invoiceDate = await today(stack.env);
      const wrong = await order.invoice({ invoiceNumber: 'INV-RB-1', invoiceDate, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.50' }], total: '105.00' });
      assert.equal(wrong.match.lines[0]!.reasons[0]!.code, 'PRICE_VARIANCE');
      // The supplier re-bills at the right price before finance has looked at the first one.
      const corrected = await order.invoice({ invoiceNumber: 'INV-RB-2', invoiceDate, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
      assert.deepEqual(corrected.match.lines[0]!.reasons.map((r) => [r.code, r.expected, r.actual]), [['QTY_EXCEEDS_RECEIVED', '10', '20']]);
      const after = await order.resolve('INV-RB-1', { action: 'reject', reason: 'Billed at the wrong price; replaced by INV-RB-2' });
      const rebill = after.invoices.find((i) => i.invoiceNumber === 'INV-RB-2')!;
      assert.equal(rebill.match.status, 'matched', 'the rejected invoice no longer counts against the 10 received');
      assert.equal(rebill.status, 'paid', 'net 0: paid as soon as it matched');
      assert.equal(rebill.payment?.amount, '100.00');
      assert.equal(after.exceptions.find((e) => e.invoiceNumber === 'INV-RB-2')!.status, 'resolved');
      assert.equal(after.hasOpenException, false);
      assert.equal(after.lines[0]!.invoicedQuantity, '10');
    });
  });

  test('service lines match two-way against the ordered quantity', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-SVC', [{ lineNo: 1, sku: 'INSTALL', kind: 'service', quantity: '8', unitPrice: '95.00' } as never]));
      await order.acknowledge({ type: 'accept' });
      const over = await order.invoice({ invoiceNumber: 'INV-SVC-1', invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '9', unitPrice: '95.00' }], total: '855.00' });
      assert.equal(over.match.lines[0]!.reasons[0]!.code, 'QTY_EXCEEDS_ORDERED');
      await order.resolve('INV-SVC-1', { action: 'reject', reason: 'Only 8 hours were ordered' });
      const fine = await order.invoice({ invoiceNumber: 'INV-SVC-2', invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '8', unitPrice: '95.00' }], total: '760.00' });
      assert.equal(fine.match.status, 'matched');
      const ledger = await stack.harness.readModel.accountBalances('PO-SVC');
      assert.equal(new Decimal(ledger.EXPENSE ?? '0').toFixed(2), '760.00', 'services are expensed, not put in inventory');
    });
  });

  test('open quantity past the promised date plus grace raises delivery.late for the buyer', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-LATE'));
      await order.acknowledge({ type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: addDays(await today(stack.env), 3) }] });
      await stack.env.sleep(3 * DAY);
      assert.ok(!(await outboxTypes('PO-LATE')).includes('delivery.late'), 'not late on the promised day');
      await stack.env.sleep(2 * DAY + 60_000);
      assert.ok((await outboxTypes('PO-LATE')).includes('delivery.late'));
      assert.ok((await order.state()).timeline.some((t) => t.type === 'delivery.late'));
    });
  });

  test('a long-lived PO continues as new and keeps its state and its pending commands', async () => {
    await stack.harness.withWorker(async () => {
      const order = await PurchaseOrderDriver.issue(stack.harness, po('PO-CAN', Array.from({ length: 6 }, (_, i) => ({ lineNo: i + 1, sku: `SKU-${i + 1}`, quantity: '6', unitPrice: '1.00' }))), { historyThreshold: 40 });
      const firstRun = (await order.handle.describe()).runId;
      await order.acknowledge({ type: 'accept' });
      // Six ASNs sent at once: some arrive while the run is handing over to the next one.
      const shipDate = await today(stack.env);
      const shipped = await Promise.all(
        Array.from({ length: 6 }, (_, i) => order.ship({ asnNumber: `ASN-CAN-${i + 1}`, shipDate, lines: [{ lineNo: i + 1, quantity: '6' }] })),
      );
      assert.equal(shipped.length, 6);
      await order.receive({ receiptNumber: 'GR-CAN', lines: Array.from({ length: 6 }, (_, i) => ({ lineNo: i + 1, quantityReceived: '6' })) });
      const state = await order.state();
      if (process.env.DEBUG_CAN) process.stdout.write(JSON.stringify({ asns: state.asns.map((a) => a.asnNumber), shipped: shipped.map((v) => v.asns.map((a) => a.asnNumber)), timeline: state.timeline.map((t) => t.type) }) + '\n');
      assert.equal(state.asns.length, 6, 'no ASN lost across continue-as-new');
      assert.equal(state.status, 'received');
      const description = await order.handle.describe();
      assert.notEqual(description.runId, firstRun, 'the PO continued as new');
      // The same ASN again after the hand-over is recognised, not applied twice.
      const again = await order.ship({ asnNumber: 'ASN-CAN-1', shipDate, lines: [{ lineNo: 1, quantity: '6' }] });
      assert.equal(again.asns.length, 6);
    });
  });
});
