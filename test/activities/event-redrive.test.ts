/**
 * Dead letters and redrive, and subscriptions seeded from EVENT_SUBSCRIBER_URLS, on real
 * PostgreSQL and real HTTP endpoints.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { KnexDeadLetters } from '../../activities/events/dead-letters';
import { EventRelay } from '../../activities/events/relay';
import { KnexSubscriptions, seedSubscriptions, seededSubscriptionId } from '../../activities/events/subscriptions';
import { InvalidCursorError } from '../../activities/errors';
import { runMigrations } from '../../activities/erp/database';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { RecordingSubscriber } from '../helpers/event-sinks';
import { drain, endpointsPerTest, recordEvents } from './event-fixtures';
import { quietLogger } from './fixtures';

const FAST_SCHEDULE = [0, 20];

let db: TestDatabase;
let subscriptions: KnexSubscriptions;
let deadLetters: KnexDeadLetters;
const { endpoint, cleanUp } = endpointsPerTest(() => db.knex);

before(async () => {
  db = await createTestDatabase();
  subscriptions = new KnexSubscriptions(db.knex);
  deadLetters = new KnexDeadLetters(db.knex);
});

after(async () => {
  await db?.drop();
});

afterEach(cleanUp);

const relay = () => new EventRelay(db.knex, { retrySchedule: FAST_SCHEDULE, timeoutMs: 2_000, breakerThreshold: 1_000 }, quietLogger);
const received = (subscriber: RecordingSubscriber, ids: readonly string[]) => subscriber.accepted.map((delivery) => delivery.id).filter((id) => ids.includes(id));

describe('dead letters and redrive', () => {
  test('dead letters are listed newest first, filtered by subscription, type, PO and time, a page at a time', async () => {
    const down = await endpoint();
    down.answer = () => 500;
    const wms = await subscriptions.create({ url: down.url, eventTypes: ['*'], enabled: true });
    const erp = await subscriptions.create({ url: down.url, eventTypes: ['invoice.*'], enabled: true });
    const before = new Date();
    await recordEvents(db.knex, [
      { poNumber: 'PO-DL-1', type: 'goods.received' },
      { poNumber: 'PO-DL-1', type: 'invoice.matched' },
      { poNumber: 'PO-DL-2', type: 'invoice.exception' },
    ]);
    await drain(relay(), db.knex);

    assert.equal((await deadLetters.list({ limit: 50 })).items.length, 5);
    assert.equal((await deadLetters.list({ subscriptionId: wms.id, limit: 50 })).items.length, 3);
    assert.deepEqual(
      (await deadLetters.list({ subscriptionId: erp.id, limit: 50 })).items.map((letter) => letter.eventType).sort(),
      ['invoice.exception', 'invoice.matched'],
    );
    assert.equal((await deadLetters.list({ type: 'goods.received', limit: 50 })).items.length, 1);
    assert.equal((await deadLetters.list({ poNumber: 'PO-DL-2', limit: 50 })).items.length, 2);
    assert.equal((await deadLetters.list({ since: before.toISOString(), limit: 50 })).items.length, 5);
    assert.equal((await deadLetters.list({ until: before.toISOString(), limit: 50 })).items.length, 0);

    const first = await deadLetters.list({ limit: 2 });
    const second = await deadLetters.list({ limit: 2, cursor: first.nextCursor! });
    const third = await deadLetters.list({ limit: 2, cursor: second.nextCursor! });
    assert.equal(third.nextCursor, null);
    const all = [...first.items, ...second.items, ...third.items];
    assert.equal(new Set(all.map((letter) => letter.id)).size, 5);
    assert.ok(all.every((letter, index) => index === 0 || letter.failedAt <= all[index - 1]!.failedAt), 'newest first');
    await assert.rejects(deadLetters.list({ limit: 2, cursor: 'not-a-cursor' }), InvalidCursorError);
  });

  test('a redriven dead letter is delivered again with the same webhook-id and leaves the default listing', async () => {
    const wms = await endpoint();
    const subscription = await subscriptions.create({ url: wms.url, eventTypes: ['*'], enabled: true });
    const [eventId] = await recordEvents(db.knex, [{ poNumber: 'PO-DL-3', type: 'goods.received' }]);
    wms.answer = () => 503;
    await drain(relay(), db.knex);
    const [letter] = (await deadLetters.list({ subscriptionId: subscription.id, limit: 10 })).items;
    assert.equal(letter!.messageId, eventId);
    assert.equal(letter!.lastStatus, 503);

    wms.answer = () => 200;
    const redriven = await deadLetters.redrive(letter!.id);
    assert.ok(redriven!.redrivenAt);
    await drain(relay(), db.knex);
    assert.deepEqual(received(wms, [eventId!]), [eventId]);
    assert.equal((await deadLetters.list({ subscriptionId: subscription.id, limit: 10 })).items.length, 0);
    assert.equal((await deadLetters.list({ subscriptionId: subscription.id, includeRedriven: true, limit: 10 })).items.length, 1);
    assert.equal(await deadLetters.redrive('no-such-dead-letter'), undefined);
  });

  test('redrive since a time delivers every wanted event recorded since then again, same ids, in order', async () => {
    const wms = await endpoint();
    const subscription = await subscriptions.create({ url: wms.url, eventTypes: ['goods.*', 'invoice.matched'], enabled: true });
    const [old] = await recordEvents(db.knex, [{ poNumber: 'PO-DL-4', type: 'goods.received' }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    const recent = await recordEvents(db.knex, [
      { poNumber: 'PO-DL-4', type: 'invoice.matched' },
      { poNumber: 'PO-DL-4', type: 'payment.sent' },
      { poNumber: 'PO-DL-5', type: 'goods.received' },
    ]);
    await drain(relay(), db.knex);
    // Two POs go side by side, so only the set is fixed across them.
    const sorted = (ids: (string | undefined)[]) => [...ids].sort();
    assert.deepEqual(sorted(received(wms, [old!, ...recent])), sorted([old, recent[0], recent[2]]));

    const accepted = await subscriptions.redriveSince(subscription.id, since);
    assert.deepEqual(accepted, { subscriptionId: subscription.id, since: since.toISOString(), events: 2, deadLetters: 0 });
    const firstRound = wms.accepted.length;
    await drain(relay(), db.knex);
    assert.deepEqual(sorted(wms.accepted.slice(firstRound).map((delivery) => delivery.id)), sorted([recent[0], recent[2]]));
    assert.equal(await subscriptions.redriveSince('sub_unknown', since), undefined);
  });
});

describe('subscriptions seeded from EVENT_SUBSCRIBER_URLS', () => {
  test('on the first start after the upgrade a seeded subscription begins where the old relay stopped; later ones at the present', async () => {
    const wms = await endpoint();
    // What the old relay left: one event delivered (published_at set), two not yet.
    const [delivered, ...undelivered] = await recordEvents(db.knex, [
      { poNumber: 'PO-SEED-1', type: 'po.issued' },
      { poNumber: 'PO-SEED-1', type: 'po.acknowledged' },
      { poNumber: 'PO-SEED-1', type: 'asn.received' },
    ]);
    await db.knex('outbox').where({ id: delivered }).update({ published_at: db.knex.fn.now() });
    const { rows } = await db.knex.raw<{ rows: { tx: string }[] }>('select tx_id::text as tx from outbox where id = ?', [undelivered[0]]);
    const { rows: seqs } = await db.knex.raw<{ rows: { seq: string }[] }>('select (sequence - 1)::text as seq from outbox where id = ?', [undelivered[0]]);
    await db.knex('event_cursors').insert({ consumer: 'legacy-relay', position_tx: rows[0]!.tx, position_seq: seqs[0]!.seq }).onConflict('consumer').merge();

    await seedSubscriptions(db.knex, [wms.url], 'a-signing-secret-for-seeds', quietLogger);
    await seedSubscriptions(db.knex, [wms.url], 'a-signing-secret-for-seeds', quietLogger);
    const seeded = await subscriptions.get(seededSubscriptionId(wms.url));
    assert.equal(seeded?.source, 'config');
    assert.deepEqual(seeded?.eventTypes, ['*']);
    assert.equal((await subscriptions.list()).length, 1, 'seeding twice creates one subscription');
    assert.equal(await db.knex('event_cursors').where({ consumer: 'legacy-relay' }).first(), undefined);

    await drain(relay(), db.knex);
    assert.deepEqual(received(wms, [delivered!, ...undelivered]), undelivered);

    // A URL added to the configuration later starts at the present.
    const planning = await endpoint();
    await seedSubscriptions(db.knex, [wms.url, planning.url], 'a-signing-secret-for-seeds', quietLogger);
    const [fresh] = await recordEvents(db.knex, [{ poNumber: 'PO-SEED-1', type: 'goods.received' }]);
    await drain(relay(), db.knex);
    assert.deepEqual(received(planning, [delivered!, ...undelivered, fresh!]), [fresh]);
  });

  test('upgrading a database the old relay left half-delivered: the seeded subscription gets exactly what it had not delivered', async () => {
    // The schema as it was before event delivery became data.
    const migrations = path.join(__dirname, '../../activities/erp/migrations');
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-migrations-'));
    for (const file of fs.readdirSync(migrations).filter((name) => name < '20261203010000')) fs.copyFileSync(path.join(migrations, file), path.join(before, file));
    const old = await createTestDatabase({ migrationsDirectory: before });
    const wms = await endpoint();
    try {
      const [relayed, ...pending] = await recordEvents(old.knex, [
        { poNumber: 'PO-UPGRADE', type: 'po.issued' },
        { poNumber: 'PO-UPGRADE', type: 'po.acknowledged' },
        { poNumber: 'PO-UPGRADE', type: 'asn.received' },
      ]);
      await old.knex('outbox').where({ id: relayed }).update({ published_at: old.knex.fn.now() });

      await runMigrations(old.knex);
      await seedSubscriptions(old.knex, [wms.url], undefined, quietLogger);
      await drain(new EventRelay(old.knex, { retrySchedule: FAST_SCHEDULE, timeoutMs: 2_000 }, quietLogger), old.knex);
      assert.deepEqual(received(wms, [relayed!, ...pending]), pending);
    } finally {
      await old.drop();
      fs.rmSync(before, { recursive: true, force: true });
    }
  });

  test('a changed EVENT_SIGNING_SECRET is rotated in: the old one keeps signing for a while', async () => {
    const wms = await endpoint();
    await seedSubscriptions(db.knex, [wms.url], 'first-signing-secret-0001', quietLogger);
    await seedSubscriptions(db.knex, [wms.url], 'second-signing-secret-0002', quietLogger);
    const row = await db.knex('event_subscriptions').where({ id: seededSubscriptionId(wms.url) }).first();
    assert.equal(row.secret, 'second-signing-secret-0002');
    assert.equal(row.previous_secret, 'first-signing-secret-0001');
    assert.ok(row.previous_secret_expires_at > new Date());
  });
});
