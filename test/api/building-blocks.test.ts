import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import fc from 'fast-check';
import { z } from 'zod';
import { ApiKeyRing, actorForKey } from '../../api/auth';
import { canonicalJson, hashBody } from '../../api/canonical';
import { toApiError } from '../../api/errors';
import { parseIdempotencyKey } from '../../api/idempotency';
import { ApiMetrics } from '../../api/metrics';
import { FixedWindowRateLimiter } from '../../api/rate-limit';
import { requestIdFrom } from '../../api/request-context';

describe('canonical JSON and body hashes', () => {
  it('hashes the same invoice identically whatever the key order', () => {
    const a = { invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '10', unitPrice: '12.50' }], total: '125.00' };
    const b = { total: '125.00', lines: [{ unitPrice: '12.50', quantity: '10', lineNo: 1 }], invoiceNumber: 'INV-1' };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(hashBody(a), hashBody(b));
    assert.match(hashBody(a), /^[0-9a-f]{64}$/);
  });

  it('treats absent and undefined members alike, but line order as meaningful', () => {
    assert.equal(canonicalJson({ reason: undefined, action: 'approve' }), '{"action":"approve"}');
    assert.notEqual(hashBody({ lines: [1, 2] }), hashBody({ lines: [2, 1] }));
  });

  it('is a stable, key-order-independent function of the JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const reversed = JSON.parse(JSON.stringify(value), (_key, member: unknown) =>
          member && typeof member === 'object' && !Array.isArray(member)
            ? Object.fromEntries(Object.entries(member as Record<string, unknown>).reverse())
            : member,
        ) as unknown;
        assert.equal(canonicalJson(reversed), canonicalJson(value));
        assert.deepEqual(JSON.parse(canonicalJson(value)), JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('API keys', () => {
  const ring = new ApiKeyRing([
    { key: 'buyer-secret', role: 'procurement' },
    { key: 'acme-secret', role: 'supplier', supplierId: 'ACME' },
  ]);

  it('identifies callers by key, labelled without revealing the key', () => {
    const acme = ring.identify('acme-secret');
    assert.deepEqual(acme, actorForKey({ key: 'acme-secret', role: 'supplier', supplierId: 'ACME' }));
    assert.equal(acme?.role, 'supplier');
    assert.equal(acme?.supplierId, 'ACME');
    assert.match(acme?.id ?? '', /^supplier#[0-9a-f]{6}$/);
    assert.ok(!(acme?.id ?? '').includes('acme-secret'));
    assert.equal(ring.identify('buyer-secret')?.role, 'procurement');
  });

  it('knows no key that differs by a prefix, a suffix or case', () => {
    for (const guess of ['', 'buyer', 'buyer-secret ', 'BUYER-SECRET', 'buyer-secretx', 'acme-secret\n']) {
      assert.equal(ring.identify(guess), undefined, JSON.stringify(guess));
    }
  });
});

describe('mapping failures to problems', () => {
  const updateFailure = (type: string, kind?: string) =>
    new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable(`refused: ${type}`, type, ...(kind ? [{ kind }] : [])));

  it('maps business refusals of the workflow by their kind, keeping the code and message', () => {
    const cases: [string, string, number][] = [
      ['CANCEL_AFTER_RECEIPT', 'conflict', 409],
      ['ASN_EXCEEDS_OPEN_QUANTITY', 'unprocessable', 422],
      ['INVOICE_NOT_FOUND', 'not_found', 404],
    ];
    for (const [code, kind, status] of cases) {
      const mapped = toApiError(updateFailure(code, kind));
      assert.equal(mapped.status, status);
      assert.equal(mapped.code, code);
      assert.equal(mapped.message, `refused: ${code}`);
    }
    assert.equal(toApiError(updateFailure('SOMETHING_NEW')).status, 422);
  });

  it('maps zod errors to 400 with each issue, an unknown workflow to 404, unavailable services to 503, and the rest to a bare 500', () => {
    const zodError = z.object({ total: z.string() }).safeParse({ total: 5 }).error!;
    const invalid = toApiError(zodError);
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.errors?.map((error) => error.path), ['total']);

    assert.equal(toApiError(new WorkflowNotFoundError('gone', 'purchase-order:PO-1', undefined)).status, 404);
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'x', metadata: {} });
    assert.equal(toApiError(new ServiceError('Failed to query Workflow', { cause: unavailable })).status, 503);
    assert.equal(toApiError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).status, 503);
    assert.equal(toApiError(Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' })).status, 503);

    const internal = toApiError(new TypeError("Cannot read properties of undefined (reading 'lines')"));
    assert.equal(internal.status, 500);
    assert.doesNotMatch(internal.message, /lines|undefined/);
  });

  it('maps body-parser refusals: too large 413, malformed 400', () => {
    assert.equal(toApiError(Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413, limit: 1024 })).status, 413);
    assert.equal(toApiError(Object.assign(new Error('bad json'), { type: 'entity.parse.failed', status: 400 })).code, 'MALFORMED_JSON');
  });
});

describe('rate limiter', () => {
  it('allows max requests per fixed window per client, then resets', () => {
    let now = 1_000_000;
    const limiter = new FixedWindowRateLimiter({ windowMs: 60_000, max: 2, now: () => now });
    assert.equal(limiter.take('finance#1').allowed, true);
    assert.deepEqual(limiter.take('finance#1'), { allowed: true, remaining: 0, resetSeconds: 60 });
    now += 15_000;
    assert.deepEqual(limiter.take('finance#1'), { allowed: false, remaining: 0, resetSeconds: 45 });
    assert.equal(limiter.take('warehouse#1').allowed, true, 'other clients have their own window');
    now += 45_000;
    assert.equal(limiter.take('finance#1').allowed, true);
  });
});

describe('small parsers', () => {
  it('accepts Idempotency-Key as a structured-field string or a bare token', () => {
    assert.equal(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"'), '8e03978e-40d5-43e8-bc93-6894a57f9324');
    assert.equal(parseIdempotencyKey('retry-42'), 'retry-42');
    assert.throws(() => parseIdempotencyKey('""'));
    assert.throws(() => parseIdempotencyKey('with space'));
  });

  it('keeps sane request ids and replaces the rest', () => {
    assert.equal(requestIdFrom('abc-123'), 'abc-123');
    assert.notEqual(requestIdFrom('bad id\n'), 'bad id\n');
    assert.notEqual(requestIdFrom('<script>'), '<script>');
  });

  it('renders Prometheus text with escaped labels', async () => {
    const metrics = new ApiMetrics();
    metrics.observeRequest({ method: 'GET', route: '/v1/"odd"', status: 200, durationSeconds: 0.02 });
    const { contentType, text } = await metrics.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(text, /http_requests_total\{method="GET",route="\/v1\/\\"odd\\"",status="200"\} 1/);
    assert.match(text, /http_request_duration_seconds_bucket\{le="0.025",method="GET",route="\/v1\/\\"odd\\""\} 1/);
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\/v1\/\\"odd\\""\} 1/);
  });
});
