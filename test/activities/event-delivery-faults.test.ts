/**
 * Delivery under faults, with two relays running as two workers would: a subscriber answering 500
 * for a while, a NATS server restarted in the middle of a load, a subscriber that fails or hangs
 * beside a healthy one. Every event must reach every subscriber and the stream exactly once by id,
 * in order per PO, and the healthy subscriber must not pay for the failing one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventRelay } from '../../activities/events/relay';
import { KnexSubscriptions } from '../../activities/events/subscriptions';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { checkDeliveries, expectedEvents, RecordingSubscriber, verifyEventDelivery, waitUntil } from '../helpers/event-sinks';
import { PrivateNatsServer } from '../helpers/nats';
import { recordEvents, relayIsIdle } from './event-fixtures';
import { quietLogger } from './fixtures';

/** The real schedule's shape in milliseconds: long enough to outlast the 500s below, short enough for a test. */
const SCHEDULE = [0, 50, 100, 200, 400, 800, 1_600, 3_200];

let db: TestDatabase;
let nats: PrivateNatsServer;

before(async () => {
  db = await createTestDatabase();
  nats = await PrivateNatsServer.start();
});

after(async () => {
  await nats?.close();
  await db?.drop();
});

/** What the relays warned about, to prove the faults really happened. */
const warnings: { message: string; meta?: Record<string, unknown> }[] = [];
const recordingLog = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (message: string, meta?: Record<string, unknown>) => warnings.push({ message, ...(meta ? { meta } : {}) }) };

/**
 * Nothing in this test hangs, so the delivery timeout is long: on a busy machine the event loop can
 * stall for seconds, and an attempt that timed out on the relay's side while the subscriber had
 * already accepted it is rightly delivered again (at least once, same webhook-id), which the
 * no-duplicates assertion below would count against a run that had no crash.
 */
function worker(): EventRelay {
  return new EventRelay(
    db.knex,
    { retrySchedule: SCHEDULE, timeoutMs: 30_000, batchSize: 40, nats: { url: nats.url, duplicateWindowMs: 60_000, publishTimeoutMs: 1_000 } },
    recordingLog,
  );
}

/** `count` events over `pos` POs from `writers` concurrent writers, each event in its own transaction. */
async function load(count: number, pos: number, prefix: string, onProgress: (written: number) => Promise<void> | void): Promise<void> {
  let written = 0;
  const writers = 4;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let index = writer; index < count; index += writers) {
        await recordEvents(db.knex, [{ poNumber: `${prefix}-${index % pos}`, type: index % 3 === 0 ? 'goods.received' : 'invoice.matched' }]);
        written += 1;
        await onProgress(written);
      }
    }),
  );
}

describe('delivery under faults', () => {
  test('a subscriber answering 500 for a while and a NATS restart mid-load: every event reaches every sink exactly once, in order per PO', async () => {
    const flaky = await RecordingSubscriber.start();
    const steady = await RecordingSubscriber.start();
    const subscriptions = new KnexSubscriptions(db.knex);
    let failing = true;
    flaky.answer = () => (failing ? 500 : 200);
    await subscriptions.create({ url: flaky.url, eventTypes: ['*'], enabled: true });
    await subscriptions.create({ url: steady.url, eventTypes: ['*'], enabled: true });
    const workers = [worker(), worker()];
    await Promise.all(workers.map((each) => each.nats!.ready()));
    const since = new Date();
    workers.forEach((each) => each.start(20));
    try {
      let restarted: Promise<void> | undefined;
      await load(300, 15, 'PO-FAULT', (written) => {
        if (written === 120) restarted = nats.restart(2_500);
        if (written === 200) failing = false;
      });
      await restarted;
      await waitUntil(() => relayIsIdle(db.knex), 'every sink to catch up', 180_000);

      assert.equal((await expectedEvents(db.knex, { since })).length, 300);
      const check = await verifyEventDelivery({ knex: db.knex, since, subscribers: { 'flaky subscriber': flaky, 'steady subscriber': steady }, nats: { url: nats.url, stream: 'P2P_EVENTS' } });
      assert.ok(check.ok, JSON.stringify(check, null, 1));
      assert.equal(check.sinks.length, 3);
      for (const sink of check.sinks) assert.deepEqual(sink.duplicates, [], `${sink.name} got an event twice`);
      assert.ok(flaky.requests.some((request) => request.status === 500), 'the subscriber did fail for a while');
      const natsTrouble = warnings.filter((warning) => /NATS/.test(warning.message) || warning.meta?.consumer === 'nats');
      assert.ok(natsTrouble.length > 0, 'publishing to NATS did fail during the restart');
      assert.equal((await db.knex('dead_letters').count<{ count: string }[]>({ count: '*' }))[0]!.count, '0');
    } finally {
      await Promise.all(workers.map((each) => each.stop()));
      await db.knex('event_subscriptions').delete();
      await Promise.all([flaky.close(), steady.close()]);
    }
  });

  test('a failing subscriber costs a healthy one nothing: one attempt per event, in order, while the other fails and then hangs', async () => {
    const healthy = await RecordingSubscriber.start();
    const broken = await RecordingSubscriber.start();
    broken.answer = () => 500;
    const subscriptions = new KnexSubscriptions(db.knex);
    const good = await subscriptions.create({ url: healthy.url, eventTypes: ['*'], enabled: true });
    const bad = await subscriptions.create({ url: broken.url, eventTypes: ['*'], enabled: true });
    const relay = new EventRelay(db.knex, { retrySchedule: SCHEDULE, timeoutMs: 60_000 }, quietLogger);
    const since = new Date();
    relay.start(20);
    try {
      await load(60, 6, 'PO-ISO-A', () => undefined);
      await waitUntil(() => healthy.accepted.length === 60, 'the healthy subscriber to get the first 60 events');
      // Now the broken one stops answering at all; its requests stay open.
      broken.answer = () => 'hang';
      await load(30, 6, 'PO-ISO-B', () => undefined);
      await waitUntil(() => healthy.accepted.length === 90, 'the healthy subscriber to get all 90 events');
      const brokenHeld = await db.knex('event_deliveries').where({ subscription_id: bad.id }).count<{ count: string }[]>({ count: '*' });

      const check = checkDeliveries(await expectedEvents(db.knex, { since }), [{ name: 'healthy', receivedIds: healthy.accepted.map((delivery) => delivery.id) }]);
      assert.ok(check.ok, JSON.stringify(check));
      assert.equal(healthy.requests.length, 90, 'one attempt per event: no retry, no duplicate');
      assert.equal((await db.knex('event_deliveries').where({ subscription_id: good.id })).length, 0);
      assert.ok(Number(brokenHeld[0]!.count) > 0, 'the broken subscriber was failing all along');
      assert.equal(broken.accepted.length, 0);
    } finally {
      broken.release();
      await relay.stop();
      await db.knex('event_subscriptions').delete();
      await Promise.all([healthy.close(), broken.close()]);
    }
  });
});
