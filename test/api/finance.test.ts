/**
 * The finance controls through the HTTP API on the real workflow (a worker on the dev server, real
 * PostgreSQL): approval by an approver key, the supplier-wide hold reaching every open PO (and new
 * ones), invoice holds, returns, disputes, the reports as JSON and CSV matching the journals, and
 * the KPIs. Responses are checked against the OpenAPI document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { parse } from 'csv-parse/sync';
import Decimal from 'decimal.js';
import winston from 'winston';
import { openApiDocument } from '../../api/openapi';
import { loadConfig } from '../../temporal-config/env';
import { startWorker } from '../../workers/main';
import type { RunningWorker } from '../../workers/main';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';
import { API_KEYS_ENV, conformance, ok, problemShape, startApi } from './api-harness';
import type { ApiUnderTest } from './api-harness';

const APPROVER_1 = 'approver-key-one-0123456789';
const APPROVER_2 = 'approver-key-two-0123456789';
const TODAY = new Date().toISOString().slice(0, 10);

const po = (poNumber: string, quantity: string, supplierId = 'ACME') => ({
  poNumber,
  supplierId,
  currency: 'USD',
  lines: [{ lineNo: 1, sku: 'BOLT-M8', quantity, unitPrice: '10.00' }],
});

describe('finance controls through the API', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let worker: RunningWorker;
  let client: Client;
  let api: ApiUnderTest;
  const conforms = conformance(openApiDocument());

  before(async () => {
    const address = await testTemporalAddress();
    const namespace = await createTestNamespace(address, 'p2p-finance');
    database = await createTestDatabase();
    const env = {
      NODE_ENV: 'test',
      API_KEYS: `${API_KEYS_ENV},${APPROVER_1}:approver,${APPROVER_2}:approver`,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
      PO_APPROVAL_TIERS: 'USD>=1000:1,USD>=5000:2',
    } as const;
    worker = await startWorker(loadConfig(env), { connection: await NativeConnection.connect({ address }), knex: database.knex, logger: winston.createLogger({ silent: true }) });
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    api = await startApi({ client, database, env });
    for (const supplierId of ['ACME', 'GLOBEX']) {
      await ok(api.request('PUT', `/v1/suppliers/${supplierId}`, { key: 'procurement', body: { name: `${supplierId} Ltd`, currency: 'USD', paymentTerms: { netDays: 0 } } }));
    }
  });

  after(async () => {
    await api?.close();
    await worker?.shutdown();
    await client?.connection.close();
    await database?.drop();
  });

  it('a PO of 1,200 waits for an approver key; procurement cannot approve it; the approver releases it to the supplier', async () => {
    const created = await ok(api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-FIN-APR', '120') }), 201);
    assert.equal(created.body.status, 'pending_approval');
    const forbidden = await api.request('POST', '/v1/purchase-orders/PO-FIN-APR/approval', { key: 'procurement', body: { decision: 'approve', reason: 'mine' } });
    assert.equal(forbidden.status, 403);
    const approved = await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-APR/approval', { key: APPROVER_1, body: { decision: 'approve', reason: 'Budgeted' } }));
    assert.equal(approved.body.status, 'issued');
    conforms('post', '/v1/purchase-orders/{poNumber}/approval', approved);
    const again = await api.request('POST', '/v1/purchase-orders/PO-FIN-APR/approval', { key: APPROVER_2, body: { decision: 'approve', reason: 'late' } });
    assert.equal(again.status, 409);
    assert.equal(problemShape(again).code, 'NO_APPROVAL_PENDING');
    const read = await ok(api.request('GET', '/v1/purchase-orders/PO-FIN-APR', { key: APPROVER_2 }));
    assert.equal(read.body.approvals[0].decisions[0].reason, 'Budgeted');
  });

  it('a supplier hold reaches every open PO of the supplier and the ones issued after it, and its release pays what fell due', async () => {
    for (const n of ['1', '2']) {
      await ok(api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po(`PO-FIN-SH${n}`, '5') }), 201);
      await ok(api.request('POST', `/v1/purchase-orders/PO-FIN-SH${n}/acknowledgement`, { key: 'acme', body: { type: 'accept' } }));
    }
    const past = await api.request('POST', '/v1/suppliers/ACME/payment-hold', { key: 'finance', body: { reason: 'x', releaseOn: TODAY } });
    assert.equal(problemShape(past).code, 'RELEASE_DATE_PASSED');
    const held = await ok(api.request('POST', '/v1/suppliers/ACME/payment-hold', { key: 'finance', body: { reason: 'Bank details being verified' } }), 201);
    conforms('post', '/v1/suppliers/{supplierId}/payment-hold', held);
    assert.ok(['PO-FIN-SH1', 'PO-FIN-SH2'].every((n) => held.body.purchaseOrders.reached.includes(n)), JSON.stringify(held.body));
    const same = await ok(api.request('POST', '/v1/suppliers/ACME/payment-hold', { key: 'finance', body: { reason: 'Bank details being verified' } }));
    assert.equal(same.body.hold.holdId, held.body.hold.holdId);
    const other = await api.request('POST', '/v1/suppliers/ACME/payment-hold', { key: 'finance', body: { reason: 'Something else' } });
    assert.equal(other.status, 409);
    assert.equal(problemShape(other).code, 'PAYMENT_HOLD_EXISTS');
    assert.equal((await ok(api.request('GET', '/v1/suppliers/ACME', { key: 'finance' }))).body.paymentHold.holdId, held.body.hold.holdId);
    const snapshot = await database.knex('purchase_orders').where({ po_number: 'PO-FIN-SH2' }).first('snapshot');
    assert.equal(snapshot.snapshot.supplierHold?.holdId, held.body.hold.holdId, 'the ERP snapshot shows the hold too');

    await ok(api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-FIN-SH3', '5') }), 201);
    const later = await ok(api.request('GET', '/v1/purchase-orders/PO-FIN-SH3', { key: 'finance' }));
    assert.equal(later.body.supplierHold?.holdId, held.body.hold.holdId, 'a PO issued during the hold starts held');

    await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-SH1/receipts', { key: 'warehouse', body: { receiptNumber: 'GR-SH1', lines: [{ lineNo: 1, quantityReceived: '5' }] } }), 201);
    const invoiced = await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-SH1/invoices', { key: 'acme', body: { invoiceNumber: 'INV-SH1', invoiceDate: TODAY, currency: 'USD', lines: [{ lineNo: 1, quantity: '5', unitPrice: '10.00' }], total: '50.00' } }), 201);
    assert.equal(invoiced.body.status, 'scheduled', 'net 0 but held: not paid');
    const kpis = await ok(api.request('GET', '/v1/kpis', { key: 'finance' }));
    assert.equal(kpis.body.paymentHolds.suppliersOnHold, 1);
    assert.equal(kpis.body.paymentHolds.heldInvoices, 1);

    const released = await ok(api.request('DELETE', '/v1/suppliers/ACME/payment-hold', { key: 'finance' }));
    conforms('delete', '/v1/suppliers/{supplierId}/payment-hold', released);
    const paid = await ok(api.request('GET', '/v1/purchase-orders/PO-FIN-SH1', { key: 'finance' }));
    assert.equal(paid.body.supplierHold, undefined);
    assert.equal(paid.body.invoices[0].status, 'paid', 'paid at release');
    const replay = await ok(api.request('DELETE', '/v1/suppliers/ACME/payment-hold', { key: 'finance' }));
    assert.equal(replay.body.releasedHold.holdId, held.body.hold.holdId, 'a second release reaches POs that missed the first');
    const none = await api.request('DELETE', '/v1/suppliers/GLOBEX/payment-hold', { key: 'finance' });
    assert.equal(problemShape(none).code, 'NO_PAYMENT_HOLD');
  });

  it('invoice holds, returns and disputes go through the API with their refusal codes', async () => {
    await ok(api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-FIN-DOC', '10', 'GLOBEX') }), 201);
    await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/acknowledgement', { key: 'globex', body: { type: 'accept' } }));
    await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/receipts', { key: 'warehouse', body: { receiptNumber: 'GR-DOC', lines: [{ lineNo: 1, quantityReceived: '10', expectedQuantity: '10', countedQuantity: '9' }] } }), 201);
    const returned = await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/returns', { key: 'warehouse', body: { rmaNumber: 'RMA-DOC', reason: 'Wrong size', replacement: true, lines: [{ lineNo: 1, quantity: '2' }] } }), 201);
    conforms('post', '/v1/purchase-orders/{poNumber}/returns', returned);
    assert.equal(returned.body.lines[0].receivedQuantity, '8');
    const duplicate = await api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/returns', { key: 'warehouse', body: { rmaNumber: 'RMA-DOC', reason: 'Other', lines: [{ lineNo: 1, quantity: '1' }] } });
    assert.equal(problemShape(duplicate).code, 'DUPLICATE_RETURN');

    const billed = await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/invoices', { key: 'globex', body: { invoiceNumber: 'INV-DOC', invoiceDate: TODAY, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' } }), 201);
    assert.equal(billed.body.status, 'exception', 'billed 10, 8 kept');
    const heldBeforeDispute = await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/invoices/INV-DOC/hold', { key: 'finance', body: { reason: 'Under dispute' } }));
    assert.equal(heldBeforeDispute.body.invoices[0].hold.reason, 'Under dispute');
    const disputed = await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/invoices/INV-DOC/disputes', { key: 'finance', body: { message: 'Two units went back under RMA-DOC' } }), 201);
    conforms('post', '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/disputes', disputed);
    const disputeId = disputed.body.disputes[0].id;
    const stranger = await api.request('POST', `/v1/purchase-orders/PO-FIN-DOC/invoices/INV-DOC/disputes/${disputeId}/replies`, { key: 'acme', body: { message: 'not mine' } });
    assert.equal(stranger.status, 404, 'another supplier cannot see the PO');
    const memo = { creditMemoNumber: 'CM-DOC', invoiceNumber: 'INV-DOC', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' };
    const answered = await ok(api.request('POST', `/v1/purchase-orders/PO-FIN-DOC/invoices/INV-DOC/disputes/${disputeId}/replies`, { key: 'globex', body: { message: 'Credit attached', creditMemo: memo } }), 201);
    assert.equal(answered.body.disputes[0].status, 'resolved');
    assert.equal(answered.body.invoices[0].status, 'scheduled', 'matched after the memo, but still held');
    const released = await ok(api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/invoices/INV-DOC/release', { key: 'finance', body: { reason: 'Dispute settled' } }));
    assert.equal(released.body.invoices[0].status, 'paid');
    const again = await api.request('POST', '/v1/purchase-orders/PO-FIN-DOC/invoices/INV-DOC/release', { key: 'finance', body: {} });
    assert.equal(problemShape(again).code, 'NO_PAYMENT_HOLD');
    const kpis = await ok(api.request('GET', '/v1/kpis?grniOlderThanDays=0', { key: 'operator' }));
    conforms('get', '/v1/kpis', kpis);
    assert.deepEqual([kpis.body.inventoryAccuracy.countedLines, kpis.body.inventoryAccuracy.accurateLines, kpis.body.inventoryAccuracy.quantityAccuracy], [1, 0, 0.9]);
  });

  it('the reports answer JSON or CSV with the same rows, and add up to the journals', async () => {
    const trial = await ok(api.request('GET', '/v1/reports/trial-balance', { key: 'finance' }));
    conforms('get', '/v1/reports/trial-balance', trial);
    const lines = await database.knex('journal_lines').select('account', 'debit', 'credit');
    for (const row of trial.body.rows) {
      const mine = lines.filter((l: { account: string }) => l.account === row.account);
      const balance = mine.reduce((t: Decimal, l: { debit: string; credit: string }) => t.plus(l.debit).minus(l.credit), new Decimal(0));
      assert.equal(row.balance, balance.toFixed(2), row.account);
    }
    const csv = await ok(api.request('GET', '/v1/reports/trial-balance', { key: 'operator', headers: { accept: 'text/csv' } }));
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    conforms('get', '/v1/reports/trial-balance', csv);
    const parsed = parse(csv.text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(parsed, trial.body.rows.map((row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]))));

    const grni = await ok(api.request('GET', '/v1/reports/grni-accrual', { key: 'finance' }));
    const grniBalance = trial.body.rows.find((r: { account: string }) => r.account === 'GRNI');
    assert.equal(new Decimal(grni.body.totals[0]?.amount ?? 0).toFixed(2), new Decimal(grniBalance?.balance ?? 0).negated().toFixed(2));
    const aging = await ok(api.request('GET', `/v1/reports/ap-aging?asOf=${TODAY}`, { key: 'finance', headers: { accept: 'text/csv' } }));
    conforms('get', '/v1/reports/ap-aging', aging);
    const ppv = await ok(api.request('GET', `/v1/reports/ppv?from=${TODAY}&to=${TODAY}`, { key: 'finance' }));
    conforms('get', '/v1/reports/ppv', ppv);
    const bad = await api.request('GET', '/v1/reports/ppv?from=2026-12-31&to=2026-01-01', { key: 'finance' });
    assert.equal(bad.status, 400);
    const forbidden = await api.request('GET', '/v1/reports/trial-balance', { key: 'acme' });
    assert.equal(forbidden.status, 403);
  });
});
