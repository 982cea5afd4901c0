/**
 * The NATS JetStream sink against the machine's NATS server (127.0.0.1:4222, started by .ci/run):
 * the stream is created when absent, every outbox event lands on p2p.events.<type> with
 * Nats-Msg-Id = its id, a publish repeated is dropped by the stream, and a NATS that cannot be
 * reached delays nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { EventRelay } from '../../activities/events/relay';
import { DEFAULT_RETRY_SCHEDULE_MS, duplicateWindowMs, longestRetryGapMs } from '../../activities/events/retry-schedule';
import { KnexSubscriptions } from '../../activities/events/subscriptions';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { RecordingSubscriber, streamMessageIds } from '../helpers/event-sinks';
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
        assert.deepEqual(
          received.map((message) => [message.subject, message.id, message.body.id, message.body.type]),
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
