import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { KnexErp } from '../../activities/erp/knex-erp';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { OutboxRelay } from '../../activities/erp/outbox-relay';
import { verifyWebhook } from '../../activities/supplier-portal/webhook';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { businessEvent, createSupplier, issuedPurchaseOrder, quietLogger } from './fixtures';

const SIGNING_SECRET = 'event-subscribers-signing-secret';

let db: TestDatabase;
let server: http.Server;
let subscriberUrl: string;
let received: { id: string; timestamp: string; signature: string; body: string }[] = [];
let subscriberStatus = 200;

before(async () => {
  db = await createTestDatabase();
  await createSupplier(new KnexReadModel(db.knex), 'ACME');
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      // A little latency, so that concurrent relays really overlap.
      setTimeout(() => {
        received.push({
          id: String(request.headers['webhook-id']),
          timestamp: String(request.headers['webhook-timestamp']),
          signature: String(request.headers['webhook-signature']),
          body,
        });
        response.writeHead(subscriberStatus).end();
      }, 2);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  subscriberUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db?.drop();
});

beforeEach(async () => {
  // Each scenario starts from an outbox with nothing left to relay.
  await db.knex('outbox').whereNull('published_at').update({ published_at: db.knex.fn.now() });
  received = [];
  subscriberStatus = 200;
});

async function pendingEvents(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await db.knex('outbox').insert(
    ids.map((id, index) => ({
      id,
      type: 'goods.received',
      po_number: `PO-5${String(index).padStart(3, '0')}`,
      occurred_at: new Date(Date.UTC(2026, 10, 2, 9, 0, index)).toISOString(),
      payload: JSON.stringify({ version: 1, sequence: index }),
    })),
  );
  return ids;
}

function relay(options: { subscribers?: string[]; batchSize?: number } = {}): OutboxRelay {
  return new OutboxRelay(
    db.knex,
    { subscriberUrls: options.subscribers ?? [subscriberUrl], signingSecret: SIGNING_SECRET, timeoutMs: 2_000, batchSize: options.batchSize ?? 5 },
    quietLogger,
  );
}

async function drain(outbox: OutboxRelay): Promise<number> {
  let total = 0;
  for (;;) {
    const published = await outbox.relayPending();
    if (published === 0) return total;
    total += published;
  }
}

describe('outbox relay', () => {
  test('an event recorded by the ERP reaches the subscriber signed, in order, and is marked published', async () => {
    const erp = new KnexErp(db.knex, quietLogger);
    const po = issuedPurchaseOrder({ poNumber: 'PO-5100', supplierId: 'ACME' });
    const event = businessEvent(po, { type: 'po.issued', payload: { version: 1, poNumber: 'PO-5100', status: 'issued' } });
    await erp.recordBusinessEvent(event);
    const later = await pendingEvents(3);

    assert.equal(await relay().relayPending(), 4);
    assert.deepEqual(
      received.map((delivery) => delivery.id),
      [event.eventId, ...later],
    );
    const first = received[0]!;
    assert.ok(verifyWebhook(SIGNING_SECRET, first.id, first.timestamp, first.body, first.signature));
    const body = JSON.parse(first.body);
    assert.equal(body.type, 'po.issued');
    assert.equal(body.poNumber, 'PO-5100');
    assert.deepEqual(body.data, { version: 1, poNumber: 'PO-5100', status: 'issued' });
    const row = await db.knex('outbox').where({ id: event.eventId }).first();
    assert.ok(row.published_at instanceof Date);
  });

  test('two relays working at the same time never publish one event twice', async () => {
    const ids = await pendingEvents(40);
    const [a, b] = [relay({ batchSize: 3 }), relay({ batchSize: 3 })];
    const [byA, byB] = await Promise.all([drain(a), drain(b)]);

    assert.equal(byA + byB, 40);
    assert.ok(byA > 0 && byB > 0, `both relays should have worked (A ${byA}, B ${byB})`);
    assert.equal(received.length, 40);
    assert.deepEqual(new Set(received.map((delivery) => delivery.id)), new Set(ids));
    const [{ count }] = await db.knex('outbox').whereNull('published_at').count<{ count: string }[]>({ count: '*' });
    assert.equal(Number(count), 0);
  });

  test('a failing subscriber stops the pass at that event, which is retried on the next pass', async () => {
    const ids = await pendingEvents(3);
    subscriberStatus = 503;
    assert.equal(await relay().relayPending(), 0);
    const failed = await db.knex('outbox').where({ id: ids[0] }).first();
    assert.equal(failed.published_at, null);
    assert.equal(failed.attempts, 1);
    assert.match(failed.last_error, /answered 503/);
    // Later events wait behind it instead of overtaking it.
    assert.deepEqual(
      received.map((delivery) => delivery.id),
      [ids[0]],
    );

    subscriberStatus = 200;
    assert.equal(await relay().relayPending(), 3);
    assert.deepEqual(
      received.slice(1).map((delivery) => delivery.id),
      ids,
    );
  });

  test('with no subscribers configured, events are marked relayed without being sent', async () => {
    const ids = await pendingEvents(4);
    assert.equal(await relay({ subscribers: [] }).relayPending(), 4);
    assert.equal(received.length, 0);
    const rows = await db.knex('outbox').whereIn('id', ids).whereNull('published_at');
    assert.equal(rows.length, 0);
  });

  test('the relay loop started by the worker publishes new events until stopped', async () => {
    const outbox = relay({ batchSize: 2 });
    outbox.start(20);
    const ids = await pendingEvents(5);
    const deadline = Date.now() + 5_000;
    while (received.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await outbox.stop();
    assert.deepEqual(
      received.map((delivery) => delivery.id),
      ids,
    );
    // Stopped means stopped: nothing more goes out.
    await pendingEvents(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(received.length, 5);
  });
});
