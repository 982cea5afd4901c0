/**
 * The inventory sync example end to end: goods receipts posted at once on several real PO
 * workflows, the ERP's outbox relayed to NATS JetStream by the event relay, and the example's
 * durable consumer keeping its own on-hand stock. Its totals must equal the ERP's, and a second
 * consumer replaying the whole stream into the same tables must change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Decimal from 'decimal.js';
import { EventRelay } from '../../activities/events/relay';
import { duplicateWindowMs, DEFAULT_RETRY_SCHEDULE_MS } from '../../activities/events/retry-schedule';
import { InventorySync } from '../../examples/inventory-sync/inventory-sync';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { waitUntil } from '../helpers/event-sinks';
import { PurchaseOrderDriver, timeSkippingStack } from '../helpers/harness';
import { deleteStream, privateStream, testNatsUrl } from '../helpers/nats';
import { quietLogger } from '../activities/fixtures';

const natsUrl = testNatsUrl();
const { stream, subjectPrefix } = privateStream();
const stack = timeSkippingStack(async (harness) => PurchaseOrderDriver.supplier(harness, 'ACME'));
let wms: TestDatabase;

before(async () => {
  wms = await createTestDatabase();
});

after(async () => {
  await deleteStream(natsUrl, stream);
  await wms?.drop();
});

const LINES = [
  { lineNo: 1, sku: 'WIDGET-1', quantity: '40', unitPrice: '10.00' },
  { lineNo: 2, sku: 'GADGET-2', quantity: '25.5', unitPrice: '4.25' },
  { lineNo: 3, sku: 'BOLT-3', quantity: '1000', unitPrice: '0.05' },
];

/** The ERP's on-hand per `sku@location`, normalised like the example's. */
async function erpOnHand(): Promise<Record<string, string>> {
  const rows: { sku: string; location: string; quantity: string }[] = await stack.harness.knex('inventory_on_hand').select('sku', 'location', 'quantity');
  return Object.fromEntries(rows.map((row) => [`${row.sku}@${row.location}`, new Decimal(row.quantity).toFixed(4)]));
}

const normalised = (onHand: Record<string, string>) => Object.fromEntries(Object.entries(onHand).map(([key, quantity]) => [key, new Decimal(quantity).toFixed(4)]));

describe('inventory sync example', () => {
  test('after a burst of receipts the consumer holds exactly the ERP on-hand, and a replay changes nothing', async () => {
    const relay = new EventRelay(stack.harness.knex, { nats: { url: natsUrl, stream, subjectPrefix, duplicateWindowMs: duplicateWindowMs(DEFAULT_RETRY_SCHEDULE_MS) } }, quietLogger);
    await relay.nats!.ready();
    relay.start(20);
    const sync = await InventorySync.start({ natsUrl, knex: wms.knex, stream, subjectPrefix, durable: 'wms' });
    let replay: InventorySync | undefined;
    try {
      await stack.harness.withWorker(async () => {
        const orders = await Promise.all(
          ['PO-INV-1', 'PO-INV-2', 'PO-INV-3', 'PO-INV-4'].map((poNumber) => PurchaseOrderDriver.issue(stack.harness, { poNumber, supplierId: 'ACME', currency: 'USD', lines: LINES })),
        );
        await Promise.all(orders.map((order) => order.acknowledge({ type: 'accept' })));
        // The burst: every receipt of every PO posted at the same moment, to two locations, some with rejects.
        await Promise.all(
          orders.flatMap((order, index) => [
            order.receive({ receiptNumber: `GR-${index}-A`, location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '15' }, { lineNo: 3, quantityReceived: '400', quantityRejected: '12' }] }),
            order.receive({ receiptNumber: `GR-${index}-B`, location: 'DOCK-B', lines: [{ lineNo: 1, quantityReceived: '20' }, { lineNo: 2, quantityReceived: '25.5' }] }),
            order.receive({ receiptNumber: `GR-${index}-C`, location: 'MAIN', lines: [{ lineNo: 3, quantityReceived: String(100 * (index + 1)) }] }),
          ]),
        );
      });
      const adjustments = Number((await stack.harness.knex('outbox').where({ type: 'inventory.adjusted' }).count<{ count: string }[]>({ count: '*' }))[0]!.count);
      assert.equal(adjustments, 12);
      await waitUntil(() => sync.applied === adjustments, `the consumer to apply ${adjustments} adjustments`);
      const expected = await erpOnHand();
      assert.equal(expected['BOLT-3@MAIN'], new Decimal(4 * 400 + 100 + 200 + 300 + 400).toFixed(4));
      assert.deepEqual(normalised(await sync.onHand()), expected);

      // Another durable reads the whole stream again into the same tables: every message is one it has seen.
      replay = await InventorySync.start({ natsUrl, knex: wms.knex, stream, subjectPrefix, durable: 'wms-replay' });
      await waitUntil(() => replay!.skipped === adjustments, 'the replay to see every message');
      assert.equal(replay.applied, 0);
      assert.deepEqual(normalised(await sync.onHand()), expected);
    } finally {
      await replay?.stop();
      await sync.stop();
      await relay.stop();
    }
  });
});
