import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { KnexErp } from '../../activities/erp/knex-erp';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import type { SupplierNotification } from '../../activities/ports';
import { WebhookSupplierPortal, signWebhook, verifyWebhook } from '../../activities/supplier-portal/webhook';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { createSupplier, isRefusal, quietLogger } from './fixtures';

const SECRET = 'acme-portal-signing-secret';

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let db: TestDatabase;
let erp: KnexErp;
let readModel: KnexReadModel;
let portal: WebhookSupplierPortal;
let server: http.Server;
let baseUrl: string;
const deliveries: Delivery[] = [];
/** What the supplier's portal answers next. */
let portalStatus = 200;

before(async () => {
  db = await createTestDatabase();
  erp = new KnexErp(db.knex, quietLogger);
  readModel = new KnexReadModel(db.knex);
  portal = new WebhookSupplierPortal(db.knex, erp, { timeoutMs: 2_000 }, quietLogger);
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body });
      response.writeHead(portalStatus).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await createSupplier(readModel, 'ACME', { webhookUrl: `${baseUrl}/acme/hooks`, webhookSecret: SECRET });
  await createSupplier(readModel, 'PAPERONLY');
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db?.drop();
});

function notification(supplierId: string, overrides: Partial<SupplierNotification> = {}): SupplierNotification {
  return {
    id: randomUUID(),
    supplierId,
    poNumber: 'PO-4001',
    type: 'invoice.exception',
    at: '2026-11-05T10:00:00.000Z',
    data: { invoiceNumber: 'INV-7781', reasons: [{ code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.30', tolerance: '0.20' }] },
    ...overrides,
  };
}

describe('supplier portal webhooks', () => {
  test('the supplier portal receives the notification signed with its secret', async () => {
    portalStatus = 204;
    const sent = notification('ACME');
    assert.deepEqual(await portal.notify(sent), { delivered: true, status: 204 });

    const delivery = deliveries.at(-1)!;
    assert.equal(delivery.headers['content-type'], 'application/json');
    assert.equal(delivery.headers['webhook-id'], sent.id);
    const timestamp = String(delivery.headers['webhook-timestamp']);
    assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 60);
    const signature = String(delivery.headers['webhook-signature']);
    assert.ok(verifyWebhook(SECRET, sent.id, timestamp, delivery.body, signature));
    assert.equal(signature, signWebhook(SECRET, sent.id, timestamp, delivery.body));
    // Anyone without the secret, or tampering with the body, fails verification.
    assert.equal(verifyWebhook('another-secret-entirely', sent.id, timestamp, delivery.body, signature), false);
    assert.equal(verifyWebhook(SECRET, sent.id, timestamp, delivery.body.replace('10.30', '10.00'), signature), false);
    // A captured delivery replayed an hour later is refused.
    const anHourAgo = Number(timestamp) - 3_600;
    assert.equal(verifyWebhook(SECRET, sent.id, anHourAgo, delivery.body, signWebhook(SECRET, sent.id, anHourAgo, delivery.body)), false);

    const body = JSON.parse(delivery.body);
    assert.equal(body.type, 'invoice.exception');
    assert.equal(body.data.poNumber, 'PO-4001');
    assert.equal(body.data.invoiceNumber, 'INV-7781');
    // The supplier sees why its invoice is held, expected and actual, but not the buyer's tolerance.
    assert.deepEqual(body.data.reasons, [{ code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.30' }]);

    const recorded = await db.knex('supplier_notifications').where({ id: sent.id }).first();
    assert.equal(recorded.delivered, true);
    assert.equal(recorded.status_code, 204);
    assert.equal(recorded.attempts, 1);
  });

  test('a retry of an already delivered notification does not send it again', async () => {
    portalStatus = 200;
    const sent = notification('ACME');
    await portal.notify(sent);
    const count = deliveries.length;
    assert.deepEqual(await portal.notify(sent), { delivered: true, status: 200 });
    assert.equal(deliveries.length, count);
  });

  test('a supplier without a webhook gets the notification recorded only', async () => {
    const count = deliveries.length;
    const sent = notification('PAPERONLY');
    assert.deepEqual(await portal.notify(sent), { delivered: false });
    assert.equal(deliveries.length, count);
    const recorded = await db.knex('supplier_notifications').where({ id: sent.id }).first();
    assert.equal(recorded.delivered, false);
    assert.equal(recorded.attempts, 0);
    assert.equal(recorded.webhook_url, null);
    assert.equal(recorded.payload.data.invoiceNumber, 'INV-7781');
  });

  test('a portal answering 500 gets the notification again later: the error is retryable', async () => {
    portalStatus = 500;
    const sent = notification('ACME');
    await assert.rejects(portal.notify(sent), (error: unknown) => {
      assert.ok(!(error instanceof ApplicationFailure));
      assert.match((error as Error).message, /answered 500/);
      return true;
    });
    portalStatus = 200;
    assert.deepEqual(await portal.notify(sent), { delivered: true, status: 200 });
    const recorded = await db.knex('supplier_notifications').where({ id: sent.id }).first();
    assert.equal(recorded.attempts, 2);
    assert.equal(recorded.delivered, true);
    assert.equal(recorded.last_error, null);
  });

  test('a portal refusing the notification with 400 is not retried; 429 is', async () => {
    portalStatus = 400;
    await assert.rejects(portal.notify(notification('ACME')), isRefusal('WEBHOOK_REJECTED'));
    portalStatus = 429;
    await assert.rejects(portal.notify(notification('ACME')), (error: unknown) => !(error instanceof ApplicationFailure));
  });

  test('an unreachable portal is retryable', async () => {
    await readModel.upsertSupplier('OFFLINE', { name: 'Offline Ltd', currency: 'USD', webhookUrl: 'http://127.0.0.1:1/hooks', webhookSecret: SECRET });
    await assert.rejects(portal.notify(notification('OFFLINE')), (error: unknown) => {
      assert.ok(!(error instanceof ApplicationFailure));
      assert.match((error as Error).message, /failed/);
      return true;
    });
  });

  test('Standard Webhooks "whsec_" secrets sign with the decoded key', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const whsec = `whsec_${key.toString('base64')}`;
    const now = Math.floor(Date.now() / 1000);
    const signature = signWebhook(whsec, 'msg_1', now, '{"a":1}');
    assert.equal(signature, `v1,${createHmac('sha256', key).update(`msg_1.${now}.{"a":1}`).digest('base64')}`);
    assert.ok(verifyWebhook(whsec, 'msg_1', now, '{"a":1}', `v1,bogus ${signature}`));
    assert.notEqual(signature, signWebhook(key.toString('base64'), 'msg_1', now, '{"a":1}'));
  });

  test('any other secret signs with its UTF-8 bytes', () => {
    const secret = 'clé-du-portail-fournisseur-€';
    assert.equal(
      signWebhook(secret, 'msg_2', 1_700_000_000, '{"a":1}'),
      `v1,${createHmac('sha256', Buffer.from(secret, 'utf8')).update('msg_2.1700000000.{"a":1}').digest('base64')}`,
    );
  });
});

