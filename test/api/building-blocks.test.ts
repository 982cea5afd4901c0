import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import fc from 'fast-check';
import { z } from 'zod';
import { ApiKeyRing, actorForKey } from '../../api/auth';
import { canonicalJson, hashBody } from '../../api/canonical';
import { isUnansweredByWorker, toApiError } from '../../api/errors';
import { parseIdempotencyKey } from '../../api/idempotency';
import { ApiMetrics } from '../../api/metrics';
import knexFactory from 'knex';
import { createRateLimiter } from '../../api/rate-limit';
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

  it('keeps an own "__proto__" member, so a body carrying one does not hash like one without it', () => {
    // fast-check's counterexample (seed 513643762) against the former hand-written canonicaliser.
    const body = JSON.parse('[{"__proto__":[]}]') as unknown;
    assert.equal(canonicalJson(body), '[{"__proto__":[]}]');
    assert.notEqual(hashBody(body), hashBody([{}]));
    assert.equal(canonicalJson(JSON.parse('{"b":1,"__proto__":{"a":2}}')), '{"__proto__":{"a":2},"b":1}');
  });

  describe('writes every ordinary body byte for byte as the former hand-written canonicaliser did', () => {
    /** The canonicaliser before RFC 8785 (api/canonical.ts until ADR 0020), kept only to compare against. */
    function formerCanonicalJson(value: unknown): string {
      const sortKeys = (member: unknown): unknown => {
        if (Array.isArray(member)) return member.map((item) => (item === undefined ? null : sortKeys(item)));
        if (member !== null && typeof member === 'object' && !(member instanceof Date)) {
          const sorted: Record<string, unknown> = {};
          for (const key of Object.keys(member).sort()) {
            const child = (member as Record<string, unknown>)[key];
            if (child !== undefined) sorted[key] = sortKeys(child);
          }
          return sorted;
        }
        return member;
      };
      return JSON.stringify(sortKeys(value)) ?? 'null';
    }

    /** Names a JavaScript object orders numerically before all others (array indices). */
    const isArrayIndex = (key: string) => /^(0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1;
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      // Lone surrogates: JSON.parse accepts "\ud800"; both write it escaped.
      fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), maxLength: 2 }),
    );
    const ordinaryKey = text.filter((key) => key !== '__proto__' && !isArrayIndex(key));
    const { body: ordinaryBody } = fc.letrec((tie) => ({
      body: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(null, true, false),
        // -0, tiny and huge magnitudes, integers past 2^53: JSON.stringify's number form in both.
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.constantFrom(-0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2, 0.1 + 0.2),
        text,
        fc.array(fc.oneof(tie('body'), fc.constant(undefined))),
        fc.dictionary(ordinaryKey, fc.oneof(tie('body'), fc.constant(undefined))),
      ),
    }));

    it('for generated bodies: any text, any number, undefined members and array items (property)', () => {
      fc.assert(
        fc.property(ordinaryBody, (body) => {
          assert.equal(canonicalJson(body), formerCanonicalJson(body));
        }),
        { numRuns: 2_000 },
      );
    });

    it('for generated JSON as fast-check writes it, less own "__proto__" members and array-index-like names (property)', () => {
      const ordinary = (value: unknown): boolean =>
        Array.isArray(value)
          ? value.every(ordinary)
          : value === null || typeof value !== 'object'
            ? true
            : Object.entries(value).every(([key, member]) => key !== '__proto__' && !isArrayIndex(key) && ordinary(member));
      fc.assert(
        fc.property(fc.jsonValue().filter(ordinary), (body) => {
          assert.equal(canonicalJson(body), formerCanonicalJson(body));
        }),
        { numRuns: 1_000 },
      );
    });

    it('differs, by design, where JavaScript reordered the former copy: array-index-like member names', () => {
      // RFC 8785 sorts "10" before "2" (as text); the former copy let the object put indices first
      // in numeric order. No command schema has such member names, so no requestHash or bodyHash
      // changes; see ADR 0020.
      const body = { '2': 'b', '10': 'a', x: 'c' };
      assert.equal(canonicalJson(body), '{"10":"a","2":"b","x":"c"}');
      assert.equal(formerCanonicalJson(body), '{"2":"b","10":"a","x":"c"}');
    });

    it('writes the same for undefined, -0 and a top-level undefined', () => {
      for (const body of [undefined, -0, [undefined], { a: undefined }, { a: [undefined, -0, 1e21, 1e-7] }]) {
        assert.equal(canonicalJson(body), formerCanonicalJson(body), JSON.stringify(body));
      }
      assert.equal(canonicalJson(undefined), 'null');
      assert.equal(canonicalJson({ a: -0, b: 1e21, c: 1e-7 }), '{"a":0,"b":1e+21,"c":1e-7}');
    });
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

  it('names the part that is down: the workers when a query was not taken, Temporal when a call was cancelled, never a bare 500', () => {
    const grpc = (code: number, message: string) => Object.assign(new Error(`${code} ${message}`), { code, details: message, metadata: {} });
    const notTaken = toApiError(new ServiceError('Failed to query Workflow', { cause: grpc(4, 'query timed out before a worker could process it') }));
    assert.equal(notTaken.status, 503);
    assert.equal(notTaken.code, 'WORKER_UNAVAILABLE');
    assert.ok(Number(notTaken.headers['Retry-After']) > 0);
    // The worker answering a query died mid-way: "1 CANCELLED: context canceled" (was a 500).
    const cancelled = toApiError(new ServiceError('Failed to query Workflow', { cause: grpc(1, 'context canceled') }));
    assert.equal(cancelled.status, 503);
    assert.equal(cancelled.headers['Retry-After'] !== undefined, true);
    assert.equal(toApiError(new ServiceError('Failed to query Workflow', { cause: grpc(13, 'internal error') })).status, 503);
    assert.equal(toApiError(new ServiceError('Failed to query Workflow', { cause: grpc(3, 'invalid argument') })).status, 500, 'not every gRPC failure is an outage');

    for (const [code, message] of [[1, 'Call cancelled'], [4, 'Deadline exceeded'], [9, 'Workflow Task in failed state']] as const) {
      assert.equal(isUnansweredByWorker(new ServiceError('Failed to query Workflow', { cause: grpc(code, message) })), true, message);
    }
    assert.equal(isUnansweredByWorker(new ServiceError('Failed to query Workflow', { cause: grpc(14, 'No connection established') })), false);
    assert.equal(isUnansweredByWorker(new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: grpc(4, 'Deadline exceeded') })), true);
  });

  it('maps body-parser refusals: too large 413, malformed 400', () => {
    assert.equal(toApiError(Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413, limit: 1024 })).status, 413);
    assert.equal(toApiError(Object.assign(new Error('bad json'), { type: 'entity.parse.failed', status: 400 })).code, 'MALFORMED_JSON');
  });
});

describe('rate limiter', () => {
  it('keeps limiting in this instance\'s memory when the database cannot be reached', async () => {
    const quiet = () => undefined;
    const unreachable = knexFactory({
      client: 'pg',
      connection: 'postgres://postgres@127.0.0.1:1/p2p',
      pool: { min: 0, max: 1 },
      log: { warn: quiet, error: quiet, debug: quiet, deprecate: quiet },
    });
    try {
      const limiter = createRateLimiter(unreachable, { windowMs: 60_000, max: 2 });
      assert.equal((await limiter.consume('finance#1')).remainingPoints, 1);
      assert.equal((await limiter.consume('finance#1')).remainingPoints, 0);
      const refused = await limiter.consume('finance#1').then(
        () => assert.fail('the third request in the window must be refused'),
        (refusal: { remainingPoints: number; msBeforeNext: number }) => refusal,
      );
      assert.equal(refused.remainingPoints, 0);
      assert.ok(refused.msBeforeNext > 0 && refused.msBeforeNext <= 60_000);
      assert.equal((await limiter.consume('warehouse#1')).remainingPoints, 1, 'other clients have their own window');
    } finally {
      await unreachable.destroy();
    }
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
