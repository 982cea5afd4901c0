/**
 * The event delivery API over real HTTP: an operator manages subscriptions, reads and redrives dead
 * letters; other roles cannot; bad input is a 400 that changes nothing; the AsyncAPI document is
 * valid and names every event type; the OpenAPI document describes every new operation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { EventRelay } from '../../activities/events/relay';
import { verifyWebhook } from '../../activities/supplier-portal/webhook';
import { EventType } from '../../workflows/domain/schemas/event-catalog';
import { drain, recordEvents } from '../activities/event-fixtures';
import { RecordingSubscriber } from '../helpers/event-sinks';
import { openApiValidator, startApi, type ApiUnderTest } from './api-harness';

let api: ApiUnderTest;
let wms: RecordingSubscriber;

before(async () => {
  api = await startApi();
  wms = await RecordingSubscriber.start();
});

after(async () => {
  await wms.close();
  await api.close();
});

const relay = () => new EventRelay(api.database.knex, { retrySchedule: [0, 20], timeoutMs: 2_000, breakerThreshold: 1_000 });

describe('subscriptions API', () => {
  it('an operator subscribes a URL; the generated secret is shown once and signs the deliveries', async () => {
    const created = await api.request('POST', '/v1/subscriptions', { key: 'operator', body: { url: wms.url, eventTypes: ['goods.*'], description: 'WMS' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), `/v1/subscriptions/${created.body.id}`);
    assert.match(created.body.secret, /^whsec_/);
    assert.equal(created.body.hasSecret, true);
    assert.deepEqual(created.body.delivery, { behind: 0, retrying: 0, waiting: 0, deadLetters: 0, pausedUntil: null });

    const read = await api.request('GET', `/v1/subscriptions/${created.body.id}`, { key: 'operator' });
    assert.equal(read.status, 200);
    assert.equal(read.body.secret, undefined, 'the secret is write-only');
    assert.ok(!read.text.includes(created.body.secret));
    const listed = await api.request('GET', '/v1/subscriptions', { key: 'operator' });
    assert.ok(listed.body.items.some((item: { id: string }) => item.id === created.body.id));

    const [eventId] = await recordEvents(api.database.knex, [{ poNumber: 'PO-API-1', type: 'goods.received' }]);
    await drain(relay(), api.database.knex);
    const delivery = wms.accepted.find((received) => received.id === eventId)!;
    assert.ok(verifyWebhook(created.body.secret, delivery.id, delivery.timestamp, delivery.body, delivery.signature));
  });

  it('other roles may not manage subscriptions or dead letters, and no key is a 401', async () => {
    for (const key of ['procurement', 'finance', 'warehouse', 'acme'] as const) {
      assert.equal((await api.request('GET', '/v1/subscriptions', { key })).status, 403, key);
      assert.equal((await api.request('POST', '/v1/subscriptions', { key, body: { url: wms.url, eventTypes: ['*'] } })).status, 403, key);
      assert.equal((await api.request('GET', '/v1/dead-letters', { key })).status, 403, key);
    }
    assert.equal((await api.request('GET', '/v1/subscriptions', { key: 'no-such-key' })).status, 401);
  });

  it('bad input is a 400 naming the field, and creates nothing', async () => {
    const before = (await api.request('GET', '/v1/subscriptions', { key: 'operator' })).body.items.length;
    const cases: [unknown, string][] = [
      [{ url: wms.url, eventTypes: ['goods.recieved'] }, 'eventTypes.0'],
      [{ url: wms.url, eventTypes: ['warehouse.*'] }, 'eventTypes.0'],
      [{ url: 'ftp://files.example.com/drop', eventTypes: ['*'] }, 'url'],
      [{ url: wms.url, eventTypes: [] }, 'eventTypes'],
      [{ url: wms.url, eventTypes: ['*'], secret: 'short' }, 'secret'],
      [{ url: wms.url, eventTypes: ['*'], filter: 'x' }, ''],
    ];
    for (const [body, path] of cases) {
      const answer = await api.request('POST', '/v1/subscriptions', { key: 'operator', body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.ok(answer.body.errors.some((error: { path: string }) => error.path === path), `${JSON.stringify(body)}: ${answer.text}`);
    }
    assert.equal((await api.request('GET', '/v1/subscriptions', { key: 'operator' })).body.items.length, before);
  });

  it('PATCH disables, enables and rotates the secret; DELETE removes; unknown ids are 404', async () => {
    const { body: created } = await api.request('POST', '/v1/subscriptions', { key: 'operator', body: { url: wms.url, eventTypes: ['*'], secret: 'a-secret-of-the-planning-system' } });
    const disabled = await api.request('PATCH', `/v1/subscriptions/${created.id}`, { key: 'operator', body: { enabled: false } });
    assert.equal(disabled.body.enabled, false);
    const rotated = await api.request('PATCH', `/v1/subscriptions/${created.id}`, { key: 'operator', body: { secret: 'the-next-secret-of-planning', previousSecretValidFor: '2h', enabled: true } });
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal(rotated.body.enabled, true);
    const expires = Date.parse(rotated.body.previousSecretExpiresAt);
    assert.ok(expires > Date.now() + 3_500_000 && expires < Date.now() + 7_300_000, rotated.body.previousSecretExpiresAt);

    assert.equal((await api.request('PATCH', `/v1/subscriptions/${created.id}`, { key: 'operator', body: {} })).status, 400);
    assert.equal((await api.request('PATCH', `/v1/subscriptions/${created.id}`, { key: 'operator', body: { previousSecretValidFor: '1h' } })).status, 400);
    assert.equal((await api.request('PATCH', '/v1/subscriptions/sub_nope', { key: 'operator', body: { enabled: false } })).status, 404);
    assert.equal((await api.request('DELETE', `/v1/subscriptions/${created.id}`, { key: 'operator' })).status, 204);
    const gone = await api.request('GET', `/v1/subscriptions/${created.id}`, { key: 'operator' });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'SUBSCRIPTION_NOT_FOUND');
    assert.equal((await api.request('DELETE', `/v1/subscriptions/${created.id}`, { key: 'operator' })).status, 404);
  });
});

describe('dead letters API', () => {
  it('lists dead letters by subscription and PO, redrives one with the same webhook-id, and redrives a subscription since a time', async () => {
    const failing = await RecordingSubscriber.start();
    try {
      failing.answer = () => 500;
      const { body: subscription } = await api.request('POST', '/v1/subscriptions', { key: 'operator', body: { url: failing.url, eventTypes: ['invoice.*'] } });
      const since = new Date().toISOString();
      const [eventId] = await recordEvents(api.database.knex, [{ poNumber: 'PO-API-2', type: 'invoice.exception' }]);
      await drain(relay(), api.database.knex);

      const listed = await api.request('GET', `/v1/dead-letters?subscriptionId=${subscription.id}&poNumber=PO-API-2`, { key: 'operator' });
      assert.equal(listed.status, 200);
      assert.equal(listed.body.items.length, 1);
      const [letter] = listed.body.items;
      assert.equal(letter.messageId, eventId);
      assert.equal(letter.attempts, 2);
      assert.equal(letter.lastStatus, 500);

      failing.answer = () => 200;
      const redriven = await api.request('POST', `/v1/dead-letters/${letter.id}/redrive`, { key: 'operator' });
      assert.equal(redriven.status, 202, redriven.text);
      await drain(relay(), api.database.knex);
      assert.deepEqual(failing.accepted.map((delivery) => delivery.id), [eventId]);
      assert.equal((await api.request('POST', '/v1/dead-letters/nope/redrive', { key: 'operator' })).status, 404);

      const again = await api.request('POST', `/v1/subscriptions/${subscription.id}/redrive`, { key: 'operator', body: { since } });
      assert.equal(again.status, 202, again.text);
      assert.equal(again.body.events, 1);
      await drain(relay(), api.database.knex);
      assert.deepEqual(failing.accepted.map((delivery) => delivery.id), [eventId, eventId]);
      await api.request('DELETE', `/v1/subscriptions/${subscription.id}`, { key: 'operator' });
    } finally {
      await failing.close();
    }
  });

  it('a bad query or cursor is a 400', async () => {
    assert.equal((await api.request('GET', '/v1/dead-letters?limit=0', { key: 'operator' })).status, 400);
    assert.equal((await api.request('GET', '/v1/dead-letters?since=yesterday', { key: 'operator' })).status, 400);
    const cursor = await api.request('GET', '/v1/dead-letters?cursor=garbage', { key: 'operator' });
    assert.equal(cursor.status, 400);
    assert.equal(cursor.body.code, 'INVALID_CURSOR');
    assert.equal((await api.request('POST', '/v1/subscriptions/sub_nope/redrive', { key: 'operator', body: { since: 'not a time' } })).status, 400);
  });
});

describe('event catalog documents', () => {
  it('/asyncapi renders every event with its subject and an example, with no script', async () => {
    const page = await api.request('GET', '/asyncapi');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /text\/html/);
    for (const type of EventType.options) assert.ok(page.text.includes(`id="${type}"`) && page.text.includes(`p2p.events.${type}`), type);
    assert.doesNotMatch(page.text, /<script/);
  });

  it('the OpenAPI document describes every event delivery operation, with examples that fit its schemas', async () => {
    const served = (await api.request('GET', '/v1/openapi.json')).body;
    const validator = openApiValidator(served);
    const operations: [string, string, number][] = [
      ['post', '/v1/subscriptions', 201],
      ['get', '/v1/subscriptions', 200],
      ['get', '/v1/subscriptions/{subscriptionId}', 200],
      ['patch', '/v1/subscriptions/{subscriptionId}', 200],
      ['delete', '/v1/subscriptions/{subscriptionId}', 204],
      ['post', '/v1/subscriptions/{subscriptionId}/redrive', 202],
      ['get', '/v1/dead-letters', 200],
      ['post', '/v1/dead-letters/{deadLetterId}/redrive', 202],
      ['get', '/v1/asyncapi.json', 200],
    ];
    for (const [method, path, status] of operations) {
      const operation = served.paths[path]?.[method];
      assert.ok(operation, `${method} ${path}`);
      const request = operation.requestBody?.content['application/json']?.example;
      if (request !== undefined) assert.equal(validator.requestBody(method, path, request), null, `${method} ${path} request example`);
      const media = operation.responses[String(status)]?.content?.['application/json'];
      if (media) assert.equal(validator.response(method, path, status, 'application/json', media.example), null, `${method} ${path} ${status} example`);
    }
  });
  // Last: the official parser takes seconds, long enough for an idle keep-alive connection to the API to close.
  it('/v1/asyncapi.json is a valid AsyncAPI 3.0 document with a channel and a message for every event type', async () => {
    const served = await api.request('GET', '/v1/asyncapi.json');
    assert.equal(served.status, 200);
    assert.equal(served.body.asyncapi, '3.0.0');
    const { document, diagnostics } = await new Parser().parse(served.text);
    const problems = diagnostics.filter((diagnostic) => diagnostic.severity <= 1);
    assert.ok(document, JSON.stringify(problems));
    assert.deepEqual(problems, []);
    assert.deepEqual(Object.keys(served.body.channels).sort(), [...EventType.options].sort());
    assert.equal(served.body.channels['goods.received'].address, 'p2p.events.goods.received');
    assert.equal(document!.messages().length, EventType.options.length);
  });

});
