import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../helpers/database';
import { view } from '../../workflows/domain/lifecycle/views';
import { issuedPo } from '../unit/fixtures';
import { ALL_KEYS, KEYS, problemShape, startApi } from './api-harness';
import type { ApiUnderTest, KeyName } from './api-harness';

const acmeSupplier = {
  name: 'Acme Industrial Supply',
  currency: 'USD',
  paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
  webhookUrl: 'https://portal.acme.example/hooks',
  webhookSecret: 'a-very-secret-webhook-key',
};

describe('HTTP API without a running purchase order workflow', () => {
  let api: ApiUnderTest;

  before(async () => {
    api = await startApi();
  });
  after(async () => {
    await api.close();
  });

  describe('request ids, secure headers and the request log', () => {
    it('gives every response an x-request-id, keeping a sane one from the caller', async () => {
      const generated = await api.request('GET', '/healthz');
      assert.equal(generated.status, 200);
      assert.deepEqual(generated.body, { status: 'ok' });
      assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);

      const kept = await api.request('GET', '/healthz', { headers: { 'x-request-id': 'wms-batch-42.7' } });
      assert.equal(kept.headers.get('x-request-id'), 'wms-batch-42.7');

      const replaced = await api.request('GET', '/healthz', { headers: { 'x-request-id': 'x'.repeat(300) } });
      assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);

      const onError = await api.request('GET', '/v1/nowhere', { key: 'operator' });
      assert.equal(onError.status, 404);
      assert.ok(onError.headers.get('x-request-id'));
      assert.equal(problemShape(onError).status, 404);
    });

    it('sends helmet secure headers and no x-powered-by', async () => {
      const response = await api.request('GET', '/healthz');
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(response.headers.get('strict-transport-security'));
      assert.equal(response.headers.get('x-powered-by'), null);
    });

    it('logs one JSON line per request with request id, role, status, PO number and duration — never the key', async () => {
      const response = await api.request('GET', '/v1/purchase-orders/PO-LOG-1', {
        key: 'globex',
        headers: { 'x-request-id': 'log-line-check-1' },
      });
      // No Temporal behind this app: the read cannot be served, which is still one logged request.
      assert.equal(response.status, 503);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const line = api.logLines.find((entry) => entry.message === 'request' && entry.requestId === 'log-line-check-1');
      assert.ok(line, 'request log line missing');
      assert.equal(line.status, 503);
      assert.equal(line.role, 'supplier');
      assert.equal(line.poNumber, 'PO-LOG-1');
      assert.equal(typeof line.durationMs, 'number');
      assert.match(String(line.actorId), /^supplier#[0-9a-f]{6}$/);
      const everything = JSON.stringify(api.logLines);
      for (const key of Object.values(KEYS)) assert.ok(!everything.includes(key), 'an API key was logged');
    });
  });

  describe('authentication', () => {
    it('answers 401 problem+json with WWW-Authenticate for a missing, malformed or unknown key', async () => {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer not-a-real-key' }, { authorization: `Bearer ${KEYS.procurement}x` }];
      for (const headers of attempts) {
        const response = await api.request('GET', '/v1/purchase-orders', { headers });
        assert.equal(response.status, 401, JSON.stringify(headers));
        problemShape(response);
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    });

    it('keeps probes, metrics, the OpenAPI document and the docs public', async () => {
      for (const path of ['/healthz', '/metrics', '/v1/openapi.json', '/docs']) {
        const response = await api.request('GET', path);
        assert.equal(response.status, 200, path);
      }
    });
  });

  describe('supplier master data and the role matrix', () => {
    it('lets only procurement create or update a supplier; other roles get 403', async () => {
      for (const key of ALL_KEYS) {
        const response = await api.request('PUT', '/v1/suppliers/ACME', { key, body: acmeSupplier });
        if (key === 'procurement') {
          assert.equal(response.status, 200);
          assert.equal(response.body.supplierId, 'ACME');
          assert.equal(response.body.hasWebhookSecret, true);
          assert.equal(response.body.webhookSecret, undefined, 'the webhook secret must never be returned');
        } else {
          assert.equal(response.status, 403, key);
          problemShape(response);
        }
      }
      const globex = await api.request('PUT', '/v1/suppliers/GLOBEX', { key: 'procurement', body: { name: 'Globex', currency: 'EUR' } });
      assert.equal(globex.status, 200);
    });

    it('lets procurement, finance, operators and the supplier itself read it; another supplier sees 404, warehouse 403', async () => {
      const expected: Record<KeyName, number> = { procurement: 200, finance: 200, operator: 200, acme: 200, globex: 404, warehouse: 403 };
      for (const key of ALL_KEYS) {
        const response = await api.request('GET', '/v1/suppliers/ACME', { key });
        assert.equal(response.status, expected[key], key);
        if (response.status === 200) {
          assert.equal(response.body.name, 'Acme Industrial Supply');
          assert.equal(response.body.webhookSecret, undefined);
        }
      }
    });

    it('answers another supplier exactly as for a supplier that does not exist', async () => {
      const existing = await api.request('GET', '/v1/suppliers/ACME', { key: 'globex' });
      const missing = await api.request('GET', '/v1/suppliers/NOPE-INC', { key: 'globex' });
      assert.equal(existing.status, 404);
      assert.equal(missing.status, 404);
      assert.equal(problemShape(existing).code, problemShape(missing).code);
      assert.equal(existing.body.detail.replace('ACME', 'X'), missing.body.detail.replace('NOPE-INC', 'X'));
    });

    it('answers 404 for a supplier nobody created', async () => {
      const response = await api.request('GET', '/v1/suppliers/UNKNOWN', { key: 'procurement' });
      assert.equal(response.status, 404);
      assert.equal(problemShape(response).code, 'SUPPLIER_NOT_FOUND');
    });

    it('refuses a supplier key on purchasing and warehouse endpoints with 403 before touching any PO', async () => {
      const create = await api.request('POST', '/v1/purchase-orders', { key: 'acme', body: {} });
      assert.equal(create.status, 403);
      const receipt = await api.request('POST', '/v1/purchase-orders/PO-1/receipts', { key: 'acme', body: {} });
      assert.equal(receipt.status, 403);
      const kpis = await api.request('GET', '/v1/kpis', { key: 'acme' });
      assert.equal(kpis.status, 403);
    });
  });

  describe('problem+json for bad input', () => {
    it('lists each zod issue with its path for an invalid supplier', async () => {
      const response = await api.request('PUT', '/v1/suppliers/ACME', {
        key: 'procurement',
        body: { name: '', currency: 'usd', paymentTerms: { netDays: 30, discountPercent: '2' }, color: 'red' },
      });
      assert.equal(response.status, 400);
      const problem = problemShape(response) as { errors?: { path: string; message: string }[] };
      const paths = (problem.errors ?? []).map((error) => error.path);
      assert.ok(paths.includes('name'), JSON.stringify(problem));
      assert.ok(paths.includes('currency'), JSON.stringify(problem));
    });

    it('answers 400 for a body that is not JSON', async () => {
      const response = await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', rawBody: '{"name": "Acme",' });
      assert.equal(response.status, 400);
      assert.equal(problemShape(response).code, 'MALFORMED_JSON');
    });

    it('answers 413 for a body over the 1 MB limit', async () => {
      const response = await api.request('PUT', '/v1/suppliers/ACME', {
        key: 'procurement',
        rawBody: JSON.stringify({ name: 'x'.repeat(1_100_000), currency: 'USD' }),
      });
      assert.equal(response.status, 413);
      problemShape(response);
    });

    it('answers 404 problem+json for unknown routes and an invalid PO number', async () => {
      const unknown = await api.request('DELETE', '/v1/purchase-orders', { key: 'procurement' });
      assert.equal(unknown.status, 404);
      problemShape(unknown);
      const invalid = await api.request('GET', `/v1/purchase-orders/${encodeURIComponent('no such/po')}`, { key: 'procurement' });
      assert.equal(invalid.status, 404);
      const root = await api.request('GET', '/nothing-here');
      assert.equal(root.status, 404);
      problemShape(root);
    });

    it('answers 400 for invalid listing parameters', async () => {
      const response = await api.request('GET', '/v1/purchase-orders?status=lost&limit=0', { key: 'procurement' });
      assert.equal(response.status, 400);
      const paths = (response.body.errors as { path: string }[]).map((error) => error.path).sort();
      assert.deepEqual(paths, ['limit', 'status']);
      const badCursor = await api.request('GET', '/v1/purchase-orders?cursor=garbage', { key: 'procurement' });
      assert.equal(badCursor.status, 400);
    });
  });

  describe('listing and KPIs from the ERP database', () => {
    it('lists an empty page and KPIs for finance and operators', async () => {
      const page = await api.request('GET', '/v1/purchase-orders?limit=10', { key: 'warehouse' });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body, { items: [], nextCursor: null });
      for (const key of ['finance', 'operator'] as const) {
        const kpis = await api.request('GET', '/v1/kpis', { key });
        assert.equal(kpis.status, 200, key);
        assert.equal(kpis.body.invoiceMatching.invoices, 0);
        assert.equal(kpis.body.invoiceMatching.firstPassMatchRate, null);
        assert.deepEqual(kpis.body.discountsCaptured, []);
      }
      for (const key of ['procurement', 'warehouse', 'acme'] as const) {
        assert.equal((await api.request('GET', '/v1/kpis', { key })).status, 403, key);
      }
    });
  });

  describe('readiness and metrics', () => {
    it('reports not ready, naming Temporal, when Temporal cannot be reached', async () => {
      const response = await api.request('GET', '/readyz');
      assert.equal(response.status, 503);
      assert.equal(response.body.status, 'not_ready');
      assert.equal(response.body.checks.temporal.ok, false);
      assert.equal(response.body.checks.database.ok, true);
    });

    it('answers 503 problem+json when a PO read needs Temporal and it is down', async () => {
      const response = await api.request('GET', '/v1/purchase-orders/PO-1', { key: 'operator' });
      assert.equal(response.status, 503);
      assert.equal(problemShape(response).code, 'TEMPORAL_UNAVAILABLE');
    });

    it('serves a PO the ERP holds from its snapshot while Temporal is down, marked as such; another supplier still gets 404', async () => {
      assert.equal((await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', body: acmeSupplier })).status, 200);
      const snapshot = view(issuedPo([{ lineNo: 1, quantity: '10', unitPrice: '12.50' }], { poNumber: 'PO-SNAPSHOT' }));
      await api.database.knex('purchase_orders').insert({
        po_number: 'PO-SNAPSHOT', supplier_id: 'ACME', currency: 'USD', status: snapshot.status, total: snapshot.total, request_hash: snapshot.requestHash,
        workflow_id: 'purchase-order:PO-SNAPSHOT', snapshot: JSON.stringify(snapshot), created_at: snapshot.createdAt, updated_at: snapshot.createdAt,
      });
      for (const key of ['finance', 'acme'] as const) {
        const read = await api.request('GET', '/v1/purchase-orders/PO-SNAPSHOT', { key });
        assert.equal(read.status, 200, read.text);
        assert.equal(read.headers.get('served-from'), 'snapshot');
        assert.equal(read.body.servedFrom, 'snapshot');
        assert.equal(read.body.poNumber, 'PO-SNAPSHOT');
      }
      const theirs = await api.request('GET', '/v1/purchase-orders/PO-SNAPSHOT', { key: 'globex' });
      assert.equal(theirs.status, 404, theirs.text);
    });

    it('exposes request counts by route and status and a latency histogram', async () => {
      await api.request('GET', '/healthz');
      const response = await api.request('GET', '/metrics');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(response.text, /http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
      assert.match(response.text, /http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/healthz"\} \d+/);
      assert.match(response.text, /route="\/v1\/suppliers\/:supplierId",status="403"/);
      assert.match(response.text, /^process_uptime_seconds \d/m);
      assert.match(response.text, /^process_cpu_seconds_total \d/m, "prom-client's default process metrics");
    });
  });
});

describe('rate limiting per API key', () => {
  let api: ApiUnderTest;
  before(async () => {
    api = await startApi({ env: { API_RATE_LIMIT_MAX: '3', API_RATE_LIMIT_WINDOW_MS: '60000' } });
  });
  after(async () => {
    await api.close();
  });

  it('answers 429 with Retry-After and RateLimit headers once a key spends its window, without slowing other keys', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await api.request('GET', '/v1/purchase-orders', { key: 'operator' });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.ok(last);
    problemShape(last);
    assert.match(last.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(last.headers.get('ratelimit-policy'), '"default";q=3;w=60');
    assert.match(last.headers.get('ratelimit') ?? '', /^"default";r=0;t=\d+$/);

    const otherKey = await api.request('GET', '/v1/purchase-orders', { key: 'finance' });
    assert.equal(otherKey.status, 200);
    assert.match(otherKey.headers.get('ratelimit') ?? '', /^"default";r=2;t=\d+$/);
  });
});

describe('rate limiting across API instances', () => {
  it('gives a key one limit across two API instances on the same database, whichever instance answers', async () => {
    const database = await createTestDatabase();
    const env = { API_RATE_LIMIT_MAX: '4', API_RATE_LIMIT_WINDOW_MS: '60000' };
    const instances = await Promise.all([startApi({ database, env }), startApi({ database, env })]);
    try {
      const answers = [];
      // Alternating between the instances, as a load balancer would.
      for (let i = 0; i < 6; i++) answers.push(await instances[i % 2]!.request('GET', '/v1/purchase-orders', { key: 'operator' }));
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200, 200, 200, 429, 429],
      );
      assert.deepEqual(
        answers.slice(0, 4).map((answer) => answer.headers.get('ratelimit')?.split(';')[1]),
        ['r=3', 'r=2', 'r=1', 'r=0'],
      );
      assert.equal(problemShape(answers[5]!).code, 'RATE_LIMITED');
      assert.match(answers[5]!.headers.get('retry-after') ?? '', /^\d+$/);

      const otherKey = await instances[1]!.request('GET', '/v1/purchase-orders', { key: 'finance' });
      assert.equal(otherKey.status, 200);
      assert.match(otherKey.headers.get('ratelimit') ?? '', /^"default";r=3;t=\d+$/);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
      await database.drop();
    }
  });
});
