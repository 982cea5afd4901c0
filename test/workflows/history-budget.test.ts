/**
 * The history a happy PO leaves in Temporal: the six commands of the walk-through (issue,
 * acknowledge, ship, receive, invoice on net 0 — matched, posted and paid at once — and the bank's
 * "cleared", which closes the PO) within 60 events and 20 KB (docs/architecture.md, "History
 * budget"). Every command is one Update and one local activity; the PO itself is never copied
 * into the history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { ISSUE_IN_ONE_ACTIVITY } from '../../workflows/purchase-order/purchase-order';
import { PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

const stack = timeSkippingStack(async (harness) => PurchaseOrderDriver.supplier(harness, 'ACME', { paymentTerms: { netDays: 0 } }));

const BUDGET = { events: 60, bytes: 20 * 1024 };

test(`a happy two-line PO stays within ${BUDGET.events} history events and ${BUDGET.bytes / 1024} KB`, async () => {
  await stack.harness.withWorker(async () => {
    const lines = [
      { lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' },
      { lineNo: 2, sku: 'GADGET-2', quantity: '5', unitPrice: '4.25' },
    ];
    const po = await PurchaseOrderDriver.issue(stack.harness, { poNumber: 'PO-BUDGET', supplierId: 'ACME', currency: 'USD', lines });
    await po.acknowledge({ type: 'accept' });
    await po.ship({ asnNumber: 'ASN-BUDGET', shipDate: await today(stack.env), lines: [{ lineNo: 1, quantity: '10' }, { lineNo: 2, quantity: '5' }] });
    await po.receive({ receiptNumber: 'GR-BUDGET', lines: [{ lineNo: 1, quantityReceived: '10' }, { lineNo: 2, quantityReceived: '5' }] });
    const invoice = await po.invoice({
      invoiceNumber: 'INV-BUDGET',
      invoiceDate: await today(stack.env),
      currency: 'USD',
      lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }, { lineNo: 2, quantity: '5', unitPrice: '4.25' }],
      total: '121.25',
    });
    assert.equal(invoice.status, 'paid');
    const closed = await po.paymentStatus('INV-BUDGET', { status: 'cleared' });
    assert.equal(closed.status, 'closed');
    await po.handle.result();

    const history = await po.handle.fetchHistory();
    const { History } = temporal.api.history.v1;
    const bytes = History.encode(History.fromObject(history)).finish().length;
    const events = history.events!;
    if (process.env.PRINT_HISTORY) {
      process.stdout.write(`${events.length} events, ${bytes} bytes\n${events.map((e) => `${e.eventId} ${e.eventType}`).join('\n')}\n`);
    }
    assert.ok(events.length <= BUDGET.events, `${events.length} history events (budget ${BUDGET.events})`);
    assert.ok(bytes <= BUDGET.bytes, `${bytes} bytes of history (budget ${BUDGET.bytes})`);
    // One local activity per business event: issue, acknowledgement, ASN, receipt, the invoice's
    // match and posting, its payment, the bank's "cleared", the close.
    assert.equal(markers(history).localActivities, 8);
  });
});

/** The markers of a history by name: local activities (`core_local_activity`) and patches (`core_patch`, with their ids). */
function markers(history: temporal.api.history.v1.IHistory): { localActivities: number; patches: string[] } {
  const recorded = (history.events ?? []).flatMap((event) => (event.markerRecordedEventAttributes ? [event.markerRecordedEventAttributes] : []));
  const patches = recorded
    .filter((marker) => marker.markerName === 'core_patch')
    .map((marker) => {
      const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? (JSON.parse(new TextDecoder().decode(data)) as { id: string }).id : '';
    });
  return { localActivities: recorded.filter((marker) => marker.markerName === 'core_local_activity').length, patches };
}

test('the issue resolves the supplier policy and records the PO in one local activity (ADR 0110)', async () => {
  await stack.harness.withWorker(async () => {
    const po = await PurchaseOrderDriver.issue(stack.harness, {
      poNumber: 'PO-ONE-ACTIVITY',
      supplierId: 'ACME',
      currency: 'USD',
      lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }],
    });
    const state = await po.state();
    assert.deepEqual(state.policy.paymentTerms, { netDays: 0 });
    // The ERP recorded the issue under the policy the workflow holds.
    assert.deepEqual((await stack.harness.readModel.getPurchaseOrderSnapshot('PO-ONE-ACTIVITY'))?.policy, state.policy);
    const { localActivities, patches } = markers(await po.handle.fetchHistory());
    assert.equal(localActivities, 1, 'one local activity: the policy and the issue together');
    assert.ok(patches.includes(ISSUE_IN_ONE_ACTIVITY), `patches: ${patches.join(', ')}`);
  });
});
