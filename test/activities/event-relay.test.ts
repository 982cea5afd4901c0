/**
 * Delivery to subscriptions against real PostgreSQL and real HTTP endpoints: signing, filters,
 * per-PO order under failures, the retry schedule, dead letters, 410 Gone, secret rotation, several
 * relays at once, and events whose transaction commits late.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { KnexErp } from '../../activities/erp/knex-erp';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { EventRelay, type EventRelayOptions } from '../../activities/events/relay';
import { KnexSubscriptions } from '../../activities/events/subscriptions';
import { verifyWebhook } from '../../activities/supplier-portal/webhook';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { waitUntil } from '../helpers/event-sinks';
import { businessEvent, createSupplier, issuedPurchaseOrder, quietLogger } from './fixtures';
import { drain, endpointsPerTest, recordEvents } from './event-fixtures';

const SECRET = 'whsec_c2VjcmV0LWZvci10aGUtd21zLXN1YnNjcmlwdGlvbg==';
/** Attempts 30 ms apart: the real schedule's shape, fast enough for a test. */
const FAST_SCHEDULE = [0, 30, 30, 30];

let db: TestDatabase;
let subscriptions: KnexSubscriptions;
const { endpoint, cleanUp } = endpointsPerTest(() => db.knex);

before(async () => {
  db = await createTestDatabase();
  subscriptions = new KnexSubscriptions(db.knex);
  await createSupplier(new KnexReadModel(db.knex), 'ACME');
});

after(async () => {
  await db?.drop();
});

afterEach(cleanUp);

function relay(options: EventRelayOptions = {}): EventRelay {
  return new EventRelay(db.knex, { retrySchedule: FAST_SCHEDULE, timeoutMs: 2_000, batchSize: 50, breakerThreshold: 1_000, ...options }, quietLogger);
}

const idsOf = (deliveries: { id: string }[], ids: readonly string[]) => deliveries.map((delivery) => delivery.id).filter((id) => ids.includes(id));

describe('delivery to subscriptions', () => {
  test('an event the ERP records reaches the subscriber signed, with webhook-id = the outbox id and the usual body', async () => {
    const wms = await endpoint();
    await subscriptions.create({ url: wms.url, eventTypes: ['*'], secret: SECRET, enabled: true });
    const po = issuedPurchaseOrder({ poNumber: 'PO-EV-1', supplierId: 'ACME' });
    const event = businessEvent(po, { type: 'po.issued', payload: { version: 1, poNumber: 'PO-EV-1', status: 'issued' } });
    await new KnexErp(db.knex, quietLogger).recordBusinessEvent(event);

    await drain(relay(), db.knex);
    const [delivery] = wms.accepted.filter((received) => received.id === event.eventId);
    assert.ok(delivery, 'delivered');
    assert.ok(verifyWebhook(SECRET, delivery.id, delivery.timestamp, delivery.body, delivery.signature));
    assert.deepEqual(JSON.parse(delivery.body), {
      id: event.eventId,
      type: 'po.issued',
      timestamp: event.at,
      poNumber: 'PO-EV-1',
      data: { version: 1, poNumber: 'PO-EV-1', status: 'issued' },
    });
  });

  test('a subscription gets exactly the types it asked for: exact types and prefixes', async () => {
    const finance = await endpoint();
    await subscriptions.create({ url: finance.url, eventTypes: ['invoice.*', 'payment.cleared'], enabled: true });
    const events = await recordEvents(db.knex, [
      { poNumber: 'PO-EV-2', type: 'goods.received' },
      { poNumber: 'PO-EV-2', type: 'invoice.matched' },
      { poNumber: 'PO-EV-2', type: 'invoice.exception' },
      { poNumber: 'PO-EV-2', type: 'payment.sent' },
      { poNumber: 'PO-EV-2', type: 'payment.cleared' },
    ]);
    await drain(relay(), db.knex);
    assert.deepEqual(idsOf(finance.accepted, events), [events[1], events[2], events[4]]);
  });

  test('a subscriber failing on one PO holds only that PO back: its later events wait, other POs go on, and order holds', async () => {
    const wms = await endpoint();
    await subscriptions.create({ url: wms.url, eventTypes: ['*'], enabled: true });
    let failing = true;
    wms.answer = (delivery) => (delivery.poNumber === 'PO-EV-3A' && failing ? 500 : 200);
    const events = await recordEvents(db.knex, [
      { poNumber: 'PO-EV-3A', type: 'goods.received' },
      { poNumber: 'PO-EV-3B', type: 'goods.received' },
      { poNumber: 'PO-EV-3A', type: 'invoice.matched' },
      { poNumber: 'PO-EV-3B', type: 'invoice.matched' },
    ]);
    const first = relay({ retrySchedule: [0, 60_000] });
    // Passes until the events are readable (a transaction elsewhere may hold them back a moment).
    await waitUntil(async () => {
      await first.relayPending();
      return idsOf(wms.accepted, events).length === 2;
    }, 'PO-EV-3B to be delivered');
    // PO-EV-3B went through at once; PO-EV-3A's second event waits behind the failed first one.
    assert.deepEqual(idsOf(wms.accepted, events), [events[1], events[3]]);
    const held = await db.knex('event_deliveries').whereIn('event_id', events).orderBy('sequence').select('event_id', 'state', 'attempts', 'last_status');
    assert.deepEqual(held, [
      { event_id: events[0], state: 'retrying', attempts: 1, last_status: 500 },
      { event_id: events[2], state: 'waiting', attempts: 0, last_status: null },
    ]);

    failing = false;
    await db.knex('event_deliveries').whereIn('event_id', events).update({ next_attempt_at: db.knex.fn.now() });
    await drain(first, db.knex);
    assert.deepEqual(idsOf(wms.accepted, events), [events[1], events[3], events[0], events[2]]);
    const attemptsOnA = wms.requests.filter((request) => request.id === events[0]).map((request) => request.status);
    assert.deepEqual(attemptsOnA, [500, 200]);
    assert.equal((await db.knex('event_deliveries').whereIn('event_id', events)).length, 0);
  });

  test('after the last attempt the delivery is a dead letter with its last status, error and attempts, and the PO moves on', async () => {
    const wms = await endpoint();
    const { id } = await subscriptions.create({ url: wms.url, eventTypes: ['*'], enabled: true });
    const events = await recordEvents(db.knex, [
      { poNumber: 'PO-EV-4', type: 'goods.received' },
      { poNumber: 'PO-EV-4', type: 'invoice.matched' },
    ]);
    wms.answer = (delivery) => (delivery.id === events[0] ? 503 : 200);
    await drain(relay(), db.knex);

    assert.deepEqual(idsOf(wms.accepted, events), [events[1]]);
    assert.equal(wms.requests.filter((request) => request.id === events[0]).length, FAST_SCHEDULE.length);
    const [dead] = await db.knex('dead_letters').where({ message_id: events[0] });
    assert.equal(dead.subscription_id, id);
    assert.equal(dead.attempts, FAST_SCHEDULE.length);
    assert.equal(dead.last_status, 503);
    assert.match(dead.last_error, /answered 503/);
    assert.equal(dead.event_type, 'goods.received');
    assert.equal(dead.po_number, 'PO-EV-4');
  });

  test('410 Gone disables the subscription; enabled again, it delivers what it held and what came since', async () => {
    const gone = await endpoint();
    gone.answer = () => 410;
    const { id } = await subscriptions.create({ url: gone.url, eventTypes: ['*'], enabled: true });
    const [first] = await recordEvents(db.knex, [{ poNumber: 'PO-EV-5', type: 'po.issued' }]);
    await drain(relay(), db.knex);

    const disabled = (await subscriptions.get(id))!;
    assert.equal(disabled.enabled, false);
    assert.match(disabled.disabledReason!, /410 Gone/);
    assert.equal(gone.requests.length, 1, 'a gone endpoint is not hammered');

    const [second] = await recordEvents(db.knex, [{ poNumber: 'PO-EV-5', type: 'po.acknowledged' }]);
    gone.answer = () => 204;
    await subscriptions.update(id, { enabled: true });
    await drain(relay(), db.knex);
    assert.deepEqual(idsOf(gone.accepted, [first!, second!]), [first, second]);
    assert.equal((await subscriptions.get(id))!.disabledReason, null);
  });

  test('while a secret is rotated, deliveries carry a signature for the new and for the old secret', async () => {
    const wms = await endpoint();
    const oldSecret = 'first-secret-of-the-wms-0123';
    const newSecret = 'second-secret-of-the-wms-4567';
    const { id } = await subscriptions.create({ url: wms.url, eventTypes: ['*'], secret: oldSecret, enabled: true });
    const rotated = await subscriptions.update(id, { secret: newSecret, previousSecretValidFor: '1h' });
    assert.ok(rotated!.previousSecretExpiresAt);
    const [eventId] = await recordEvents(db.knex, [{ poNumber: 'PO-EV-6', type: 'po.issued' }]);
    await drain(relay(), db.knex);
    const delivery = wms.accepted.find((received) => received.id === eventId)!;
    assert.equal(delivery.signature.split(' ').length, 2);
    assert.ok(verifyWebhook(newSecret, delivery.id, delivery.timestamp, delivery.body, delivery.signature), 'the new secret verifies');
    assert.ok(verifyWebhook(oldSecret, delivery.id, delivery.timestamp, delivery.body, delivery.signature), 'the old secret still verifies');

    // Once the window is over, only the new secret signs.
    await db.knex('event_subscriptions').where({ id }).update({ previous_secret_expires_at: new Date(Date.now() - 1000) });
    const [later] = await recordEvents(db.knex, [{ poNumber: 'PO-EV-6', type: 'po.acknowledged' }]);
    await drain(relay(), db.knex);
    const next = wms.accepted.find((received) => received.id === later)!;
    assert.ok(verifyWebhook(newSecret, next.id, next.timestamp, next.body, next.signature));
    assert.ok(!verifyWebhook(oldSecret, next.id, next.timestamp, next.body, next.signature));
  });

  test('an event whose transaction commits after a later one is delivered, not skipped, and first', async () => {
    const wms = await endpoint();
    await subscriptions.create({ url: wms.url, eventTypes: ['*'], enabled: true });
    const slow = await db.knex.transaction();
    const slowId = randomUUID();
    try {
      await slow('outbox').insert({ id: slowId, type: 'po.issued', po_number: 'PO-EV-7', occurred_at: new Date(), payload: JSON.stringify({ version: 1 }) });
      const [quick] = await recordEvents(db.knex, [{ poNumber: 'PO-EV-7B', type: 'po.issued' }]);
      // Not drain(): while the slow transaction runs, the relay is not idle, it waits.
      for (let pass = 0; pass < 3; pass += 1) await relay().relayPending();
      assert.deepEqual(idsOf(wms.accepted, [slowId, quick!]), [], 'nothing passes a transaction still running');
      await slow.commit();
      await drain(relay(), db.knex);
      assert.deepEqual(idsOf(wms.accepted, [slowId, quick!]), [slowId, quick]);
    } finally {
      if (!slow.isCompleted()) await slow.rollback();
    }
  });

  test('three relays working at once deliver every event exactly once', async () => {
    const wms = await endpoint();
    await subscriptions.create({ url: wms.url, eventTypes: ['*'], enabled: true });
    const events = await recordEvents(
      db.knex,
      Array.from({ length: 120 }, (_, index) => ({ poNumber: `PO-EV-8-${index % 12}`, type: 'goods.received' })),
    );
    const relays = [relay({ batchSize: 7 }), relay({ batchSize: 7 }), relay({ batchSize: 7 })];
    const until = Date.now() + 60_000;
    while (idsOf(wms.accepted, events).length < events.length && Date.now() < until) {
      await Promise.all(relays.map((each) => each.relayPending()));
    }
    const delivered = idsOf(wms.accepted, events);
    assert.equal(delivered.length, events.length, 'each once');
    assert.deepEqual(new Set(delivered), new Set(events));
  });

  test('a pass that outlasts its lease keeps it: the lease is renewed while the pass runs, so no other relay delivers the same events meanwhile', async () => {
    const slow = await endpoint();
    let arrived = 0;
    slow.answer = () => {
      arrived += 1;
      return 'hang';
    };
    const subscription = await subscriptions.create({ url: slow.url, eventTypes: ['*'], enabled: true });
    const events = await recordEvents(db.knex, [{ poNumber: 'PO-EV-LEASE', type: 'po.issued' }]);
    // Long enough that a busy machine's event loop stalls do not let it lapse between renewals.
    const leaseMs = 3_000;
    const first = relay({ leaseMs, timeoutMs: 30_000 });
    const second = relay({ leaseMs, timeoutMs: 30_000 });
    // The loop, not one pass: the event becomes readable once every older transaction on the server has ended.
    first.start(20);
    try {
      await waitUntil(() => arrived === 1, 'the first relay to be delivering the event');
      // Well past two leases: without renewal the second relay would take the subscription over.
      await new Promise((resolve) => setTimeout(resolve, 2.5 * leaseMs));
      const cursor = await db.knex('event_cursors').where({ consumer: `subscription:${subscription.id}` }).first('lease_owner', db.knex.raw('lease_expires_at > now() as live'));
      assert.equal(cursor.lease_owner, first.owner, 'the first relay still holds the lease');
      assert.equal(cursor.live, true, 'and it has not run out');
      assert.equal(await second.relayPending(), 0, 'the second relay finds the subscription taken');
      assert.equal(arrived, 1, 'and sends nothing');
    } finally {
      slow.release();
      await first.stop();
    }
    // The hanging attempt was answered 503 on release: held for a retry, then delivered once.
    await drain(second, db.knex);
    assert.deepEqual(idsOf(slow.accepted, events), events, 'delivered once');
  });

  test('the relay loop started by the worker keeps delivering until stopped, and never blocks on a subscriber that hangs', async () => {
    const good = await endpoint();
    const hanging = await endpoint();
    hanging.answer = () => 'hang';
    await subscriptions.create({ url: good.url, eventTypes: ['*'], enabled: true });
    await subscriptions.create({ url: hanging.url, eventTypes: ['*'], enabled: true });
    const loop = relay({ timeoutMs: 30_000 });
    loop.start(20);
    try {
      const events = await recordEvents(db.knex, [
        { poNumber: 'PO-EV-9', type: 'po.issued' },
        { poNumber: 'PO-EV-9', type: 'po.acknowledged' },
      ]);
      await waitUntil(() => idsOf(good.accepted, events).length === 2, 'the good subscriber to get both events');
      const more = await recordEvents(db.knex, [{ poNumber: 'PO-EV-9', type: 'asn.received' }]);
      await waitUntil(() => idsOf(good.accepted, more).length === 1, 'the good subscriber to get a later event while the other still hangs');
      assert.equal(hanging.accepted.length, 0);
    } finally {
      hanging.release();
      await loop.stop();
    }
  });
});
