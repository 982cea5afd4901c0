/**
 * The ERP records a business event from the PO's own events (the compact record of the workflow):
 * it folds them onto the snapshot it holds, writes what changed, queues the supplier notifications,
 * refuses a malformed command and an event out of step with its snapshot, and writes nothing twice.
 * Real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { KnexErp } from '../../activities/erp/knex-erp';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { InvalidCommandError, SnapshotOutOfStepError } from '../../activities/errors';
import type { EventRecord } from '../../activities/ports';
import { apply, initialState } from '../../workflows/domain/lifecycle/apply';
import { view } from '../../workflows/domain/lifecycle/views';
import { DEFAULT_TOLERANCES } from '../../workflows/domain/policy';
import { CreatePurchaseOrder, GoodsReceipt } from '../../workflows/domain/schemas';
import { EventType } from '../../workflows/domain/schemas/event-catalog';
import type { PoEvent, PoState } from '../../workflows/domain/state';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { buyer, createSupplier, eventFootprint, nextInstant, quietLogger, supplierActor, warehouse } from './fixtures';

let db: TestDatabase;
let erp: KnexErp;
let readModel: KnexReadModel;

before(async () => {
  db = await createTestDatabase();
  erp = new KnexErp(db.knex, quietLogger);
  readModel = new KnexReadModel(db.knex);
  await createSupplier(readModel, 'ACME');
});
after(async () => db?.drop());

function issuedEvent(poNumber: string): PoEvent {
  return {
    type: 'po.issued',
    at: nextInstant(),
    actor: buyer,
    po: CreatePurchaseOrder.parse({ poNumber, supplierId: 'ACME', currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT', quantity: '10', unitPrice: '2.00' }, { lineNo: 2, sku: 'NUT', quantity: '5', unitPrice: '1.00' }] }),
    requestHash: `hash-${poNumber}`,
    policy: { paymentTerms: { netDays: 30 }, tolerances: { ...DEFAULT_TOLERANCES }, slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' }, captureDiscounts: true },
  };
}

/** What the workflow hands the ERP for `events` on top of `state`, and the state after them. */
function compact(state: PoState | undefined, events: PoEvent[], extra: Partial<EventRecord> = {}): { record: EventRecord; next: PoState } {
  const next = events.reduce<PoState | undefined>((s, e) => (e.type === 'po.issued' ? initialState(e) : apply(s!, e)), state)!;
  const poNumber = next.poNumber;
  return {
    next,
    record: {
      idempotencyKey: `purchase-order:${poNumber}/${events[0]!.type}/${randomUUID()}`,
      eventId: randomUUID(),
      workflowId: `purchase-order:${poNumber}`,
      poNumber,
      supplierId: 'ACME',
      // The fixtures' first events (po.issued, po.acknowledged, goods.received) publish under their own names.
      type: EventType.parse(events[0]!.type),
      at: events[events.length - 1]!.at,
      actor: events[events.length - 1]!.actor,
      payload: { version: 1, poNumber },
      events,
      sequence: next.timeline.length,
      notifications: [],
      ...extra,
    },
  };
}

test('the ERP folds the events onto its snapshot: the PO, its lines and the notifications, in one transaction', async () => {
  const issued = compact(undefined, [issuedEvent('PO-C1')], {
    notifications: [{ id: randomUUID(), supplierId: 'ACME', poNumber: 'PO-C1', type: 'po.issued', at: nextInstant(), data: { total: '25.00' } }],
  });
  assert.deepEqual(await erp.recordEvent(issued.record), { applied: true });
  assert.deepEqual(await readModel.getPurchaseOrderSnapshot('PO-C1'), view(issued.next));
  assert.equal((await db.knex('purchase_order_lines').where({ po_number: 'PO-C1' })).length, 2);
  const queued = await db.knex('supplier_notifications').where({ po_number: 'PO-C1' });
  assert.equal(queued.length, 1);
  assert.ok(queued[0].next_attempt_at, 'queued for the relay');

  const acknowledged = compact(issued.next, [{ type: 'po.acknowledged', at: nextInstant(), actor: supplierActor('ACME'), acknowledgement: { type: 'accept' } }]);
  await erp.recordEvent(acknowledged.record);
  const snapshot = (await readModel.getPurchaseOrderSnapshot('PO-C1'))!;
  assert.equal(snapshot.status, 'acknowledged');
  assert.deepEqual(snapshot, view(acknowledged.next), 'the ERP folds exactly what the workflow folds');
  const lines = await db.knex('purchase_order_lines').where({ po_number: 'PO-C1' }).orderBy('line_no');
  assert.deepEqual(lines.map((l: { confirmed_quantity: string }) => Number(l.confirmed_quantity)), [10, 5]);

  assert.deepEqual(await erp.recordEvent(acknowledged.record), { applied: false }, 'a retried activity writes nothing twice');
});

test('an event out of step with the snapshot, or a malformed command, is refused and writes nothing', async () => {
  const issued = compact(undefined, [issuedEvent('PO-C2')]);
  await erp.recordEvent(issued.record);
  const before = await eventFootprint(db.knex);

  const receipt = GoodsReceipt.parse({ receiptNumber: 'GR-C2', lines: [{ lineNo: 1, quantityReceived: '10' }] });
  const received = compact(issued.next, [{ type: 'goods.received', at: nextInstant(), actor: warehouse, receipt, bodyHash: 'h' }]);
  await assert.rejects(erp.recordEvent({ ...received.record, sequence: received.record.sequence + 1 }), SnapshotOutOfStepError);

  // A receipt sent around the API without its default location.
  const { location: _location, ...withoutLocation } = receipt;
  const malformed = compact(issued.next, [{ type: 'goods.received', at: nextInstant(), actor: warehouse, receipt: withoutLocation as typeof receipt, bodyHash: 'h' }]);
  await assert.rejects(erp.recordEvent(malformed.record), InvalidCommandError);
  await assert.rejects(
    erp.recordEvent({ ...received.record, events: [{ ...received.record.events[0]!, receipt: { ...receipt, lines: [{ lineNo: 1, quantityReceived: 'ten', quantityRejected: '0' }] } } as PoEvent] }),
    InvalidCommandError,
  );
  assert.deepEqual(await eventFootprint(db.knex), before);

  await erp.recordEvent(received.record);
  assert.equal((await readModel.getPurchaseOrderSnapshot('PO-C2'))!.lines[0]!.receivedQuantity, '10');
});
