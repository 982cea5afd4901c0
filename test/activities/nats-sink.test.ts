/**
 * The NATS JetStream sink against the machine's NATS server (127.0.0.1:4222, started by .ci/run):
 * the stream is created when absent, every outbox event lands on p2p.events.<type> with
 * Nats-Msg-Id = its id, a publish repeated is dropped by the stream, and a NATS that cannot be
 * reached delays nothing else; a PO whose event is refused publishes none of its later ones first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsSink } from '../../activities/events/nats-sink';
import { readOutbox } from '../../activities/events/outbox-reader';
import { EventRelay } from '../../activities/events/relay';
import { DEFAULT_RETRY_SCHEDULE_MS, duplicateWindowMs, longestRetryGapMs } from '../../activities/events/retry-schedule';
import { KnexSubscriptions } from '../../activities/events/subscriptions';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { RecordingSubscriber, streamMessageIds, waitUntil } from '../helpers/event-sinks';
import { deleteStream, privateStream, testNatsUrl } from '../helpers/nats';
import { drain, recordEvents } from './event-fixtures';
import { quietLogger } from './fixtures';

const natsUrl = testNatsUrl();
const { stream, subjectPrefix } = privateStream();
let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});

after(async () => {
  await deleteStream(natsUrl, stream);
  await db?.drop();
});

const relayTo = (url: string) =>
  new EventRelay(db.knex, { nats: { url, stream, subjectPrefix, duplicateWindowMs: duplicateWindowMs(DEFAULT_RETRY_SCHEDULE_MS) }, timeoutMs: 2_000 }, quietLogger);

describe('NATS JetStream sink', () => {
  test('creates the stream with a duplicate window longer than the longest retry gap, and publishes each event on its subject with Nats-Msg-Id', async () => {
    const relay = relayTo(natsUrl);
    try {
      await relay.nats!.ready();
      const events = await recordEvents(db.knex, [
        { poNumber: 'PO-NATS-1', type: 'goods.received' },
        { poNumber: 'PO-NATS-1', type: 'inventory.adjusted' },
        { poNumber: 'PO-NATS-2', type: 'invoice.matched' },
      ]);
      await drain(relay, db.knex);

      const connection = await connect({ servers: natsUrl });
      try {
        const info = await (await jetstreamManager(connection)).streams.info(stream);
        assert.deepEqual(info.config.subjects, [`${subjectPrefix}.>`]);
        assert.ok(info.config.duplicate_window / 1e6 > longestRetryGapMs(DEFAULT_RETRY_SCHEDULE_MS), `duplicate window ${info.config.duplicate_window} ns`);
        const consumer = await jetstream(connection).consumers.get(stream);
        const received: { subject: string; id: string | undefined; body: { id: string; type: string; poNumber: string } }[] = [];
        const messages = await consumer.fetch({ max_messages: 3, expires: 5_000 });
        for await (const message of messages) {
          received.push({ subject: message.subject, id: message.headers?.get('Nats-Msg-Id'), body: message.json() });
          if (received.length === 3) break;
        }
        // In order per PO; PO-NATS-2's event may come between PO-NATS-1's two (POs go side by side).
        assert.deepEqual(
          received.filter((message) => message.body.poNumber === 'PO-NATS-1').map((message) => message.id),
          [events[0], events[1]],
        );
        assert.deepEqual(
          received
            .map((message) => [message.subject, message.id, message.body.id, message.body.type])
            .sort((a, b) => events.indexOf(a[1]!) - events.indexOf(b[1]!)),
          [
            [`${subjectPrefix}.goods.received`, events[0], events[0], 'goods.received'],
            [`${subjectPrefix}.inventory.adjusted`, events[1], events[1], 'inventory.adjusted'],
            [`${subjectPrefix}.invoice.matched`, events[2], events[2], 'invoice.matched'],
          ],
        );
      } finally {
        await connection.close();
      }
    } finally {
      await relay.stop();
    }
  });

  test('events published again (a pass whose acknowledgements were lost) are in the stream once', async () => {
    const relay = relayTo(natsUrl);
    try {
      const before = (await streamMessageIds(natsUrl, stream)).length;
      const cursor = await db.knex('event_cursors').where({ consumer: relay.nats!.consumer }).first(db.knex.raw('position_tx::text as tx'), db.knex.raw('position_seq::text as seq'));
      const events = await recordEvents(db.knex, [
        { poNumber: 'PO-NATS-3', type: 'po.issued' },
        { poNumber: 'PO-NATS-3', type: 'po.acknowledged' },
      ]);
      await drain(relay, db.knex);
      // As if the acknowledgements had never come: the cursor goes back and the pass runs again.
      await db.knex('event_cursors').where({ consumer: relay.nats!.consumer }).update({ position_tx: cursor.tx, position_seq: cursor.seq });
      await drain(relay, db.knex);
      const ids = await streamMessageIds(natsUrl, stream);
      assert.equal(ids.length, before + 2);
      assert.deepEqual(ids.slice(-2), events);
    } finally {
      await relay.stop();
    }
  });

  test('a PO whose event JetStream refuses publishes none of its later events until that one is in: the stream keeps each PO in outbox order', async () => {
    // A stream of its own that refuses large messages: a deterministic stand-in for a publish that
    // fails (JetStream not yet up after a restart) while the next one of the same PO would succeed.
    const own = privateStream();
    const connection = await connect({ servers: natsUrl });
    const manager = await jetstreamManager(connection);
    await manager.streams.add({ name: own.stream, subjects: [`${own.subjectPrefix}.>`], max_msg_size: 2_000, duplicate_window: nanos(60_000) });
    const sink = new NatsSink(db.knex, { url: natsUrl, ...own, duplicateWindowMs: 60_000, publishTimeoutMs: 5_000 }, quietLogger);
    try {
      await sink.ready();
      const [big, after, other] = await recordEvents(db.knex, [
        { poNumber: 'PO-NATS-ORDER-A', type: 'goods.received', payload: { version: 1, poNumber: 'PO-NATS-ORDER-A', note: 'x'.repeat(4_000) } },
        { poNumber: 'PO-NATS-ORDER-A', type: 'invoice.matched' },
        { poNumber: 'PO-NATS-ORDER-B', type: 'invoice.matched' },
      ]);
      // Another session's open transaction (the server is shared) may hold the outbox back a moment.
      const cursor = await db.knex('event_cursors').where({ consumer: sink.consumer }).first(db.knex.raw('position_tx::text as tx'), db.knex.raw('position_seq::text as seq'));
      await waitUntil(async () => (await readOutbox(db.knex, cursor, 10)).length === 3, 'the events to be readable');
      const first = await sink.pass('owner-order', 60_000);
      assert.equal(first?.delivered, 0, 'the cursor stays before the refused event');
      assert.deepEqual(await streamMessageIds(natsUrl, own.stream), [other], 'nothing of PO A after its refused event, PO B goes on');

      await manager.streams.update(own.stream, { max_msg_size: -1 });
      await db.knex('event_cursors').where({ consumer: sink.consumer }).update({ paused_until: null });
      const second = await sink.pass('owner-order', 60_000);
      assert.equal(second?.delivered, 3);
      assert.deepEqual(await streamMessageIds(natsUrl, own.stream), [other, big, after], "PO A's events in outbox order, PO B's once");
    } finally {
      await sink.close();
      await manager.streams.delete(own.stream).catch(() => false);
      await connection.close();
    }
  });

  test('while NATS cannot be reached, webhook subscribers still get every event', async () => {
    const wms = await RecordingSubscriber.start();
    const subscription = await new KnexSubscriptions(db.knex).create({ url: wms.url, eventTypes: ['*'], enabled: true });
    const relay = relayTo('nats://127.0.0.1:1');
    relay.start(20);
    try {
      const events = await recordEvents(db.knex, [{ poNumber: 'PO-NATS-4', type: 'po.issued' }]);
      const deadline = Date.now() + 30_000;
      while (!wms.accepted.some((delivery) => delivery.id === events[0]) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.ok(wms.accepted.some((delivery) => delivery.id === events[0]));
    } finally {
      await relay.stop();
      await db.knex('event_subscriptions').where({ id: subscription.id }).delete();
      await wms.close();
    }
  });
});
