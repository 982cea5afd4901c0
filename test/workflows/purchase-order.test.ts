/**
 * purchaseOrderWorkflow on the Java time-skipping test server, with the real activities and
 * adapters on real PostgreSQL: timers measured in days run in seconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import Decimal from 'decimal.js';
import { addDays } from '../../workflows/domain/calendar';
import { PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

const DAY = 86_400_000;

const stack = timeSkippingStack(async (h) => {
  await PurchaseOrderDriver.supplier(h, 'ACME', { paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 } });
  await PurchaseOrderDriver.supplier(h, 'NET0', { paymentTerms: { netDays: 0 } });
});

function twoLinePo(poNumber: string, supplierId = 'ACME') {
  return {
    poNumber,
    supplierId,
    currency: 'USD',
    buyer: 'jane.buyer@example.com',
    lines: [
      { lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' },
      { lineNo: 2, sku: 'GADGET-2', quantity: '5', unitPrice: '4.2500' },
    ],
  };
}

async function expectRefusal(promise: Promise<unknown>, code: string): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected an update failure, got ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, code, err.cause.message);
    return err.cause;
  }
  assert.fail(`expected ${code}`);
}

async function balances(poNumber: string) {
  return stack.harness.readModel.accountBalances(poNumber);
}

function zeroOrAbsent(value: string | undefined): boolean {
  return value === undefined || new Decimal(value).isZero();
}

function money(value: string | undefined): string {
  return new Decimal(value ?? '0').toFixed(2);
}

async function deliverInFull(po: PurchaseOrderDriver, suffix: string) {
  await po.acknowledge({ type: 'accept' });
  await po.ship({ asnNumber: `ASN-${suffix}`, shipDate: await today(stack.env), lines: [{ lineNo: 1, quantity: '10' }, { lineNo: 2, quantity: '5' }] });
  return po.receive({ receiptNumber: `GR-${suffix}`, lines: [{ lineNo: 1, quantityReceived: '10' }, { lineNo: 2, quantityReceived: '5' }] });
}

describe('purchase order on the time-skipping server', () => {
  test('an unacknowledged PO reminds the supplier after a day and escalates to the buyer after two', async () => {
    await stack.harness.withWorker(async () => {
      const po = await PurchaseOrderDriver.issue(stack.harness, twoLinePo('PO-ACK-SLA'));
      assert.equal((await po.state()).status, 'issued');
      await stack.env.sleep(3 * DAY);
      const state = await po.state();
      const types = state.timeline.map((t) => t.type);
      assert.ok(types.includes('acknowledgement.reminded'), `timeline: ${types.join(', ')}`);
      assert.ok(types.includes('acknowledgement.escalated'), `timeline: ${types.join(', ')}`);
      const overdue = await stack.harness.knex('outbox').where({ po_number: 'PO-ACK-SLA', type: 'acknowledgement.overdue' });
      assert.equal(overdue.length, 1);
      // A late acknowledgement is still taken.
      const acknowledged = await po.acknowledge({ type: 'accept' });
      assert.equal(acknowledged.status, 'acknowledged');
    });
  });

  test('2/10 net 30: a matched invoice is paid on day 10 with a 2% discount, and the PO closes with GRNI and AP at 0', async () => {
    await stack.harness.withWorker(async () => {
      const po = await PurchaseOrderDriver.issue(stack.harness, twoLinePo('PO-2-10'));
      const received = await deliverInFull(po, '2-10');
      assert.equal(received.status, 'received');
      const invoiceDate = await today(stack.env);
      const outcome = await po.invoice({
        invoiceNumber: 'INV-2-10',
        invoiceDate,
        currency: 'USD',
        lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }, { lineNo: 2, quantity: '5', unitPrice: '4.25' }],
        total: '121.25',
      });
      assert.equal(outcome.match.status, 'matched');
      assert.equal(outcome.status, 'scheduled');
      let invoice = (await po.state()).invoices[0]!;
      assert.equal(invoice.payment?.scheduledFor, `${addDays(invoiceDate, 10)}T00:00:00.000Z`);
      assert.equal(invoice.payment?.discount, '2.42', '2% of 121.25 = 2.425, rounded half-even');
      assert.equal(invoice.payment?.amount, '118.83');

      await stack.env.sleep(9 * DAY);
      assert.equal((await po.state()).invoices[0]!.status, 'scheduled', 'not paid before day 10');
      await stack.env.sleep(1 * DAY + 60_000);
      invoice = (await po.state()).invoices[0]!;
      assert.equal(invoice.status, 'paid');
      assert.ok(invoice.payment?.paymentId);

      const closed = await po.paymentStatus('INV-2-10', { status: 'cleared' });
      assert.equal(closed.status, 'closed');
      const ledger = await balances('PO-2-10');
      assert.ok(zeroOrAbsent(ledger.GRNI), `GRNI ${ledger.GRNI}`);
      assert.ok(zeroOrAbsent(ledger.AP), `AP ${ledger.AP}`);
      assert.equal(money(ledger.BANK), '-118.83');
      assert.equal(money(ledger.PURCHASE_DISCOUNTS), '-2.42');
      const result = await po.handle.result();
      assert.equal(result.status, 'closed');
      const unbalanced = await stack.harness.knex('journal_lines')
        .select('journal_entry_id')
        .groupBy('journal_entry_id')
        .havingRaw('sum(debit) <> sum(credit)');
      assert.deepEqual(unbalanced, [], 'every journal balances');
      const events = (await stack.harness.knex('outbox').where({ po_number: 'PO-2-10' }).select('type')).map((r: { type: string }) => r.type);
      for (const type of ['po.issued', 'po.acknowledged', 'asn.received', 'goods.received', 'inventory.adjusted', 'invoice.matched', 'payment.sent', 'payment.cleared', 'po.closed']) {
        assert.ok(events.includes(type), `outbox has ${type}: ${events.join(', ')}`);
      }
      const history = await po.handle.fetchHistory();
      if (process.env.PRINT_HISTORY) process.stdout.write(history.events!.map((e) => `${e.eventId} ${e.eventType} ${e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''}${e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? ''}`).join('\n') + '\n');
      assert.ok(history.events!.length <= 120, `a happy-path PO of two lines stays within 120 history events (was ${history.events!.length})`);
    });
  });

  test('invoice at 3% over PO price is held with PRICE_VARIANCE; approved after day 10 it is paid on day 30 without discount', async () => {
    await stack.harness.withWorker(async () => {
      const po = await PurchaseOrderDriver.issue(stack.harness, twoLinePo('PO-PPV'));
      await deliverInFull(po, 'PPV');
      const invoiceDate = await today(stack.env);
      const outcome = await po.invoice({
        invoiceNumber: 'INV-PPV',
        invoiceDate,
        currency: 'USD',
        lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.30' }, { lineNo: 2, quantity: '5', unitPrice: '4.25' }],
        total: '124.25',
      });
      assert.equal(outcome.status, 'exception');
      const reason = outcome.match.lines.find((l) => l.lineNo === 1)!.reasons[0]!;
      assert.deepEqual([reason.code, reason.expected, reason.actual, reason.tolerance], ['PRICE_VARIANCE', '10.00', '10.30', '0.20']);
      assert.equal((await po.state()).hasOpenException, true);

      await stack.env.sleep(12 * DAY);
      const escalated = (await po.state()).exceptions[0]!;
      assert.ok(escalated.escalatedAt, 'exception SLA escalated');
      const approved = await po.resolve('INV-PPV', { action: 'approve', reason: 'Price increase agreed by phone with ACME' });
      const invoice = approved.invoices[0]!;
      assert.equal(invoice.status, 'scheduled');
      assert.equal(invoice.payment?.discount, '0.00');
      assert.equal(invoice.payment?.scheduledFor, `${addDays(invoiceDate, 30)}T00:00:00.000Z`);
      assert.equal(approved.exceptions[0]!.status, 'approved');
      assert.equal(approved.exceptions[0]!.resolvedBy?.id, 'finance#test');

      await stack.env.sleep(19 * DAY);
      const paid = (await po.state()).invoices[0]!;
      assert.equal(paid.status, 'paid');
      assert.equal(paid.payment?.amount, '124.25');
      await po.paymentStatus('INV-PPV', { status: 'cleared' });
      const ledger = await balances('PO-PPV');
      assert.equal(money(ledger.PPV), '3.00');
      assert.ok(zeroOrAbsent(ledger.GRNI) && zeroOrAbsent(ledger.AP), JSON.stringify(ledger));
    });
  });

  test('an invoice that arrives before the goods is held pending_receipt and matched automatically on receipt', async () => {
    await stack.harness.withWorker(async () => {
      const po = await PurchaseOrderDriver.issue(stack.harness, twoLinePo('PO-EARLY', 'NET0'));
      await po.acknowledge({ type: 'accept' });
      const outcome = await po.invoice({
        invoiceNumber: 'INV-EARLY',
        invoiceDate: await today(stack.env),
        currency: 'USD',
        lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }],
        total: '100.00',
      });
      assert.equal(outcome.status, 'pending_receipt');
      assert.equal((await po.state()).hasOpenException, false);
      const after = await po.receive({ receiptNumber: 'GR-EARLY', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      const invoice = after.invoices[0]!;
      assert.equal(invoice.match.status, 'matched');
      // net 0: paid as soon as approved
      assert.equal(invoice.status, 'paid');
    });
  });

  test('a failed payment opens PAYMENT_FAILED; finance approves and it is paid again, never twice', async () => {
    await stack.harness.withWorker(async () => {
      const po = await PurchaseOrderDriver.issue(stack.harness, twoLinePo('PO-FAIL', 'NET0'));
      await deliverInFull(po, 'FAIL');
      const outcome = await po.invoice({
        invoiceNumber: 'INV-FAIL',
        invoiceDate: await today(stack.env),
        currency: 'USD',
        lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }, { lineNo: 2, quantity: '5', unitPrice: '4.25' }],
        total: '121.25',
      });
      assert.equal(outcome.status, 'paid');
      const failed = await po.paymentStatus('INV-FAIL', { status: 'failed', reference: 'R01 insufficient funds' });
      assert.equal(failed.invoices[0]!.status, 'exception');
      const exception = failed.exceptions.find((e) => e.code === 'PAYMENT_FAILED');
      assert.ok(exception && exception.status === 'open');
      let ledger = await balances('PO-FAIL');
      assert.equal(money(ledger.AP), '-121.25', 'AP owes the supplier again after the bank returned the payment');

      const retried = await po.resolve('INV-FAIL', { action: 'approve', reason: 'Bank details corrected' });
      assert.equal(retried.invoices[0]!.status, 'paid');
      assert.equal(retried.invoices[0]!.payment?.attempt, 2);
      const payments = await stack.harness.knex('ap_payments').where({ invoice_number: 'INV-FAIL' });
      assert.equal(payments.length, 2, 'one payment per attempt');
      const closed = await po.paymentStatus('INV-FAIL', { status: 'cleared' });
      assert.equal(closed.status, 'closed');
      ledger = await balances('PO-FAIL');
      assert.ok(zeroOrAbsent(ledger.AP) && zeroOrAbsent(ledger.GRNI), JSON.stringify(ledger));
      await assert.rejects(po.paymentStatus('INV-FAIL', { status: 'failed' }), 'a closed PO takes no more payment reports');
    });
  });

  test('supplier changes: a proposed price change waits for the buyer, and the approved price is the agreed price', async () => {
    await stack.harness.withWorker(async () => {
      const po = await PurchaseOrderDriver.issue(stack.harness, twoLinePo('PO-CHG'));
      const pending = await po.acknowledge({
        type: 'accept_with_changes',
        lines: [{ lineNo: 1, status: 'changed', unitPrice: '10.50', promisedDate: addDays(await today(stack.env), 7) }],
      });
      assert.equal(pending.status, 'changes_pending');
      // By its string name, as another tool would send it.
      await stack.harness.client.workflow
        .getHandle(po.handle.workflowId)
        .executeUpdate('decideChanges', { args: [{ actor: { role: 'procurement', id: 'procurement#test' }, body: { decision: 'approve' }, bodyHash: 'x' }] });
      const line = (await po.state()).lines.find((l) => l.lineNo === 1)!;
      assert.equal(line.agreedUnitPrice, '10.50');
      assert.equal(line.confirmedQuantity, '10');
      await expectRefusal(
        po.ship({ asnNumber: 'ASN-CHG', shipDate: await today(stack.env), lines: [{ lineNo: 1, quantity: '11' }] }),
        'ASN_EXCEEDS_OPEN_QUANTITY',
      );
      assert.equal((await po.state()).asns.length, 0, 'a refused ASN changes nothing');
    });
  });

  test('cancel is refused after the first receipt, and a duplicate invoice number with another body is refused', async () => {
    await stack.harness.withWorker(async () => {
      const po = await PurchaseOrderDriver.issue(stack.harness, twoLinePo('PO-CXL'));
      await deliverInFull(po, 'CXL');
      await expectRefusal(
        stack.harness.client.workflow.getHandle(po.handle.workflowId).executeUpdate('cancel', {
          args: [{ actor: { role: 'procurement', id: 'procurement#test' }, body: { reason: 'Not needed' }, bodyHash: 'c' }],
        }),
        'CANCEL_AFTER_RECEIPT',
      );
      const invoice = { invoiceNumber: 'INV-CXL', invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' };
      const first = await po.invoice(invoice);
      const again = await po.invoice(invoice);
      assert.deepEqual(again, first, 'the same invoice again replays the first answer');
      await expectRefusal(po.invoice({ ...invoice, invoiceNumber: 'inv cxl', total: '99.00', lines: [{ lineNo: 1, quantity: '10', unitPrice: '9.90' }] }), 'DUPLICATE_INVOICE');
      assert.equal((await po.state()).invoices.length, 1);
    });
  });
});
