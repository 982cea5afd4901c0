/**
 * End to end, as production runs it: the worker and the API as separate child processes against a
 * real Temporal dev server and real PostgreSQL, driven over HTTP only. One purchase order goes
 * from creation to closed, and the mistakes an integrator makes get clear 4xx answers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../temporal-config/dev-server';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ProcessGroup } from '../helpers/processes';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';

const KEYS = {
  procurement: 'proc-key-0123456789',
  warehouse: 'wh-key-0123456789',
  finance: 'fin-key-0123456789',
  operator: 'ops-key-0123456789',
  acme: 'acme-key-0123456789',
  other: 'other-key-0123456789',
};

let database: TestDatabase;
let temporalAddress: string;
let namespace: string;
let baseUrl: string;
const processes = new ProcessGroup();
const waitFor = processes.waitFor.bind(processes);

async function call(method: string, url: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, body: json };
}

before(async () => {
  database = await createTestDatabase();
  temporalAddress = await testTemporalAddress();
  namespace = await createTestNamespace(temporalAddress);
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    // A worker on a busy test machine may take longer than the production default to accept a command.
    WORKER_QUERY_TIMEOUT_MS: '20000',
    HOST: '127.0.0.1',
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    DATABASE_URL: database.url,
    API_KEYS: [
      `${KEYS.procurement}:procurement`,
      `${KEYS.warehouse}:warehouse`,
      `${KEYS.finance}:finance`,
      `${KEYS.operator}:operator`,
      `${KEYS.acme}:supplier:ACME`,
      `${KEYS.other}:supplier:OTHER`,
    ].join(','),
  };
  // The API's readiness says nothing about workers: wait for the worker to poll too, or the first
  // command may wait out its deadline while the worker is still bundling on a busy machine.
  const workerHealthPort = await freePort();
  processes.start('worker', 'workers/main.ts', { ...env, WORKER_HEALTH_ADDRESS: `127.0.0.1:${workerHealthPort}` });
  processes.start('api', 'api/main.ts', env);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${workerHealthPort}/readyz`)).status === 200, 'the worker to poll', 180_000);
  await waitFor(async () => (await fetch(`${baseUrl}/readyz`)).status === 200, 'the API to be ready');
});

after(async () => {
  await processes.stop();
  await database?.drop();
});

describe('the stack over HTTP', () => {
  test('a PO goes from creation to closed through the documented API, and Temporal finds it by supplier', async () => {
    const supplier = await call('PUT', '/v1/suppliers/ACME', KEYS.procurement, { name: 'Acme Industrial', currency: 'USD', paymentTerms: { netDays: 0 } });
    assert.equal(supplier.status, 200, JSON.stringify(supplier.body));
    await call('PUT', '/v1/suppliers/OTHER', KEYS.procurement, { name: 'Other Co', currency: 'USD' });

    const po = {
      poNumber: 'PO-E2E-1',
      supplierId: 'ACME',
      currency: 'USD',
      lines: [
        { lineNo: 1, sku: 'WIDGET-1', quantity: 10, unitPrice: '10.00' },
        { lineNo: 2, sku: 'GADGET-2', quantity: '5', unitPrice: '4.25' },
      ],
    };
    const created = await call('POST', '/v1/purchase-orders', KEYS.procurement, po);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, { poNumber: 'PO-E2E-1', workflowId: 'purchase-order:PO-E2E-1', status: 'issued' });
    assert.ok(created.headers.get('x-request-id'));

    const again = await call('POST', '/v1/purchase-orders', KEYS.procurement, po);
    assert.equal(again.status, 200);
    const different = await call('POST', '/v1/purchase-orders', KEYS.procurement, { ...po, currency: 'EUR' });
    assert.equal(different.status, 409);
    assert.match(different.headers.get('content-type') ?? '', /application\/problem\+json/);

    const listed = await call('GET', '/v1/purchase-orders?supplierId=ACME', KEYS.finance);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((i: { poNumber: string }) => i.poNumber), ['PO-E2E-1']);

    assert.equal((await call('GET', '/v1/purchase-orders/PO-E2E-1', KEYS.other)).status, 404, 'another supplier cannot see it');
    assert.equal((await call('POST', '/v1/purchase-orders/PO-E2E-1/acknowledgement', KEYS.other, { type: 'accept' })).status, 404);

    const ack = await call('POST', '/v1/purchase-orders/PO-E2E-1/acknowledgement', KEYS.acme, { type: 'accept' });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.status, 'acknowledged');

    const tooMuch = await call('POST', '/v1/purchase-orders/PO-E2E-1/asns', KEYS.acme, { asnNumber: 'ASN-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: 11 }] });
    assert.equal(tooMuch.status, 422, JSON.stringify(tooMuch.body));
    const asn = await call('POST', '/v1/purchase-orders/PO-E2E-1/asns', KEYS.acme, { asnNumber: 'ASN-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: 10 }, { lineNo: 2, quantity: 5 }] });
    assert.equal(asn.status, 201, JSON.stringify(asn.body));
    assert.equal(asn.body.status, 'in_transit');

    const receipt = { receiptNumber: 'GR-1', lines: [{ lineNo: 1, quantityReceived: 10 }, { lineNo: 2, quantityReceived: 5 }] };
    assert.equal((await call('POST', '/v1/purchase-orders/PO-E2E-1/receipts', KEYS.acme, receipt)).status, 403, 'suppliers do not post receipts');
    const received = await call('POST', '/v1/purchase-orders/PO-E2E-1/receipts', KEYS.warehouse, receipt);
    assert.equal(received.status, 201, JSON.stringify(received.body));
    assert.equal(received.body.status, 'received');
    assert.equal((await call('POST', '/v1/purchase-orders/PO-E2E-1/cancel', KEYS.procurement, { reason: 'late' })).status, 409);

    const invoice = await call('POST', '/v1/purchase-orders/PO-E2E-1/invoices', KEYS.acme, {
      invoiceNumber: 'INV-E2E-1',
      invoiceDate: '2026-11-27',
      currency: 'USD',
      lines: [{ lineNo: 1, quantity: 10, unitPrice: '10.00' }, { lineNo: 2, quantity: 5, unitPrice: '4.25' }],
      total: '121.25',
    });
    assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
    assert.equal(invoice.body.match.status, 'matched');
    assert.equal(invoice.body.status, 'paid', 'net 0 pays on approval');

    const state = await call('GET', '/v1/purchase-orders/PO-E2E-1', KEYS.acme);
    const paymentId = state.body.invoices[0].payment.paymentId;
    assert.ok(paymentId);
    const cleared = await call('POST', '/v1/purchase-orders/PO-E2E-1/invoices/INV-E2E-1/payment-status', KEYS.finance, { status: 'cleared', reference: 'BANK-123' });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal(cleared.body.status, 'closed');

    // Operators find it with the CLI by search attribute, and query its state.
    const cli = process.env.TEMPORAL_CLI;
    if (cli) {
      await waitFor(async () => {
        const list = spawnSync(cli, ['workflow', 'list', '--address', temporalAddress, '--namespace', namespace, '--query', "SupplierId='ACME'", '-o', 'json'], { encoding: 'utf8' });
        return list.stdout.includes('purchase-order:PO-E2E-1');
      }, 'visibility to list the PO by SupplierId', 20_000);
      const query = spawnSync(cli, ['workflow', 'query', '--address', temporalAddress, '--namespace', namespace, '--workflow-id', 'purchase-order:PO-E2E-1', '--type', 'status', '-o', 'json'], { encoding: 'utf8' });
      assert.equal(query.status, 0, query.stderr);
      assert.match(query.stdout, /"status":\s*"closed"/);
    }

    // Retention eventually removes a finished workflow; its last snapshot in the ERP still answers.
    // (Simulated: the same closed PO under a number Temporal has never seen.)
    const row = await database.knex('purchase_orders').where({ po_number: 'PO-E2E-1' }).first();
    await database.knex('purchase_orders').insert({
      ...row,
      po_number: 'PO-E2E-ARCHIVED',
      workflow_id: 'purchase-order:PO-E2E-ARCHIVED',
      snapshot: JSON.stringify({ ...row.snapshot, poNumber: 'PO-E2E-ARCHIVED' }),
    });
    const archived = await call('GET', '/v1/purchase-orders/PO-E2E-ARCHIVED', KEYS.finance);
    assert.equal(archived.status, 200, JSON.stringify(archived.body));
    assert.equal(archived.body.status, 'closed');
    assert.equal(archived.body.invoices[0].payment.paymentId, paymentId);
    assert.equal((await call('GET', '/v1/purchase-orders/PO-E2E-ARCHIVED', KEYS.other)).status, 404, 'still not visible to another supplier');
  });

  test('finance works the exceptions over HTTP: a price variance approved, a failed payment paid again', async () => {
    const po = {
      poNumber: 'PO-E2E-2',
      supplierId: 'ACME',
      currency: 'USD',
      lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: 10, unitPrice: '10.00' }],
    };
    assert.equal((await call('POST', '/v1/purchase-orders', KEYS.procurement, po)).status, 201);
    const proposal = await call('POST', '/v1/purchase-orders/PO-E2E-2/acknowledgement', KEYS.acme, {
      type: 'accept_with_changes',
      lines: [{ lineNo: 1, status: 'changed', unitPrice: '10.20' }],
    });
    assert.equal(proposal.body.status, 'changes_pending');
    const approved = await call('POST', '/v1/purchase-orders/PO-E2E-2/change-decision', KEYS.procurement, { decision: 'approve' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.lines[0].agreedUnitPrice, '10.20');
    assert.equal((await call('POST', '/v1/purchase-orders/PO-E2E-2/receipts', KEYS.warehouse, { receiptNumber: 'GR-2', lines: [{ lineNo: 1, quantityReceived: 10 }] })).status, 201);

    const invoice = await call('POST', '/v1/purchase-orders/PO-E2E-2/invoices', KEYS.acme, {
      invoiceNumber: 'INV-E2E-2',
      invoiceDate: '2026-11-27',
      currency: 'USD',
      lines: [{ lineNo: 1, quantity: 10, unitPrice: '11.00' }],
      total: '110.00',
    });
    assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
    assert.equal(invoice.body.status, 'exception');
    const reason = invoice.body.match.lines[0].reasons[0];
    assert.deepEqual([reason.code, reason.expected, reason.actual], ['PRICE_VARIANCE', '10.20', '11.00']);
    const flagged = await call('GET', '/v1/purchase-orders?hasException=true', KEYS.finance);
    assert.ok(flagged.body.items.some((i: { poNumber: string }) => i.poNumber === 'PO-E2E-2'));

    assert.equal((await call('POST', '/v1/purchase-orders/PO-E2E-2/invoices/INV-E2E-2/resolution', KEYS.acme, { action: 'approve', reason: 'x' })).status, 403);
    const resolved = await call('POST', '/v1/purchase-orders/PO-E2E-2/invoices/INV-E2E-2/resolution', KEYS.finance, { action: 'approve', reason: 'Copper surcharge agreed with ACME by phone' });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    const paid = resolved.body.invoices[0];
    assert.equal(paid.status, 'paid');
    assert.equal(paid.payment.amount, '110.00');
    assert.equal(resolved.body.exceptions[0].resolvedBy.role, 'finance');

    const failed = await call('POST', '/v1/purchase-orders/PO-E2E-2/invoices/INV-E2E-2/payment-status', KEYS.finance, { status: 'failed', reference: 'R03 no account' });
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    assert.equal(failed.body.invoices[0].status, 'exception');
    const retried = await call('POST', '/v1/purchase-orders/PO-E2E-2/invoices/INV-E2E-2/resolution', KEYS.finance, { action: 'approve', reason: 'Supplier bank account corrected' });
    assert.equal(retried.body.invoices[0].status, 'paid');
    assert.equal(retried.body.invoices[0].payment.attempt, 2);
    const closed = await call('POST', '/v1/purchase-orders/PO-E2E-2/invoices/INV-E2E-2/payment-status', KEYS.finance, { status: 'cleared' });
    assert.equal(closed.body.status, 'closed');
    const late = await call('POST', '/v1/purchase-orders/PO-E2E-2/invoices/INV-E2E-2/payment-status', KEYS.finance, { status: 'failed' });
    assert.equal(late.status, 409, 'a closed PO takes no more commands');

    const kpis = await call('GET', '/v1/kpis', KEYS.finance);
    assert.equal(kpis.status, 200, JSON.stringify(kpis.body));
  });

  test('mistakes get problem+json 4xx answers and change nothing', async () => {
    const noKey = await call('GET', '/v1/purchase-orders', undefined);
    assert.equal(noKey.status, 401);
    assert.equal(noKey.body.status, 401);
    assert.equal((await call('GET', '/v1/purchase-orders', 'wrong-key')).status, 401);
    assert.equal((await call('POST', '/v1/purchase-orders', KEYS.warehouse, {})).status, 403);

    const invalid = await call('POST', '/v1/purchase-orders', KEYS.procurement, { poNumber: 'PO-BAD', supplierId: 'ACME', currency: 'usd', lines: [{ lineNo: 1, sku: 'X', quantity: -1, unitPrice: 12.5 }] });
    assert.equal(invalid.status, 400);
    assert.ok(Array.isArray(invalid.body.errors) && invalid.body.errors.length >= 3, JSON.stringify(invalid.body));
    assert.ok(!JSON.stringify(invalid.body).includes('    at '), 'no stack trace');

    const malformed = await call('POST', '/v1/purchase-orders', KEYS.procurement, '{"poNumber":');
    assert.equal(malformed.status, 400);

    const unknownSupplier = await call('POST', '/v1/purchase-orders', KEYS.procurement, { poNumber: 'PO-NOSUP', supplierId: 'NOPE', currency: 'USD', lines: [{ lineNo: 1, sku: 'X', quantity: 1, unitPrice: '1.00' }] });
    assert.equal(unknownSupplier.status, 422);
    assert.equal((await call('GET', '/v1/purchase-orders/PO-NOSUP', KEYS.procurement)).status, 404);
    assert.equal((await call('GET', '/v1/purchase-orders/PO-NOPE', KEYS.procurement)).status, 404);

    const listed = await call('GET', '/v1/purchase-orders', KEYS.operator);
    assert.ok(!listed.body.items.some((i: { poNumber: string }) => i.poNumber === 'PO-BAD' || i.poNumber === 'PO-NOSUP'), 'nothing refused was created');
  });
});
