/**
 * What a partner integration actually sends on a bad day: a mangled URL, a broken gzip body, a
 * NUL byte pasted from a legacy EDI record, a cursor from a different system, an amount the ERP
 * cannot hold. Each must be a 4xx problem the integrator can act on, never a 5xx, and nothing
 * may be left half-started behind it. No Temporal here: every refusal must happen before a
 * purchase order workflow is touched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { problemShape, startApi } from './api-harness';
import type { ApiUnderTest } from './api-harness';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('odd input from partner integrations', () => {
  let api: ApiUnderTest;

  before(async () => {
    api = await startApi();
    const acme = await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', body: { name: 'Acme Industrial Supply', currency: 'USD' } });
    assert.equal(acme.status, 200, acme.text);
  });
  after(async () => {
    await api.close();
  });

  it('answers 400, not 500, when a WMS sends a PO number with broken percent-encoding in the URL', async () => {
    for (const path of ['/v1/purchase-orders/%E0%A4%A', '/v1/purchase-orders/PO-%ZZ/receipts', '/v1/suppliers/%']) {
      const method = path.endsWith('receipts') ? 'POST' : 'GET';
      const key = method === 'POST' ? 'warehouse' : 'operator';
      const response = await api.request(method, path, { key, body: method === 'POST' ? {} : undefined });
      assert.equal(response.status, 400, `${method} ${path}: ${response.text}`);
      assert.equal(problemShape(response).code, 'MALFORMED_URL');
      assert.ok(response.headers.get('x-request-id'));
    }
  });

  it('answers 400, not 500, when a gateway labels a body gzip but sends it plain, and accepts real gzip', async () => {
    const broken = await api.request('PUT', '/v1/suppliers/ACME', {
      key: 'procurement',
      rawBody: JSON.stringify({ name: 'Acme Industrial Supply', currency: 'USD' }),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    assert.equal(broken.status, 400, broken.text);
    problemShape(broken);

    const compressed = gzipSync(JSON.stringify({ name: 'Acme Industrial Supply', currency: 'USD' }));
    const { port } = new URL(api.baseUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: '/v1/suppliers/ACME',
          headers: { authorization: 'Bearer proc-key-0123456789', 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': compressed.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(compressed);
    });
    assert.equal(status, 200);
  });

  it('still sends x-request-id and a problem when a proxy forwards headers too large for Node (431)', async () => {
    const response = await api.request('GET', '/v1/purchase-orders', { key: 'operator', headers: { 'x-forwarded-trace': 'x'.repeat(20_000) } });
    assert.equal(response.status, 431);
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(problemShape(response).status, 431);
  });

  it('answers 415 naming the problem when an ERP connector posts JSON as text/plain, instead of "expected object, received undefined"', async () => {
    const body = JSON.stringify({ name: 'Acme Industrial Supply', currency: 'USD' });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', rawBody: body, headers: { 'content-type': contentType } });
      assert.equal(response.status, 415, `${contentType}: ${response.text}`);
      assert.equal(problemShape(response).code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(response.body.detail, /application\/json/);
    }
    // No body at all is still an invalid body (400), and JSON flavours are accepted.
    assert.equal((await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement' })).status, 400);
    const merge = await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', rawBody: body, headers: { 'content-type': 'application/vnd.acme+json; charset=utf-8' } });
    assert.equal(merge.status, 200, merge.text);
  });

  it('refuses a NUL byte pasted into a supplier name or a PO line with 400 naming the field, instead of failing in the ERP', async () => {
    const supplier = await api.request('PUT', '/v1/suppliers/NUL-SUPPLIER', { key: 'procurement', body: { name: 'Acme\u0000Supply', currency: 'USD' } });
    assert.equal(supplier.status, 400, supplier.text);
    assert.deepEqual(problemShape(supplier) && supplier.body.errors.map((e: { path: string }) => e.path), ['name']);
    assert.equal((await api.request('GET', '/v1/suppliers/NUL-SUPPLIER', { key: 'procurement' })).status, 404, 'nothing was stored');

    const po = await api.request('POST', '/v1/purchase-orders', {
      key: 'procurement',
      body: { poNumber: 'PO-NUL-1', supplierId: 'ACME', currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT-M8', description: 'Hex bolt\u0000M8', quantity: '1', unitPrice: '1.00' }] },
    });
    assert.equal(po.status, 400, po.text);
    assert.deepEqual(po.body.errors.map((e: { path: string }) => e.path), ['lines.0.description']);
  });

  it('answers 400, not 500, for a body nested thousands of levels deep, with or without an Idempotency-Key', async () => {
    const bodies = ['['.repeat(200_000) + ']'.repeat(200_000), '{"name":'.repeat(100_000) + '"x"' + '}'.repeat(100_000)];
    for (const [index, rawBody] of bodies.entries()) {
      for (const headers of [{}, { 'idempotency-key': `deep-body-${index}` }] as Record<string, string>[]) {
        const response = await api.request('PUT', '/v1/suppliers/ACME', { key: 'procurement', rawBody, headers });
        assert.equal(response.status, 400, response.text);
        assert.equal(problemShape(response).code, 'BODY_TOO_DEEP');
      }
    }
    const still = await api.request('GET', '/v1/suppliers/ACME', { key: 'procurement' });
    assert.equal(still.body.name, 'Acme Industrial Supply');
  });

  it('answers 400 INVALID_CURSOR, not 500, for any cursor this API did not hand out', async () => {
    const forged = [
      cursorOf(['0', 'PO-1']),
      cursorOf(['2026', 'PO-1']),
      cursorOf(['+275760-09-13T00:00:00.000Z', 'PO-1']),
      cursorOf(['2026-01-01T00:00:00.000Z', 'PO\u00001']),
    ];
    for (const cursor of forged) {
      const response = await api.request('GET', `/v1/purchase-orders?cursor=${cursor}`, { key: 'finance' });
      assert.equal(response.status, 400, `${Buffer.from(cursor, 'base64url').toString()}: ${response.text}`);
      assert.equal(problemShape(response).code, 'INVALID_CURSOR');
    }
  });

  it('answers 400, not 404, when procurement creates a supplier under an id that is not allowed', async () => {
    for (const id of ['ACME%20CORP', 'A'.repeat(65), '-ACME']) {
      const response = await api.request('PUT', `/v1/suppliers/${id}`, { key: 'procurement', body: { name: 'Acme Corp', currency: 'USD' } });
      assert.equal(response.status, 400, `${id}: ${response.text}`);
      assert.deepEqual(problemShape(response) && response.body.errors.map((e: { path: string }) => e.path), ['supplierId']);
    }
    // Reading a malformed id is still "no such supplier".
    assert.equal((await api.request('GET', '/v1/suppliers/ACME%20CORP', { key: 'procurement' })).status, 404);
  });

  it('refuses a PO whose line amount or total the ERP cannot record (numeric(18,4)) with 400, before any workflow starts', async () => {
    const huge = await api.request('POST', '/v1/purchase-orders', {
      key: 'procurement',
      body: { poNumber: 'PO-HUGE-1', supplierId: 'ACME', currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT-M8', quantity: '99999999999999', unitPrice: '99999999999999.9999' }] },
    });
    assert.equal(huge.status, 400, huge.text);
    assert.equal(problemShape(huge).code, 'AMOUNT_OUT_OF_RANGE');
    assert.deepEqual(huge.body.errors.map((e: { path: string }) => e.path), ['lines.0']);

    // Every line fits, the order total does not.
    const line = (lineNo: number) => ({ lineNo, sku: 'BOLT-M8', quantity: '1', unitPrice: '60000000000000.0000' });
    const total = await api.request('POST', '/v1/purchase-orders', {
      key: 'procurement',
      body: { poNumber: 'PO-HUGE-2', supplierId: 'ACME', currency: 'USD', lines: [line(1), line(2)] },
    });
    assert.equal(total.status, 400, total.text);
    assert.deepEqual(total.body.errors.map((e: { path: string }) => e.path), ['lines']);

    const invoice = await api.request('POST', '/v1/purchase-orders/PO-ANY/invoices', {
      key: 'finance',
      body: { invoiceNumber: 'INV-HUGE', invoiceDate: '2026-12-06', currency: 'USD', lines: [{ lineNo: 1, quantity: '99999999999999', unitPrice: '2.00' }], total: '1.00' },
    });
    assert.equal(invoice.status, 400, invoice.text);
    assert.equal(problemShape(invoice).code, 'AMOUNT_OUT_OF_RANGE');
  });
});
