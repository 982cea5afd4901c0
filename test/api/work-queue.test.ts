/**
 * Finance's work queue through the API on the real workflow (a worker on the dev server, real
 * PostgreSQL): open exceptions across POs, filtered, sorted and paged, as JSON and CSV; a decided
 * exception leaves the queue; a PO's journal; the PO list as CSV. Responses are checked against
 * the OpenAPI document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { parse } from 'csv-parse/sync';
import winston from 'winston';
import { openApiDocument } from '../../api/openapi';
import { startWorker } from '../../workers/main';
import type { RunningWorker } from '../../workers/main';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';
import { conformance, ok, problemShape, stackConfig, startApi } from './api-harness';
import type { ApiResponse, ApiUnderTest, KeyName } from './api-harness';

const TODAY = new Date().toISOString().slice(0, 10);

describe('the work queue through the API', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let worker: RunningWorker;
  let client: Client;
  let api: ApiUnderTest;
  const conforms = conformance(openApiDocument());

  /** A PO of 10 × 10.00, acknowledged and received, invoiced at `unitPrice`: above 10.00 it is held with PRICE_VARIANCE. */
  async function invoicedPo(poNumber: string, supplier: KeyName, supplierId: string, unitPrice: string, quantity = '10'): Promise<void> {
    await ok(api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: { poNumber, supplierId, currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT-M8', quantity, unitPrice: '10.00' }] } }), 201);
    await ok(api.request('POST', `/v1/purchase-orders/${poNumber}/acknowledgement`, { key: supplier, body: { type: 'accept' } }));
    await ok(api.request('POST', `/v1/purchase-orders/${poNumber}/receipts`, { key: 'warehouse', body: { receiptNumber: `GR-${poNumber}`, lines: [{ lineNo: 1, quantityReceived: quantity }] } }), 201);
    const total = (Number(unitPrice) * Number(quantity)).toFixed(2);
    await ok(api.request('POST', `/v1/purchase-orders/${poNumber}/invoices`, { key: supplier, body: { invoiceNumber: `INV-${poNumber}`, invoiceDate: TODAY, currency: 'USD', lines: [{ lineNo: 1, quantity, unitPrice }], total } }), 201);
  }

  before(async () => {
    const address = await testTemporalAddress();
    const namespace = await createTestNamespace(address, 'p2p-work-queue');
    database = await createTestDatabase();
    const config = stackConfig(database, address, namespace);
    worker = await startWorker(config, { connection: await NativeConnection.connect({ address }), knex: database.knex, logger: winston.createLogger({ silent: true }) });
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    api = await startApi({ client, database, env: { TEMPORAL_NAMESPACE: namespace } });
    for (const supplierId of ['ACME', 'GLOBEX']) {
      await ok(api.request('PUT', `/v1/suppliers/${supplierId}`, { key: 'procurement', body: { name: `${supplierId} Ltd`, currency: 'USD', paymentTerms: { netDays: 0 } } }));
    }
    await invoicedPo('PO-WQ-1', 'acme', 'ACME', '12.00');
    await invoicedPo('PO-WQ-2', 'globex', 'GLOBEX', '15.00');
    await invoicedPo('PO-WQ-3', 'acme', 'ACME', '11.00', '20');
    await invoicedPo('PO-WQ-OK', 'acme', 'ACME', '10.00');
  });

  after(async () => {
    await api?.close();
    await worker?.shutdown();
    await client?.connection.close();
    await database?.drop();
  });

  it('lists every open exception across POs, oldest first, with reasons, amount and age; the matched invoice is not there', async () => {
    const listed = await ok(api.request('GET', '/v1/exceptions', { key: 'finance' }));
    conforms('get', '/v1/exceptions', listed);
    assert.deepEqual(listed.body.items.map((item: any) => item.poNumber), ['PO-WQ-1', 'PO-WQ-2', 'PO-WQ-3']);
    const first = listed.body.items[0];
    assert.equal(first.supplierId, 'ACME');
    assert.equal(first.invoiceNumber, 'INV-PO-WQ-1');
    assert.equal(first.code, 'MATCH_EXCEPTION');
    assert.equal(first.amount, '120.00');
    assert.equal(first.ageDays, 0);
    assert.equal(first.escalatedAt, null);
    const variance = first.reasons.find((reason: any) => reason.code === 'PRICE_VARIANCE');
    assert.deepEqual([variance.expected, variance.actual], ['10.00', '12.00']);
    assert.equal(listed.body.nextCursor, null);
  });

  it('sorts by amount, filters by supplier and reason, and pages with a cursor and a Link header', async () => {
    const byAmount = await ok(api.request('GET', '/v1/exceptions?sort=-amount', { key: 'operator' }));
    assert.deepEqual(byAmount.body.items.map((item: any) => item.amount), ['220.00', '150.00', '120.00']);
    const acme = await ok(api.request('GET', '/v1/exceptions?supplierId=ACME&reason=PRICE_VARIANCE', { key: 'finance' }));
    assert.deepEqual(acme.body.items.map((item: any) => item.poNumber), ['PO-WQ-1', 'PO-WQ-3']);
    const none = await ok(api.request('GET', '/v1/exceptions?reason=PAYMENT_FAILED', { key: 'finance' }));
    assert.deepEqual(none.body.items, []);

    const firstPage = await ok(api.request('GET', '/v1/exceptions?sort=amount&limit=2', { key: 'finance' }));
    assert.deepEqual(firstPage.body.items.map((item: any) => item.amount), ['120.00', '150.00']);
    const link = firstPage.headers.get('link') ?? '';
    const next = /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
    assert.ok(next, link);
    const secondPage = await ok(api.request('GET', next, { key: 'finance' }));
    assert.deepEqual(secondPage.body.items.map((item: any) => item.amount), ['220.00']);
    assert.equal(secondPage.body.nextCursor, null);
  });

  it('answers CSV with Accept: text/csv, for exceptions and for the PO list', async () => {
    const csv = await ok(api.request('GET', '/v1/exceptions', { key: 'finance', headers: { accept: 'text/csv' } }));
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    conforms('get', '/v1/exceptions', csv);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows.map((row) => [row.poNumber, row.reasonCodes, row.amount]), [
      ['PO-WQ-1', 'PRICE_VARIANCE', '120.00'],
      ['PO-WQ-2', 'PRICE_VARIANCE', '150.00'],
      ['PO-WQ-3', 'PRICE_VARIANCE', '220.00'],
    ]);

    const list = await ok(api.request('GET', '/v1/purchase-orders?supplierId=ACME', { key: 'procurement', headers: { accept: 'text/csv' } }));
    conforms('get', '/v1/purchase-orders', list);
    const pos = parse(list.text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(pos.map((row) => row.poNumber).sort(), ['PO-WQ-1', 'PO-WQ-3', 'PO-WQ-OK']);
    assert.equal(pos.find((row) => row.poNumber === 'PO-WQ-1')?.hasOpenException, 'true');
  });

  it('refuses other roles, a bad query and a forged cursor, and changes nothing', async () => {
    for (const key of ['procurement', 'warehouse', 'acme'] as const) {
      const refused = await api.request('GET', '/v1/exceptions', { key });
      assert.equal(refused.status, 403, key);
      problemShape(refused);
      assert.equal((await api.request('GET', '/v1/purchase-orders/PO-WQ-1/journal', { key })).status, 403, key);
    }
    const badSort = await api.request('GET', '/v1/exceptions?sort=size', { key: 'finance' });
    assert.equal(badSort.status, 400);
    assert.equal(problemShape(badSort).status, 400);
    const forged = await api.request('GET', '/v1/exceptions?cursor=bm9wZQ', { key: 'finance' });
    assert.equal(forged.status, 400);
    assert.equal(problemShape(forged).code, 'INVALID_CURSOR');
    const otherSort = await ok(api.request('GET', '/v1/exceptions?sort=amount&limit=1', { key: 'finance' }));
    const mixed = await api.request('GET', `/v1/exceptions?sort=-age&cursor=${otherSort.body.nextCursor}`, { key: 'finance' });
    assert.equal(problemShape(mixed).code, 'INVALID_CURSOR');
  });

  it('a decided exception leaves the queue, and the PO\'s journal shows the receipt, the invoice and the payment', async () => {
    await ok(api.request('POST', '/v1/purchase-orders/PO-WQ-1/invoices/INV-PO-WQ-1/resolution', { key: 'finance', headers: { 'idempotency-key': 'wq-1-approve' }, body: { action: 'approve', reason: 'Price rise agreed by phone' } }));
    const listed = await ok(api.request('GET', '/v1/exceptions', { key: 'finance' }));
    assert.deepEqual(listed.body.items.map((item: any) => item.poNumber), ['PO-WQ-2', 'PO-WQ-3']);

    let journal: ApiResponse<any> | undefined;
    for (let attempt = 0; attempt < 120; attempt++) {
      journal = await ok(api.request('GET', '/v1/purchase-orders/PO-WQ-1/journal', { key: 'finance' }));
      if (journal.body.entries.some((entry: any) => entry.lines.some((line: any) => line.account === 'BANK'))) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    conforms('get', '/v1/purchase-orders/{poNumber}/journal', journal!);
    const accounts = new Set(journal!.body.entries.flatMap((entry: any) => entry.lines.map((line: any) => line.account)));
    for (const account of ['INVENTORY', 'GRNI', 'AP', 'BANK']) assert.ok(accounts.has(account), `${account} in ${[...accounts].join(', ')}`);
    for (const entry of journal!.body.entries) {
      const debit = entry.lines.reduce((sum: number, line: any) => sum + Number(line.debit), 0);
      const credit = entry.lines.reduce((sum: number, line: any) => sum + Number(line.credit), 0);
      assert.equal(debit.toFixed(2), credit.toFixed(2), entry.description);
    }
    const unknown = await api.request('GET', '/v1/purchase-orders/PO-NOPE/journal', { key: 'operator' });
    assert.equal(unknown.status, 404);
    conforms('get', '/v1/purchase-orders/{poNumber}/journal', unknown);
  });
});
