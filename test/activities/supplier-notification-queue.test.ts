/**
 * Supplier notifications written in the business event's transaction and delivered by the relay:
 * the same body and headers as the notifySupplier activity, per-supplier order, the retry
 * schedule, refusals and dead letters, and the `supplier_notifications` row kept up to date.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { KnexErp } from '../../activities/erp/knex-erp';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { KnexDeadLetters } from '../../activities/events/dead-letters';
import { EventRelay } from '../../activities/events/relay';
import { enqueueSupplierNotification } from '../../activities/events/supplier-notifications';
import type { SupplierNotification } from '../../activities/ports';
import { WebhookSupplierPortal, verifyWebhook } from '../../activities/supplier-portal/webhook';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { RecordingSubscriber } from '../helpers/event-sinks';
import { drain } from './event-fixtures';
import { createSupplier, quietLogger } from './fixtures';

const SECRET = 'acme-portal-signing-secret';
const FAST_SCHEDULE = [0, 30, 30];

let db: TestDatabase;
let acmePortal: RecordingSubscriber;
let globexPortal: RecordingSubscriber;

before(async () => {
  db = await createTestDatabase();
  acmePortal = await RecordingSubscriber.start('/acme/hooks');
  globexPortal = await RecordingSubscriber.start('/globex/hooks');
  const readModel = new KnexReadModel(db.knex);
  await createSupplier(readModel, 'ACME', { webhookUrl: acmePortal.url, webhookSecret: SECRET });
  await createSupplier(readModel, 'GLOBEX', { webhookUrl: globexPortal.url, webhookSecret: 'globex-portal-signing-secret' });
  await createSupplier(readModel, 'PAPERONLY');
});

after(async () => {
  await Promise.all([acmePortal.close(), globexPortal.close()]);
  await db?.drop();
});

afterEach(() => {
  acmePortal.answer = () => 200;
  globexPortal.answer = () => 200;
});

function notification(supplierId: string, overrides: Partial<SupplierNotification> = {}): SupplierNotification {
  return {
    id: randomUUID(),
    supplierId,
    poNumber: 'PO-SN-1',
    type: 'invoice.exception',
    at: '2026-11-05T10:00:00.000Z',
    data: { invoiceNumber: 'INV-7781', reasons: [{ code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.30', tolerance: '0.20' }] },
    ...overrides,
  };
}

const relay = () => new EventRelay(db.knex, { retrySchedule: FAST_SCHEDULE, timeoutMs: 2_000 }, quietLogger);

async function enqueue(...notifications: SupplierNotification[]): Promise<void> {
  await db.knex.transaction(async (trx) => {
    for (const each of notifications) await enqueueSupplierNotification(trx, each);
  });
}

const row = (id: string) => db.knex('supplier_notifications').where({ id }).first();

describe('supplier notifications delivered by the relay', () => {
  test('the portal receives exactly what the notifySupplier activity sends: same body, same headers, signed', async () => {
    const queued = notification('ACME');
    const direct = { ...notification('ACME'), id: randomUUID() };
    await enqueue(queued);
    await drain(relay(), db.knex);
    await new WebhookSupplierPortal(db.knex, new KnexErp(db.knex), { timeoutMs: 2_000 }, quietLogger).notify(direct);

    const [viaQueue, viaActivity] = [queued.id, direct.id].map((id) => acmePortal.accepted.find((delivery) => delivery.id === id)!);
    assert.equal(viaQueue!.body, viaActivity!.body.replace(direct.id, queued.id));
    assert.ok(verifyWebhook(SECRET, viaQueue!.id, viaQueue!.timestamp, viaQueue!.body, viaQueue!.signature));
    assert.deepEqual(JSON.parse(viaQueue!.body), {
      type: 'invoice.exception',
      timestamp: '2026-11-05T10:00:00.000Z',
      // As the supplier sees it: the match reason keeps expected and actual, never the buyer's tolerance.
      data: { invoiceNumber: 'INV-7781', reasons: [{ code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.30' }], poNumber: 'PO-SN-1', supplierId: 'ACME' },
    });
    const stored = await row(queued.id);
    assert.equal(stored.state, 'delivered');
    assert.equal(stored.delivered, true);
    assert.equal(stored.status_code, 200);
    assert.equal(stored.attempts, 1);
    assert.equal(stored.webhook_url, acmePortal.url);
    assert.ok(stored.delivered_at instanceof Date);
    assert.equal((await row(direct.id)).state, 'delivered', 'the activity path marks its rows too');
  });

  test('a notification written in a transaction that rolls back is never sent', async () => {
    const lost = notification('ACME');
    await assert.rejects(
      db.knex.transaction(async (trx) => {
        await enqueueSupplierNotification(trx, lost);
        throw new Error('the business event failed');
      }),
      /business event failed/,
    );
    await drain(relay(), db.knex);
    assert.equal(await row(lost.id), undefined);
    assert.ok(!acmePortal.requests.some((delivery) => delivery.id === lost.id));
  });

  test('a supplier without a webhook: recorded only', async () => {
    const paper = notification('PAPERONLY');
    await enqueue(paper);
    await drain(relay(), db.knex);
    const stored = await row(paper.id);
    assert.equal(stored.state, 'recorded');
    assert.equal(stored.delivered, false);
    assert.equal(stored.attempts, 0);
    assert.equal(stored.webhook_url, null);
  });

  test("one supplier's notifications go in order, a failing one holding back only that supplier's later ones", async () => {
    const [first, second] = [notification('ACME', { type: 'po.issued' }), notification('ACME', { type: 'po.changed' })];
    const globex = notification('GLOBEX', { type: 'po.issued' });
    let failures = 2;
    acmePortal.answer = (delivery) => (delivery.id === first.id && failures-- > 0 ? 503 : 200);
    await enqueue(first, second, globex);
    const once = relay();
    await once.relayPending();
    assert.ok(globexPortal.accepted.some((delivery) => delivery.id === globex.id), 'another supplier is not held back');
    assert.ok(!acmePortal.requests.some((delivery) => delivery.id === second.id), 'the later notification waits');
    const waiting = await row(first.id);
    assert.equal(waiting.state, 'pending');
    assert.equal(waiting.status_code, 503);
    assert.match(waiting.last_error, /answered 503/);

    await drain(once, db.knex);
    const order = acmePortal.accepted.map((delivery) => delivery.id).filter((id) => id === first.id || id === second.id);
    assert.deepEqual(order, [first.id, second.id]);
    assert.equal((await row(first.id)).attempts, 3);
  });

  test('a refusal (422) is a dead letter at once; 408 is retried', async () => {
    const refused = notification('ACME');
    const slowDown = notification('ACME');
    let timeouts = 1;
    acmePortal.answer = (delivery) => (delivery.id === refused.id ? 422 : delivery.id === slowDown.id && timeouts-- > 0 ? 408 : 200);
    await enqueue(refused, slowDown);
    await drain(relay(), db.knex);

    assert.equal(acmePortal.requests.filter((delivery) => delivery.id === refused.id).length, 1);
    assert.equal((await row(refused.id)).state, 'dead');
    const [dead] = await db.knex('dead_letters').where({ message_id: refused.id });
    assert.equal(dead.supplier_id, 'ACME');
    assert.equal(dead.last_status, 422);
    assert.equal(dead.attempts, 1);
    assert.equal((await row(slowDown.id)).state, 'delivered');
  });

  test('after the last attempt a dead letter; redriven, it is delivered under the same webhook-id', async () => {
    const doomed = notification('GLOBEX');
    globexPortal.answer = (delivery) => (delivery.id === doomed.id ? 500 : 200);
    await enqueue(doomed);
    await drain(relay(), db.knex);
    assert.equal(globexPortal.requests.filter((delivery) => delivery.id === doomed.id).length, FAST_SCHEDULE.length);
    const [dead] = await db.knex('dead_letters').where({ message_id: doomed.id });
    assert.equal(dead.attempts, FAST_SCHEDULE.length);

    globexPortal.answer = () => 200;
    const redriven = await new KnexDeadLetters(db.knex).redrive(dead.id);
    assert.ok(redriven?.redrivenAt);
    await drain(relay(), db.knex);
    assert.ok(globexPortal.accepted.some((delivery) => delivery.id === doomed.id));
    assert.equal((await row(doomed.id)).state, 'delivered');
  });
});
