import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueryNotRegisteredError } from '@temporalio/client';
import type { ReadModelPort } from '../../activities/ports';
import { KnexIdempotencyRecords } from '../../activities/erp/knex-idempotency';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { problemShape, startApi } from './api-harness';
import type { ApiUnderTest } from './api-harness';

/** Counts supplier writes that really ran, and can make the next ones fail like a lost database. */
function instrumentedErp() {
  const state = { upserts: 0, failNext: 0, notReadyNext: 0, delayMs: 0 };
  const wrap = (erp: ReadModelPort): ReadModelPort =>
    Object.assign(Object.create(erp) as ReadModelPort, {
      upsertSupplier: async (...args: Parameters<ReadModelPort['upsertSupplier']>) => {
        if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
        if (state.failNext > 0) {
          state.failNext -= 1;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }
        if (state.notReadyNext > 0) {
          state.notReadyNext -= 1;
          // What the `status` query of a PO still being issued throws (mapped to 409 PO_NOT_READY).
          throw new QueryNotRegisteredError('PO_NOT_READY: the purchase order is still being issued', 3);
        }
        state.upserts += 1;
        return erp.upsertSupplier(...args);
      },
    });
  return { state, wrap };
}

const supplierBody = (name: string) => ({ name, currency: 'USD', paymentTerms: { netDays: 30 } });

describe('Idempotency-Key on writes (IETF httpapi draft)', () => {
  let api: ApiUnderTest;
  const erp = instrumentedErp();

  before(async () => {
    api = await startApi({ wrapReadModel: erp.wrap });
  });
  after(async () => {
    await api.close();
  });

  it('replays the first response for the same key and body, without running the write again', async () => {
    const headers = { 'idempotency-key': '"supplier-acme-2026-11-27"' };
    const before = erp.state.upserts;
    const first = await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', body: supplierBody('Acme'), headers });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('idempotent-replayed'), null);

    // Same meaning, keys in another order: still the same request.
    const reordered = { paymentTerms: { netDays: 30 }, currency: 'USD', name: 'Acme' };
    const again = await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', body: reordered, headers });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.text, first.text);
    assert.notEqual(again.headers.get('x-request-id'), first.headers.get('x-request-id'));
    assert.equal(erp.state.upserts - before, 1);
  });

  it('refuses the same key with another body with 422, and changes nothing', async () => {
    const headers = { 'idempotency-key': 'supplier-globex-1' };
    assert.equal((await api.request('PUT', '/v1/suppliers/GLOBEX', { key: 'procurement', body: supplierBody('Globex'), headers })).status, 200);
    const other = await api.request('PUT', '/v1/suppliers/GLOBEX', { key: 'procurement', body: supplierBody('Globex Renamed'), headers });
    assert.equal(other.status, 422);
    assert.equal(problemShape(other).code, 'IDEMPOTENCY_KEY_REUSED');
    const stored = await api.request('GET', '/v1/suppliers/GLOBEX', { key: 'procurement' });
    assert.equal(stored.body.name, 'Globex');

    const otherPath = await api.request('PUT', '/v1/suppliers/INITECH', { key: 'procurement', body: supplierBody('Globex'), headers });
    assert.equal(otherPath.status, 422, 'the same key on another resource is another request');
  });

  it('scopes keys to the caller: another API key may use the same key value', async () => {
    // Only procurement may write suppliers; a second procurement-like caller is simulated by the
    // store directly, which is where the scoping lives.
    const store = new KnexIdempotencyRecords(api.database.knex);
    const request = { key: 'shared-key', method: 'PUT', path: '/v1/suppliers/X', requestHash: 'h1' };
    assert.deepEqual(await store.claim({ ...request, principal: 'procurement#aaaaaa' }), { outcome: 'acquired' });
    assert.deepEqual(await store.claim({ ...request, principal: 'procurement#bbbbbb' }), { outcome: 'acquired' });
    assert.deepEqual(await store.claim({ ...request, principal: 'procurement#aaaaaa' }), { outcome: 'in_flight' });
  });

  it('executes exactly one of many concurrent identical requests; the others wait their turn (409) or replay', async () => {
    erp.state.delayMs = 150;
    const before = erp.state.upserts;
    const headers = { 'idempotency-key': 'concurrent-initech-1' };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => api.request('PUT', '/v1/suppliers/INITECH', { key: 'procurement', body: supplierBody('Initech'), headers })),
    );
    erp.state.delayMs = 0;
    assert.equal(erp.state.upserts - before, 1, 'exactly one request ran the write');
    const executed = responses.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') === null);
    assert.equal(executed.length, 1);
    for (const response of responses) {
      assert.ok(response.status === 200 || response.status === 409, `unexpected ${response.status}`);
      if (response.status === 409) assert.equal(problemShape(response).code, 'IDEMPOTENCY_KEY_IN_FLIGHT');
    }
    const afterwards = await api.request('PUT', '/v1/suppliers/INITECH', { key: 'procurement', body: supplierBody('Initech'), headers });
    assert.equal(afterwards.status, 200);
    assert.equal(afterwards.headers.get('idempotent-replayed'), 'true');
    assert.equal(erp.state.upserts - before, 1);
  });

  it('keeps renewing the claim of a request that runs longer than its lease, so a retry meanwhile still gets 409', async () => {
    const shortLease = await startApi({ wrapReadModel: erp.wrap, database: api.database, env: { IDEMPOTENCY_LEASE_MS: '1000' } });
    const knex = api.database.knex;
    const headers = { 'idempotency-key': 'slow-supplier-write-1' };
    erp.state.delayMs = 4_000;
    try {
      const slow = shortLease.request('PUT', '/v1/suppliers/SLOWCO', { key: 'procurement', body: supplierBody('Slow Co'), headers });
      const claimRow = () => knex('api_idempotency_keys').where({ idempotency_key: 'slow-supplier-write-1' }).first('lease_owner', 'lease_expires_at', 'principal', 'state');
      let first = await claimRow();
      while (!first) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        first = await claimRow();
      }
      // Wait (by the database's clock) until the first lease would have run out without renewal.
      while ((await knex.raw('select now() > ?::timestamptz + interval \'200 milliseconds\' as past', [first.lease_expires_at])).rows[0].past !== true) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const now = await claimRow();
      assert.equal(now.state, 'in_flight');
      assert.equal(now.lease_owner, first.lease_owner);
      assert.ok(new Date(now.lease_expires_at) > new Date(first.lease_expires_at), 'the lease was renewed');
      // The client's retry reaches another API instance: the first is alive, so it waits its turn.
      const retry = await api.request('PUT', '/v1/suppliers/SLOWCO', { key: 'procurement', body: supplierBody('Slow Co'), headers });
      assert.equal(retry.status, 409, retry.text);
      assert.equal(problemShape(retry).code, 'IDEMPOTENCY_KEY_IN_FLIGHT');
      const done = await slow;
      assert.equal(done.status, 200);
      assert.equal(done.headers.get('idempotent-replayed'), null);
    } finally {
      erp.state.delayMs = 0;
      await shortLease.close();
    }
  });

  it('releases the key when the request fails with 5xx, so the retry runs', async () => {
    const headers = { 'idempotency-key': 'flaky-database-1' };
    erp.state.failNext = 1;
    const failed = await api.request('PUT', '/v1/suppliers/UMBRELLA', { key: 'procurement', body: supplierBody('Umbrella'), headers });
    assert.equal(failed.status, 503);
    assert.equal(problemShape(failed).code, 'DATABASE_UNAVAILABLE');
    assert.ok(failed.headers.get('retry-after'));

    const retried = await api.request('PUT', '/v1/suppliers/UMBRELLA', { key: 'procurement', body: supplierBody('Umbrella'), headers });
    assert.equal(retried.status, 200);
    assert.equal(retried.headers.get('idempotent-replayed'), null);
    assert.equal(retried.body.name, 'Umbrella');
  });

  it('does not store a "retry shortly" answer (409 PO_NOT_READY with Retry-After): the retry with the same key runs', async () => {
    const headers = { 'idempotency-key': 'not-ready-yet-1' };
    erp.state.notReadyNext = 1;
    const early = await api.request('PUT', '/v1/suppliers/INITECH', { key: 'procurement', body: supplierBody('Initech'), headers });
    assert.equal(early.status, 409);
    assert.equal(problemShape(early).code, 'PO_NOT_READY');
    assert.equal(early.headers.get('retry-after'), '1');

    const retried = await api.request('PUT', '/v1/suppliers/INITECH', { key: 'procurement', body: supplierBody('Initech'), headers });
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.headers.get('idempotent-replayed'), null);
    assert.equal(retried.body.name, 'Initech');
  });

  it('stores refusals too: a replayed 400 stays a 400', async () => {
    const headers = { 'idempotency-key': 'bad-body-1' };
    const first = await api.request('PUT', '/v1/suppliers/BAD', { key: 'procurement', body: { name: '' }, headers });
    assert.equal(first.status, 400);
    const again = await api.request('PUT', '/v1/suppliers/BAD', { key: 'procurement', body: { name: '' }, headers });
    assert.equal(again.status, 400);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.match(again.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  it('rejects a malformed Idempotency-Key with 400', async () => {
    const response = await api.request('PUT', '/v1/suppliers/ACME', {
      key: 'procurement',
      body: supplierBody('Acme'),
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    assert.equal(response.status, 400);
    assert.equal(problemShape(response).code, 'INVALID_IDEMPOTENCY_KEY');
  });

  it('does not let a refused caller consume a key', async () => {
    const headers = { 'idempotency-key': 'role-check-1' };
    const refused = await api.request('PUT', '/v1/suppliers/ACME', { key: 'warehouse', body: supplierBody('Acme'), headers });
    assert.equal(refused.status, 403);
    const count = await api.database.knex('api_idempotency_keys').where({ idempotency_key: 'role-check-1' }).count<{ count: string }[]>('* as count');
    assert.equal(Number(count[0]!.count), 0);
  });
});

describe('Idempotency records across API instances', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  it('lets exactly one of two instances claim a key, replays once completed, and forgets it after the TTL', async () => {
    const instanceA = new KnexIdempotencyRecords(database.knex);
    const instanceB = new KnexIdempotencyRecords(database.knex);
    const request = { key: 'k-1', principal: 'finance#abcdef', method: 'POST', path: '/v1/purchase-orders/PO-1/invoices', requestHash: 'hash-1' };
    const claims = await Promise.all([instanceA.claim(request), instanceB.claim(request)]);
    assert.deepEqual(claims.map((claim) => claim.outcome).sort(), ['acquired', 'in_flight']);

    await instanceA.complete(request, { status: 201, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
    assert.deepEqual(await instanceB.claim(request), {
      outcome: 'replay',
      response: { status: 201, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' },
    });
    assert.deepEqual(await instanceB.claim({ ...request, requestHash: 'hash-2' }), { outcome: 'mismatch' });

    // After 24 h the key is free again.
    await database.knex('api_idempotency_keys').where({ idempotency_key: 'k-1' }).update({ expires_at: database.knex.raw(`now() - interval '1 second'`) });
    assert.deepEqual(await instanceB.claim({ ...request, requestHash: 'hash-2' }), { outcome: 'acquired' });
  });

  /** Moves a claim's lease end into the past, as the clock would while its owner is dead (no timed waits). */
  const letLeaseRunOut = (key: string) =>
    database.knex('api_idempotency_keys').where({ idempotency_key: key }).update({ lease_expires_at: database.knex.raw(`now() - interval '1 millisecond'`) });

  it('gives a claim to the instance that made it, for a lease of at most 10 seconds', async () => {
    const store = new KnexIdempotencyRecords(database.knex, { owner: 'api-a' });
    assert.ok(store.leaseMs <= 10_000);
    const request = { key: 'k-lease', principal: 'warehouse#abcdef', method: 'POST', path: '/v1/purchase-orders/PO-2/receipts', requestHash: 'h' };
    assert.equal((await store.claim(request)).outcome, 'acquired');
    const row = await database.knex('api_idempotency_keys').where({ idempotency_key: 'k-lease' }).first('lease_owner', database.knex.raw('extract(epoch from lease_expires_at - now()) * 1000 as remaining_ms'));
    assert.equal(row.lease_owner, 'api-a');
    assert.ok(Number(row.remaining_ms) > 0 && Number(row.remaining_ms) <= store.leaseMs);
  });

  it('lets a retry take over a claim whose API instance died (stopped renewing) once its lease ran out', async () => {
    const dead = new KnexIdempotencyRecords(database.knex, { owner: 'api-dead' });
    const survivor = new KnexIdempotencyRecords(database.knex, { owner: 'api-survivor' });
    const request = { key: 'k-crash', principal: 'warehouse#abcdef', method: 'POST', path: '/v1/purchase-orders/PO-2/receipts', requestHash: 'h' };
    assert.equal((await dead.claim(request)).outcome, 'acquired');
    assert.equal((await survivor.claim(request)).outcome, 'in_flight', 'within its lease the claim is still the first instance\'s');

    await letLeaseRunOut('k-crash');
    assert.equal((await survivor.claim(request)).outcome, 'acquired');
    assert.equal((await dead.claim(request)).outcome, 'in_flight', 'the new owner holds a fresh lease');
    // Should the first instance come back, its claim is gone: it can neither renew nor release it.
    assert.equal(await dead.renew(request), false);
    await dead.release(request);
    assert.equal((await database.knex('api_idempotency_keys').where({ idempotency_key: 'k-crash' }).first('lease_owner')).lease_owner, 'api-survivor');
    await survivor.complete(request, { status: 201, headers: {}, body: '{}' });
    assert.equal((await dead.claim(request)).outcome, 'replay', 'completed once, replayed after');
  });

  it('never takes over a claim whose instance is alive and renewing', async () => {
    const live = new KnexIdempotencyRecords(database.knex, { owner: 'api-live' });
    const other = new KnexIdempotencyRecords(database.knex, { owner: 'api-other' });
    const request = { key: 'k-live', principal: 'warehouse#abcdef', method: 'POST', path: '/v1/purchase-orders/PO-3/receipts', requestHash: 'h' };
    assert.equal((await live.claim(request)).outcome, 'acquired');
    for (let round = 0; round < 3; round++) {
      // The lease ran out, but the owner renewed it before anyone else asked.
      await letLeaseRunOut('k-live');
      assert.equal(await live.renew(request), true);
      assert.equal((await other.claim(request)).outcome, 'in_flight');
    }
    await live.release(request);
    assert.equal((await other.claim(request)).outcome, 'acquired', 'released: the retry runs');
  });

  it('takes over a claim made before leases existed only after the five minutes it was given', async () => {
    const store = new KnexIdempotencyRecords(database.knex, { owner: 'api-new' });
    const request = { key: 'k-old', principal: 'warehouse#abcdef', method: 'POST', path: '/v1/purchase-orders/PO-4/receipts', requestHash: 'h' };
    // As the migration leaves an in-flight row of an older API: no owner, five minutes from its creation.
    await database.knex('api_idempotency_keys').insert({
      idempotency_key: 'k-old', principal: request.principal, method: 'POST', path: request.path, request_hash: 'h', state: 'in_flight',
      lease_expires_at: database.knex.raw(`now() + interval '4 minutes'`), expires_at: database.knex.raw(`now() + interval '1 day'`),
    });
    assert.equal((await store.claim(request)).outcome, 'in_flight');
    await letLeaseRunOut('k-old');
    assert.equal((await store.claim(request)).outcome, 'acquired');
  });
});
