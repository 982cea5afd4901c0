/**
 * Horizontal scale, shown: two workers and two API instances, each its own process, against one
 * Temporal namespace and one PostgreSQL database. Purchase orders are driven through both APIs;
 * an Idempotency-Key, a repeated document and the rate limit hold across the instances; and when
 * one worker is killed outright (SIGKILL, no drain), the other takes over its POs and they close.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort } from '../../temporal-config/dev-server';
import { workflowBundleOptions } from '../../temporal-config/workflow-bundle';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ProcessGroup } from '../helpers/processes';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';

const KEYS = { procurement: 'proc-key-0123456789', warehouse: 'wh-key-0123456789', finance: 'fin-key-0123456789', acme: 'acme-key-0123456789', limited: 'limited-key-0123456789' };
type Key = keyof typeof KEYS;
/** Requests per key per window, counted in PostgreSQL across both APIs. */
const RATE_LIMIT = 60;
const PO_COUNT = 6;

let database: TestDatabase;
let namespace: string;
let client: Client;
let scratch: string;
const apis: string[] = [];
const workers: ChildProcess[] = [];
const processes = new ProcessGroup();

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(api: number, method: string, url: string, key: Key, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${apis[api]}${url}`, {
    method,
    headers: { authorization: `Bearer ${KEYS[key]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/**
 * A client that retries as the docs tell integrators to: the same request, with the same
 * Idempotency-Key, while the answer says "later" (503, or 409 with Retry-After), e.g. while a
 * killed worker's tasks time out and move to the other worker.
 */
async function command(api: number, url: string, key: Key, body: unknown, idempotencyKey: string, expected: number): Promise<Answer> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const answer = await call(api, 'POST', url, key, body, { 'Idempotency-Key': idempotencyKey }).catch((error: unknown) => ({ status: 0, headers: new Headers(), body: String(error) }));
    const later = answer.status === 503 || answer.status === 0 || (answer.status === 409 && answer.headers.get('retry-after') !== null);
    if (!later || Date.now() > deadline) {
      assert.equal(answer.status, expected, `${url} through API ${api + 1}: ${JSON.stringify(answer.body)}`);
      return answer;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const purchaseOrder = (poNumber: string) => ({ poNumber, supplierId: 'ACME', currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT-M8', quantity: '10', unitPrice: '1.25' }] });

before(async () => {
  database = await createTestDatabase();
  const temporalAddress = await testTemporalAddress();
  namespace = await createTestNamespace(temporalAddress, 'p2p-scale');
  client = new Client({ connection: await Connection.connect({ address: temporalAddress }), namespace });
  // One bundle for both workers, as production ships dist/workflow-bundle.js.
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-scale-'));
  const bundlePath = path.join(scratch, 'workflow-bundle.js');
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet, log: quiet },
  });
  fs.writeFileSync(bundlePath, code);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    // A worker on a busy test machine may take longer than the production default to accept a command.
    WORKER_QUERY_TIMEOUT_MS: '20000',
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    DATABASE_URL: database.url,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    API_RATE_LIMIT_MAX: String(RATE_LIMIT),
    API_RATE_LIMIT_WINDOW_MS: '600000',
    API_KEYS: [`${KEYS.procurement}:procurement`, `${KEYS.warehouse}:warehouse`, `${KEYS.finance}:finance`, `${KEYS.acme}:supplier:ACME`, `${KEYS.limited}:operator`].join(','),
  };
  for (const name of ['worker-a', 'worker-b']) {
    const healthPort = await freePort();
    workers.push(processes.start(name, 'workers/main.ts', { ...env, WORKER_HEALTH_ADDRESS: `127.0.0.1:${healthPort}` }));
    await processes.waitFor(async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200, `${name} to poll`, 120_000);
  }
  for (const name of ['api-1', 'api-2']) {
    const port = await freePort();
    apis.push(`http://127.0.0.1:${port}`);
    processes.start(name, 'api/main.ts', { ...env, PORT: String(port) });
    await processes.waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, `${name} to be ready`, 120_000);
  }
  const supplier = await call(0, 'PUT', '/v1/suppliers/ACME', 'procurement', { name: 'Acme Industrial', currency: 'USD', paymentTerms: { netDays: 0 } });
  assert.equal(supplier.status, 200, JSON.stringify(supplier.body));
});

after(async () => {
  await processes.stop();
  await client?.connection.close();
  await database?.drop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

describe('two workers and two APIs on one Temporal and one database', { timeout: 600_000 }, () => {
  test('one Idempotency-Key, one document and one PO number mean one effect, whichever API each copy reaches', async () => {
    const racing = await Promise.all([0, 1].map((api) => call(api, 'POST', '/v1/purchase-orders', 'procurement', purchaseOrder('PO-SCALE-IDEM'))));
    assert.deepEqual(racing.map((answer) => answer.status).sort(), [200, 201], 'the same PO issued through both APIs at once: created once');
    assert.deepEqual(racing[0]!.body, racing[1]!.body);

    const ack = await call(0, 'POST', '/v1/purchase-orders/PO-SCALE-IDEM/acknowledgement', 'acme', { type: 'accept' }, { 'Idempotency-Key': 'ack-scale-1' });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const replayed = await call(1, 'POST', '/v1/purchase-orders/PO-SCALE-IDEM/acknowledgement', 'acme', { type: 'accept' }, { 'Idempotency-Key': 'ack-scale-1' });
    assert.equal(replayed.status, 200);
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true', 'the other API replays the stored answer');
    assert.deepEqual(replayed.body, ack.body);
    const reused = await call(1, 'POST', '/v1/purchase-orders/PO-SCALE-IDEM/acknowledgement', 'acme', { type: 'reject', reason: 'no' }, { 'Idempotency-Key': 'ack-scale-1' });
    assert.equal(reused.status, 422, 'the key is bound to its first request on every instance');

    const asn = { asnNumber: 'ASN-SCALE-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: '4' }] };
    const shipped = await Promise.all([0, 1].map((api) => call(api, 'POST', '/v1/purchase-orders/PO-SCALE-IDEM/asns', 'acme', asn)));
    assert.deepEqual(shipped.map((answer) => answer.status), [201, 201], 'the same ASN through both APIs: both answered');
    const state = await call(1, 'GET', '/v1/purchase-orders/PO-SCALE-IDEM', 'procurement');
    assert.equal(state.body.asns.length, 1, 'and recorded once');
    assert.equal(state.body.timeline.filter((entry: { type: string }) => entry.type === 'po.acknowledged').length, 1);
    const rows = await database.knex('asns').where({ po_number: 'PO-SCALE-IDEM' });
    assert.equal(rows.length, 1, 'one ASN row in the ERP');
  });

  test('the rate limit of a key is one budget across both APIs', async () => {
    const answers: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 4; i++) answers.push((await call(i % 2, 'GET', '/v1/purchase-orders?limit=1', 'limited')).status);
    assert.equal(answers.filter((status) => status === 200).length, RATE_LIMIT, `${RATE_LIMIT} requests in all, not ${RATE_LIMIT} per API`);
    assert.deepEqual(answers.slice(RATE_LIMIT), [429, 429, 429, 429]);
  });

  test('POs driven through both APIs all close after one worker is killed mid-way: the other takes them over', async () => {
    const poNumbers = Array.from({ length: PO_COUNT }, (_, i) => `PO-SCALE-${i + 1}`);
    const base = (po: string) => `/v1/purchase-orders/${po}`;
    await Promise.all(
      poNumbers.map(async (po, i) => {
        await command(i % 2, '/v1/purchase-orders', 'procurement', purchaseOrder(po), `create-${po}`, 201);
        await command((i + 1) % 2, `${base(po)}/acknowledgement`, 'acme', { type: 'accept' }, `ack-${po}`, 200);
      }),
    );
    const identityOf = (child: ChildProcess) => `${child.pid}@${os.hostname()}`;
    const [killed, survivor] = workers as [ChildProcess, ChildProcess];
    const completedBy = async (po: string) => {
      const history = await client.workflow.getHandle(`purchase-order:${po}`).fetchHistory();
      return new Set((history.events ?? []).map((event) => event.workflowTaskCompletedEventAttributes?.identity).filter(Boolean));
    };
    const before = await Promise.all(poNumbers.map(completedBy));
    assert.ok(before.some((identities) => identities.has(identityOf(killed))), 'the worker about to be killed has POs of its own');

    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('exit', resolve));

    await Promise.all(
      poNumbers.map(async (po, i) => {
        const api = i % 2;
        await command(api, `${base(po)}/asns`, 'acme', { asnNumber: `ASN-${po}`, shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: '10' }] }, `asn-${po}`, 201);
        await command(1 - api, `${base(po)}/receipts`, 'warehouse', { receiptNumber: `GR-${po}`, lines: [{ lineNo: 1, quantityReceived: '10' }] }, `gr-${po}`, 201);
        const invoiced = await command(api, `${base(po)}/invoices`, 'acme', { invoiceNumber: `INV-${po}`, invoiceDate: '2026-11-27', currency: 'USD', total: '12.50', lines: [{ lineNo: 1, quantity: '10', unitPrice: '1.25' }] }, `inv-${po}`, 201);
        assert.equal(invoiced.body.status, 'paid', `${po}: net 0 pays on approval`);
        const cleared = await command(1 - api, `${base(po)}/invoices/INV-${po}/payment-status`, 'finance', { status: 'cleared', reference: `BANK-${po}` }, `clear-${po}`, 200);
        assert.equal(cleared.body.status, 'closed', `${po} closes`);
      }),
    );

    const after = await Promise.all(poNumbers.map(completedBy));
    const movedOver = poNumbers.filter((_, i) => before[i]!.has(identityOf(killed)) && after[i]!.has(identityOf(survivor)));
    assert.ok(movedOver.length > 0, 'POs the killed worker ran were finished by the other');
    const payments = await database.knex('ap_payments').whereIn('po_number', poNumbers).count<{ count: string }[]>('* as count');
    assert.equal(Number(payments[0]!.count), PO_COUNT, 'each PO paid exactly once by accounts payable');
  });
});
