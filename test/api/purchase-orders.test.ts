/**
 * The API in front of the real purchase order workflow: a worker running the workflow code and
 * the real activities in-process, a real Temporal dev server (own namespace), a real PostgreSQL
 * database. Scenarios a buyer, a supplier, a warehouse clerk and an AP clerk would recognise.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import fc from 'fast-check';
import winston from 'winston';
import { toApiError } from '../../api/errors';
import { openApiDocument } from '../../api/openapi';
import { PurchaseOrderGateway } from '../../api/gateway';
import { PO_NUMBER, SUPPLIER_ID } from '../../workflows/purchase-order/definitions';
import { CreatePurchaseOrder } from '../../workflows/domain/schemas';
import { WORKFLOW_TYPE, cancel, workflowId } from '../../workflows/purchase-order/definitions';
import { startWorker } from '../../workers/main';
import type { RunningWorker } from '../../workers/main';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';
import { ALL_KEYS, conformance, problemShape, stackConfig, startApi } from './api-harness';
import type { ApiResponse, ApiUnderTest, KeyName } from './api-harness';

const po = (poNumber: string, supplierId = 'ACME', quantity = '10', unitPrice = '12.50') => ({
  poNumber,
  supplierId,
  currency: 'USD',
  buyer: 'jane.buyer@distributor.example',
  lines: [{ lineNo: 1, sku: 'BOLT-M8', description: 'Hex bolt M8x40', quantity, unitPrice, requestedDate: '2026-12-10' }],
});

interface WriteEndpoint {
  name: string;
  path: (poNumber: string) => string;
  template: string;
  roles: KeyName[];
}

const WRITE_ENDPOINTS: WriteEndpoint[] = [
  { name: 'acknowledgement', path: (n) => `/v1/purchase-orders/${n}/acknowledgement`, template: '/v1/purchase-orders/{poNumber}/acknowledgement', roles: ['acme', 'globex'] },
  { name: 'change-decision', path: (n) => `/v1/purchase-orders/${n}/change-decision`, template: '/v1/purchase-orders/{poNumber}/change-decision', roles: ['procurement'] },
  { name: 'changes', path: (n) => `/v1/purchase-orders/${n}/changes`, template: '/v1/purchase-orders/{poNumber}/changes', roles: ['procurement'] },
  { name: 'cancel', path: (n) => `/v1/purchase-orders/${n}/cancel`, template: '/v1/purchase-orders/{poNumber}/cancel', roles: ['procurement'] },
  { name: 'asns', path: (n) => `/v1/purchase-orders/${n}/asns`, template: '/v1/purchase-orders/{poNumber}/asns', roles: ['acme', 'globex'] },
  { name: 'receipts', path: (n) => `/v1/purchase-orders/${n}/receipts`, template: '/v1/purchase-orders/{poNumber}/receipts', roles: ['warehouse'] },
  { name: 'invoices', path: (n) => `/v1/purchase-orders/${n}/invoices`, template: '/v1/purchase-orders/{poNumber}/invoices', roles: ['acme', 'globex', 'finance'] },
  { name: 'credit-memos', path: (n) => `/v1/purchase-orders/${n}/credit-memos`, template: '/v1/purchase-orders/{poNumber}/credit-memos', roles: ['acme', 'globex', 'finance'] },
  {
    name: 'resolution',
    path: (n) => `/v1/purchase-orders/${n}/invoices/INV-1/resolution`,
    template: '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/resolution',
    roles: ['finance'],
  },
  {
    name: 'payment-status',
    path: (n) => `/v1/purchase-orders/${n}/invoices/INV-1/payment-status`,
    template: '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/payment-status',
    roles: ['finance'],
  },
];

describe('purchase orders through the API, on the real workflow', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let worker: RunningWorker;
  let client: Client;
  let api: ApiUnderTest;
  let address: string;
  const conforms = conformance(openApiDocument());

  before(async () => {
    address = await testTemporalAddress();
    const namespace = await createTestNamespace(address, 'p2p-api');
    database = await createTestDatabase();
    const config = stackConfig(database, address, namespace);
    const logger = winston.createLogger({ silent: true });
    worker = await startWorker(config, { connection: await NativeConnection.connect({ address }), knex: database.knex, logger });
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    api = await startApi({ client, database, env: { TEMPORAL_NAMESPACE: namespace } });

    for (const [supplierId, name] of [['ACME', 'Acme Industrial Supply'], ['GLOBEX', 'Globex Corporation']] as const) {
      const response = await api.request('PUT', `/v1/suppliers/${supplierId}`, {
        key: 'procurement',
        body: { name, currency: 'USD', paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 } },
      });
      assert.equal(response.status, 200);
      conforms('put', '/v1/suppliers/{supplierId}', response);
    }
  });

  after(async () => {
    await api?.close();
    await worker?.shutdown();
    await client?.connection.close();
    await database?.drop();
  });

  describe('operations', () => {
    it('is ready when Temporal and the database answer', async () => {
      const ready = await api.request('GET', '/readyz');
      assert.equal(ready.status, 200, ready.text);
      assert.equal(ready.body.status, 'ready');
      assert.deepEqual(ready.body.checks.temporal, { ok: true });
      assert.deepEqual(ready.body.checks.database, { ok: true });
      assert.equal(ready.body.checks.workers.ok, true);
      assert.ok(ready.body.checks.workers.pollers >= 1);
      conforms('get', '/readyz', ready);
    });
  });

  describe('issuing a purchase order', () => {
    it('issues PO-API-1 with 201, and answers 200 with the same result when the buyer app retries the same body', async () => {
      const created = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-1') });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body, { poNumber: 'PO-API-1', workflowId: 'purchase-order:PO-API-1', status: 'issued' });
      conforms('post', '/v1/purchase-orders', created);

      // Same meaning, different key order and an explicit default: the same PO.
      const body = po('PO-API-1');
      const retried = await api.request('POST', '/v1/purchase-orders', {
        key: 'procurement',
        body: { lines: body.lines.map((line) => ({ ...line, kind: 'goods', uom: 'EA' })), currency: 'USD', supplierId: 'ACME', buyer: body.buyer, poNumber: 'PO-API-1' },
      });
      assert.equal(retried.status, 200, retried.text);
      assert.deepEqual(retried.body, created.body);
      conforms('post', '/v1/purchase-orders', retried);
    });

    it('answers one of several identical POSTs racing for a new PO number with 201 and the others with 200', async () => {
      // A supplier of its own, so the listings the other tests check stay as they are.
      const supplier = await api.request('PUT', '/v1/suppliers/INITECH', { key: 'procurement', body: { name: 'Initech', currency: 'USD', paymentTerms: { netDays: 30 } } });
      assert.equal(supplier.status, 200, supplier.text);
      const answers = await Promise.all(Array.from({ length: 4 }, () => api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-RACE', 'INITECH') })));
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 200, 200, 201], answers.map((answer) => answer.text).join('\n'));
      for (const answer of answers) assert.deepEqual(answer.body, { poNumber: 'PO-API-RACE', workflowId: 'purchase-order:PO-API-RACE', status: 'issued' });

      const { typedSearchAttributes } = await client.workflow.getHandle(workflowId('PO-API-RACE')).describe();
      assert.equal(typedSearchAttributes.get(PO_NUMBER), 'PO-API-RACE');
      assert.equal(typedSearchAttributes.get(SUPPLIER_ID), 'INITECH');
    });

    it('refuses the same PO number with another body (409) and an unknown supplier (422)', async () => {
      const other = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-1', 'ACME', '11') });
      assert.equal(other.status, 409);
      assert.equal(problemShape(other).code, 'PURCHASE_ORDER_EXISTS');
      conforms('post', '/v1/purchase-orders', other);

      const unknown = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-X', 'NO-SUCH-SUPPLIER') });
      assert.equal(unknown.status, 422);
      assert.equal(problemShape(unknown).code, 'UNKNOWN_SUPPLIER');
      conforms('post', '/v1/purchase-orders', unknown);
    });

    it('lets only procurement issue purchase orders', async () => {
      for (const key of ALL_KEYS.filter((k) => k !== 'procurement')) {
        const response = await api.request('POST', '/v1/purchase-orders', { key, body: po('PO-API-NOPE') });
        assert.equal(response.status, 403, key);
      }
    });

    it('shows the new PO in the listing at once, and a supplier only its own', async () => {
      const created = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-G1', 'GLOBEX') });
      assert.equal(created.status, 201);

      const all = await api.request('GET', '/v1/purchase-orders?limit=50', { key: 'operator' });
      assert.equal(all.status, 200);
      conforms('get', '/v1/purchase-orders', all);
      const numbers = (all.body.items as { poNumber: string }[]).map((item) => item.poNumber);
      assert.ok(numbers.includes('PO-API-1') && numbers.includes('PO-API-G1'), numbers.join());

      const acme = await api.request('GET', '/v1/purchase-orders?supplierId=GLOBEX', { key: 'acme' });
      assert.deepEqual((acme.body.items as { supplierId: string }[]).map((item) => item.supplierId), ['ACME']);
      const globexOnly = await api.request('GET', '/v1/purchase-orders?supplierId=GLOBEX', { key: 'finance' });
      assert.deepEqual((globexOnly.body.items as { poNumber: string }[]).map((item) => item.poNumber), ['PO-API-G1']);
      const issued = await api.request('GET', '/v1/purchase-orders?status=issued&hasException=false&limit=1', { key: 'procurement' });
      assert.equal(issued.body.items.length, 1);
      assert.equal(typeof issued.body.nextCursor, 'string');
      const next = await api.request('GET', `/v1/purchase-orders?status=issued&limit=1&cursor=${encodeURIComponent(issued.body.nextCursor as string)}`, { key: 'procurement' });
      assert.equal(next.status, 200);
      assert.notEqual(next.body.items[0].poNumber, issued.body.items[0].poNumber);
    });
  });

  describe('who may see a purchase order', () => {
    it('shows PO-API-1 to every internal role and to ACME; GLOBEX gets the same 404 as for a PO that does not exist', async () => {
      for (const key of ALL_KEYS) {
        const response = await api.request('GET', '/v1/purchase-orders/PO-API-1', { key });
        if (key === 'globex') {
          assert.equal(response.status, 404);
          const missing = await api.request('GET', '/v1/purchase-orders/PO-NEVER-ISSUED', { key: 'globex' });
          assert.equal(missing.status, 404);
          assert.equal(problemShape(response).code, problemShape(missing).code);
          conforms('get', '/v1/purchase-orders/{poNumber}', response);
        } else {
          assert.equal(response.status, 200, `${key}: ${response.text}`);
          assert.equal(response.body.poNumber, 'PO-API-1');
          assert.equal(response.body.status, 'issued');
          conforms('get', '/v1/purchase-orders/{poNumber}', response);
        }
      }
    });

    it('gives GLOBEX word for word the same 404 for ACME\'s PO as for a PO never issued, on reads and on every document it may send', async () => {
      const asn = { asnNumber: 'ASN-PROBE', shipDate: '2026-12-01', lines: [{ lineNo: 1, quantity: '1' }] };
      const invoice = { invoiceNumber: 'INV-PROBE', invoiceDate: '2026-12-06', currency: 'USD', lines: [{ lineNo: 1, quantity: '1', unitPrice: '12.50' }], total: '12.50' };
      const memo = { creditMemoNumber: 'CM-PROBE', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '1', unitPrice: '12.50' }], total: '12.50' };
      const attempts: [string, string, unknown][] = [
        ['GET', '', undefined],
        ['POST', '/acknowledgement', { type: 'accept' }],
        ['POST', '/asns', asn],
        ['POST', '/invoices', invoice],
        ['POST', '/credit-memos', memo],
      ];
      const seen = (response: ApiResponse<any>, poNumber: string) => {
        const { type, title, status, detail, code } = problemShape(response);
        return { type, title, status, detail: detail.replaceAll(poNumber, '<po>'), code };
      };
      for (const [method, suffix, body] of attempts) {
        const theirs = await api.request(method, `/v1/purchase-orders/PO-API-1${suffix}`, { key: 'globex', body });
        const nobodys = await api.request(method, `/v1/purchase-orders/PO-NEVER-ISSUED${suffix}`, { key: 'globex', body });
        assert.equal(theirs.status, 404, `${method} ${suffix}: ${theirs.text}`);
        assert.deepEqual(seen(theirs, 'PO-API-1'), seen(nobodys, 'PO-NEVER-ISSUED'), `${method} ${suffix || '(read)'} tells the two apart`);
      }
    });
  });

  describe('the role × endpoint permission matrix on commands', () => {
    it('answers 403 to every role an endpoint is not for, and 404 to another supplier, before anything reaches the PO', async () => {
      const before = await api.request('GET', '/v1/purchase-orders/PO-API-1', { key: 'operator' });
      for (const endpoint of WRITE_ENDPOINTS) {
        for (const key of ALL_KEYS) {
          if (endpoint.roles.includes(key) && key !== 'globex') continue;
          const response = await api.request('POST', endpoint.path('PO-API-1'), { key, body: {} });
          const expected = key === 'globex' && endpoint.roles.includes('globex') ? [400, 404] : [403];
          assert.ok(expected.includes(response.status), `${key} on ${endpoint.name}: ${response.status} ${response.text}`);
          problemShape(response);
        }
      }
      // With a valid body, GLOBEX still cannot learn that ACME's PO exists.
      const asn = await api.request('POST', '/v1/purchase-orders/PO-API-1/asns', {
        key: 'globex',
        body: { asnNumber: 'ASN-SPY', shipDate: '2026-12-01', lines: [{ lineNo: 1, quantity: '1' }] },
      });
      assert.equal(asn.status, 404);
      const ack = await api.request('POST', '/v1/purchase-orders/PO-API-1/acknowledgement', { key: 'globex', body: { type: 'accept' } });
      assert.equal(ack.status, 404);
      const after = await api.request('GET', '/v1/purchase-orders/PO-API-1', { key: 'operator' });
      assert.deepEqual(after.body, before.body, 'refused commands changed the PO');
    });
  });

  describe('from acknowledgement to payment', () => {
    it('ACME acknowledges, ships, the warehouse receives, ACME invoices: each step answers with the documented status codes', async () => {
      const ack = await api.request('POST', '/v1/purchase-orders/PO-API-1/acknowledgement', {
        key: 'acme',
        body: { type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: '2026-12-09' }] },
      });
      assert.equal(ack.status, 200, ack.text);
      assert.equal(ack.body.status, 'acknowledged');
      conforms('post', '/v1/purchase-orders/{poNumber}/acknowledgement', ack);

      const tooMuch = await api.request('POST', '/v1/purchase-orders/PO-API-1/asns', {
        key: 'acme',
        body: { asnNumber: 'ASN-BIG', shipDate: '2026-12-05', lines: [{ lineNo: 1, quantity: '12' }] },
      });
      assert.equal(tooMuch.status, 422, tooMuch.text);
      assert.equal(problemShape(tooMuch).code, 'ASN_EXCEEDS_OPEN_QUANTITY');
      conforms('post', '/v1/purchase-orders/{poNumber}/asns', tooMuch);

      const asnBody = { asnNumber: 'ASN-1', shipDate: '2026-12-05', carrier: 'UPS', lines: [{ lineNo: 1, quantity: '10' }] };
      const asn = await api.request('POST', '/v1/purchase-orders/PO-API-1/asns', { key: 'acme', body: asnBody });
      assert.equal(asn.status, 201, asn.text);
      assert.equal(asn.body.status, 'in_transit');
      conforms('post', '/v1/purchase-orders/{poNumber}/asns', asn);
      const asnAgain = await api.request('POST', '/v1/purchase-orders/PO-API-1/asns', { key: 'acme', body: asnBody });
      assert.equal(asnAgain.status, 201, 'the same ASN again returns the first result');
      assert.equal(asnAgain.body.asns.length, 1);
      const asnOther = await api.request('POST', '/v1/purchase-orders/PO-API-1/asns', { key: 'acme', body: { ...asnBody, carrier: 'DHL' } });
      assert.equal(asnOther.status, 409, asnOther.text);

      const receipt = await api.request('POST', '/v1/purchase-orders/PO-API-1/receipts', {
        key: 'warehouse',
        body: { receiptNumber: 'GR-1', lines: [{ lineNo: 1, quantityReceived: '10' }] },
      });
      assert.equal(receipt.status, 201, receipt.text);
      assert.equal(receipt.body.status, 'received');
      conforms('post', '/v1/purchase-orders/{poNumber}/receipts', receipt);

      const invoiceBody = {
        invoiceNumber: 'INV-1',
        invoiceDate: '2026-12-06',
        currency: 'USD',
        lines: [{ lineNo: 1, quantity: '10', unitPrice: '12.50' }],
        total: '125.00',
      };
      const invoice = await api.request('POST', '/v1/purchase-orders/PO-API-1/invoices', { key: 'acme', body: invoiceBody });
      assert.equal(invoice.status, 201, invoice.text);
      assert.equal(invoice.body.invoiceNumber, 'INV-1');
      assert.equal(invoice.body.match.status, 'matched');
      conforms('post', '/v1/purchase-orders/{poNumber}/invoices', invoice);

      const invoiceAgain = await api.request('POST', '/v1/purchase-orders/PO-API-1/invoices', { key: 'acme', body: invoiceBody });
      assert.equal(invoiceAgain.status, 201);
      assert.equal(invoiceAgain.body.invoiceNumber, 'INV-1');

      const sameNumberOtherBody = await api.request('POST', '/v1/purchase-orders/PO-API-1/invoices', {
        key: 'acme',
        body: { ...invoiceBody, invoiceNumber: 'inv 1', total: '125.01' },
      });
      assert.equal(sameNumberOtherBody.status, 409, sameNumberOtherBody.text);
      assert.equal(problemShape(sameNumberOtherBody).code, 'DUPLICATE_INVOICE');
      conforms('post', '/v1/purchase-orders/{poNumber}/invoices', sameNumberOtherBody);
    });

    it('refuses the same invoice number from the same supplier on another PO with 409 DUPLICATE_INVOICE', async () => {
      const created = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-3') });
      assert.equal(created.status, 201);
      const response = await api.request('POST', '/v1/purchase-orders/PO-API-3/invoices', {
        key: 'finance',
        body: { invoiceNumber: 'INV-1', invoiceDate: '2026-12-06', currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '12.50' }], total: '125.00' },
      });
      assert.equal(response.status, 409, response.text);
      assert.equal(problemShape(response).code, 'DUPLICATE_INVOICE');
    });

    it('lets finance act on invoices (business refusals are 409/422 problems, never 403) and read KPIs', async () => {
      const resolution = await api.request('POST', '/v1/purchase-orders/PO-API-1/invoices/INV-1/resolution', {
        key: 'finance',
        body: { action: 'approve', reason: 'No exception to resolve' },
      });
      assert.ok([409, 422].includes(resolution.status), resolution.text);
      assert.ok(problemShape(resolution).code);
      conforms('post', '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/resolution', resolution);

      const unknownInvoice = await api.request('POST', '/v1/purchase-orders/PO-API-1/invoices/INV-404/payment-status', {
        key: 'finance',
        body: { status: 'cleared' },
      });
      assert.equal(unknownInvoice.status, 404, unknownInvoice.text);

      const memo = await api.request('POST', '/v1/purchase-orders/PO-API-1/credit-memos', {
        key: 'finance',
        body: { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', lines: [{ lineNo: 1, quantity: '1', unitPrice: '12.50' }], total: '12.50' },
      });
      assert.ok(memo.status === 201 || memo.status === 409 || memo.status === 422, memo.text);
      if (memo.status === 201) conforms('post', '/v1/purchase-orders/{poNumber}/credit-memos', memo);

      const kpis = await api.request('GET', '/v1/kpis', { key: 'finance' });
      assert.equal(kpis.status, 200);
      conforms('get', '/v1/kpis', kpis);
      assert.ok(kpis.body.invoiceMatching.invoices >= 1);
      assert.equal(kpis.body.acknowledgementCycleTime.acknowledgedPurchaseOrders, 1);
    });
  });

  describe('buyer changes and cancellation', () => {
    it('refuses to approve a supplier price change (10.00 → 11.00) after the goods arrived with 409 CHANGE_AFTER_RECEIPT; rejected, the invoice at 10.00 matches', async () => {
      assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-LEDGER', 'ACME', '10', '10.00') })).status, 201);
      const proposed = await api.request('POST', '/v1/purchase-orders/PO-API-LEDGER/acknowledgement', {
        key: 'acme',
        body: { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', unitPrice: '11.00' }] },
      });
      assert.equal(proposed.status, 200, proposed.text);
      const received = await api.request('POST', '/v1/purchase-orders/PO-API-LEDGER/receipts', { key: 'warehouse', body: { receiptNumber: 'GR-LEDGER', lines: [{ lineNo: 1, quantityReceived: '10' }] } });
      assert.equal(received.status, 201, received.text);

      const approved = await api.request('POST', '/v1/purchase-orders/PO-API-LEDGER/change-decision', { key: 'procurement', body: { decision: 'approve' } });
      assert.equal(approved.status, 409, approved.text);
      assert.equal(problemShape(approved).code, 'CHANGE_AFTER_RECEIPT');
      conforms('post', '/v1/purchase-orders/{poNumber}/change-decision', approved);
      const rejected = await api.request('POST', '/v1/purchase-orders/PO-API-LEDGER/change-decision', { key: 'procurement', body: { decision: 'reject', reason: 'Received at 10.00' } });
      assert.equal(rejected.status, 200, rejected.text);
      assert.equal(rejected.body.lines[0].agreedUnitPrice, '10.00');
      const ack = await api.request('POST', '/v1/purchase-orders/PO-API-LEDGER/acknowledgement', { key: 'acme', body: { type: 'accept' } });
      assert.equal(ack.status, 200, ack.text);
      const invoiced = await api.request('POST', '/v1/purchase-orders/PO-API-LEDGER/invoices', {
        key: 'acme',
        body: { invoiceNumber: 'INV-LEDGER', invoiceDate: '2026-12-01', currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' },
      });
      assert.equal(invoiced.status, 201, invoiced.text);
      assert.notEqual(invoiced.body.status, 'exception', invoiced.text);
    });

    it('lets procurement change and cancel a PO before receipt, and refuses cancel after receipt with 409', async () => {
      const created = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-2') });
      assert.equal(created.status, 201);

      const noChanges = await api.request('POST', '/v1/purchase-orders/PO-API-2/change-decision', { key: 'procurement', body: { decision: 'approve' } });
      assert.equal(noChanges.status, 409, noChanges.text);
      assert.equal(problemShape(noChanges).code, 'NO_CHANGES_PENDING');

      const changed = await api.request('POST', '/v1/purchase-orders/PO-API-2/changes', {
        key: 'procurement',
        body: { lines: [{ lineNo: 1, action: 'change', quantity: '12' }], reason: 'Demand increase' },
        headers: { 'idempotency-key': 'change-po-api-2-1' },
      });
      assert.equal(changed.status, 200, changed.text);
      assert.equal(changed.body.lines[0].quantity, '12');
      conforms('post', '/v1/purchase-orders/{poNumber}/changes', changed);
      const replayed = await api.request('POST', '/v1/purchase-orders/PO-API-2/changes', {
        key: 'procurement',
        body: { lines: [{ lineNo: 1, action: 'change', quantity: '12' }], reason: 'Demand increase' },
        headers: { 'idempotency-key': 'change-po-api-2-1' },
      });
      assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
      assert.equal(replayed.text, changed.text);

      const cancelled = await api.request('POST', '/v1/purchase-orders/PO-API-2/cancel', { key: 'procurement', body: { reason: 'Customer order cancelled' } });
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.equal(cancelled.body.status, 'cancelled');
      conforms('post', '/v1/purchase-orders/{poNumber}/cancel', cancelled);

      // A cancelled PO is finished: re-sending its create body still answers 200, another body 409.
      const resent = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-2') });
      assert.equal(resent.status, 200, resent.text);
      assert.equal(resent.body.status, 'cancelled');
      const otherBody = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-2', 'ACME', '3') });
      assert.equal(otherBody.status, 409, otherBody.text);

      // Its workflow has finished; a late document is refused as a conflict, not "not found".
      const lateAsn = await api.request('POST', '/v1/purchase-orders/PO-API-2/asns', {
        key: 'acme',
        body: { asnNumber: 'ASN-LATE', shipDate: '2026-12-05', lines: [{ lineNo: 1, quantity: '1' }] },
      });
      assert.equal(lateAsn.status, 409, lateAsn.text);
      assert.equal(problemShape(lateAsn).code, 'PO_CANCELLED');
      const lateGlobex = await api.request('POST', '/v1/purchase-orders/PO-API-2/asns', {
        key: 'globex',
        body: { asnNumber: 'ASN-LATE', shipDate: '2026-12-05', lines: [{ lineNo: 1, quantity: '1' }] },
      });
      assert.equal(lateGlobex.status, 404, 'another supplier still learns nothing');

      const afterReceipt = await api.request('POST', '/v1/purchase-orders/PO-API-1/cancel', { key: 'procurement', body: { reason: 'Too late' } });
      assert.equal(afterReceipt.status, 409, afterReceipt.text);
      assert.equal(problemShape(afterReceipt).code, 'CANCEL_AFTER_RECEIPT');
      conforms('post', '/v1/purchase-orders/{poNumber}/cancel', afterReceipt);
    });
  });

  describe('when no worker can answer', () => {
    /** A PO whose workflow runs on a task queue no worker polls: it can answer neither a query nor an Update. */
    const startDark = (poNumber: string) =>
      client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: 'no-worker-polls-this-queue',
        workflowId: workflowId(poNumber),
        args: [{ kind: 'new', po: CreatePurchaseOrder.parse(po(poNumber)), requestHash: 'h', actor: { role: 'procurement', id: 'procurement#test' }, issuedAt: new Date().toISOString() }],
        typedSearchAttributes: [{ key: SUPPLIER_ID, value: 'ACME' }],
      });
    const within = <T>(promise: Promise<T>, what: string) =>
      Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within 15 s`)), 15_000))]);
    /** As createApp builds it, with a one-second wait for a worker and a 30-second command deadline. */
    const darkGateway = () => new PurchaseOrderGateway(client, 30_000, new KnexReadModel(database.knex), { workerTimeoutMs: 1_000 });

    it('answers a command no worker accepts with 503 WORKER_UNAVAILABLE and Retry-After, long before the command deadline', async () => {
      const stuck = await startDark('PO-API-STUCK');
      try {
        const error = await within(
          darkGateway()
            .execute({ role: 'procurement', id: 'procurement#test' }, 'PO-API-STUCK', cancel, { actor: { role: 'procurement', id: 'procurement#test' }, body: { reason: 'x' }, bodyHash: 'h' }, 'cancel:h:1')
            .then(() => undefined, (failure: unknown) => failure),
          'a command',
        );
        const mapped = toApiError(error);
        assert.equal(mapped.status, 503, String(error));
        assert.equal(mapped.code, 'WORKER_UNAVAILABLE', 'Temporal is up: the workers are the part to check');
        assert.ok(Number(mapped.headers['Retry-After']) > 0);
      } finally {
        await stuck.terminate('test over');
      }
    });

    it('reports on /readyz that no worker polls the task queue, and stays ready: reads still have the snapshot', async () => {
      const empty = await createTestNamespace(address, 'p2p-no-workers');
      const lonely = new Client({ connection: client.connection, namespace: empty });
      const withoutWorkers = await startApi({ client: lonely, database, env: { TEMPORAL_NAMESPACE: empty } });
      try {
        const ready = await withoutWorkers.request('GET', '/readyz');
        assert.equal(ready.status, 200, ready.text);
        assert.deepEqual(ready.body.checks.workers, { ok: false, pollers: 0, error: 'NO_POLLERS' });
        conforms('get', '/readyz', ready);
      } finally {
        await withoutWorkers.close();
      }
    });

    it('serves a PO the ERP has recorded from its snapshot, marked Served-From: snapshot, while another supplier still gets 404', async () => {
      // The ERP's row of a PO issued through the API, copied under the number of a dark PO.
      assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-SNAP') })).status, 201);
      const live = await api.request('GET', '/v1/purchase-orders/PO-API-SNAP', { key: 'acme' });
      assert.equal(live.status, 200, live.text);
      assert.equal(live.headers.get('served-from'), 'workflow');
      assert.equal(live.body.servedFrom, 'workflow');
      conforms('get', '/v1/purchase-orders/{poNumber}', live);
      const row = await database.knex('purchase_orders').where({ po_number: 'PO-API-SNAP' }).first();
      await database.knex('purchase_orders').insert({ ...row, po_number: 'PO-API-DIM', snapshot: JSON.stringify({ ...row.snapshot, poNumber: 'PO-API-DIM' }) });
      const stuck = await startDark('PO-API-DIM');
      const impatient = await startApi({ client, database, env: { TEMPORAL_NAMESPACE: client.options.namespace, WORKER_QUERY_TIMEOUT_MS: '1000' } });
      try {
        const read = await within(impatient.request('GET', '/v1/purchase-orders/PO-API-DIM', { key: 'acme' }), 'a read by the owner');
        assert.equal(read.status, 200, read.text);
        assert.equal(read.headers.get('served-from'), 'snapshot');
        assert.equal(read.body.servedFrom, 'snapshot');
        assert.equal(read.body.poNumber, 'PO-API-DIM');
        assert.equal(read.body.status, 'issued');
        conforms('get', '/v1/purchase-orders/{poNumber}', read);
        const theirs = await within(impatient.request('GET', '/v1/purchase-orders/PO-API-DIM', { key: 'globex' }), 'a read by another supplier');
        assert.equal(theirs.status, 404, theirs.text);

        const ready = await impatient.request('GET', '/readyz');
        assert.equal(ready.status, 200, ready.text);
        assert.equal(ready.body.checks.workers.ok, true, 'the test\'s worker polls the PO task queue');
        conforms('get', '/readyz', ready);
      } finally {
        await impatient.close();
        await stuck.terminate('test over');
      }
    });
  });

  describe('supplier isolation while the workers are down', () => {
    it('still answers GLOBEX 404 for ACME\'s PO, word for word as for a PO never issued, when no worker can answer for it', async () => {
      const stuck = await client.workflow.start(WORKFLOW_TYPE, {
        // No worker polls this queue: the PO cannot answer its `status` query.
        taskQueue: 'no-worker-polls-this-queue',
        workflowId: workflowId('PO-API-DARK'),
        args: [{ kind: 'new', po: CreatePurchaseOrder.parse(po('PO-API-DARK')), requestHash: 'h', actor: { role: 'procurement', id: 'procurement#test' }, issuedAt: new Date().toISOString() }],
        typedSearchAttributes: [{ key: SUPPLIER_ID, value: 'ACME' }],
      });
      try {
        const within = <T>(promise: Promise<T>, what: string) =>
          Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within 10 s`)), 10_000))]);
        const seen = (response: ApiResponse<any>, poNumber: string) => {
          const { type, title, status, detail, code } = problemShape(response);
          return { type, title, status, detail: detail.replaceAll(poNumber, '<po>'), code };
        };
        for (const [method, suffix, body] of [['GET', '', undefined], ['POST', '/acknowledgement', { type: 'accept' }]] as const) {
          const theirs = await within(api.request(method, `/v1/purchase-orders/PO-API-DARK${suffix}`, { key: 'globex', body }), `${method} ${suffix}`);
          const nobodys = await api.request(method, `/v1/purchase-orders/PO-NEVER-ISSUED${suffix}`, { key: 'globex', body });
          assert.equal(theirs.status, 404, theirs.text);
          assert.deepEqual(seen(theirs, 'PO-API-DARK'), seen(nobodys, 'PO-NEVER-ISSUED'));
        }

        // ACME itself, or an operator, is told to retry later instead of being held indefinitely:
        // the ERP has not recorded this PO, so there is no snapshot to serve either. Always a 503
        // naming a part (never a 500), whatever the machine's load.
        const gateway = new PurchaseOrderGateway(client, 30_000, new KnexReadModel(database.knex), { workerTimeoutMs: 1_000 });
        for (const actor of [{ role: 'supplier', id: 'acme#test', supplierId: 'ACME' }, { role: 'operator', id: 'operator#test' }] as const) {
          const failure = await within(gateway.readFor(actor, 'PO-API-DARK').then(() => undefined, (error: unknown) => error), 'a read by the owner');
          const mapped = toApiError(failure);
          assert.equal(mapped.status, 503, String(failure));
          assert.ok(['WORKER_UNAVAILABLE', 'TEMPORAL_UNAVAILABLE'].includes(mapped.code ?? ''), String(failure));
        }
      } finally {
        await stuck.terminate('test over');
      }
    });
  });

  describe('retries are safe', () => {
    it('records one ASN and one receipt when the same document arrives many times at once', async () => {
      assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-4') })).status, 201);
      assert.equal((await api.request('POST', '/v1/purchase-orders/PO-API-4/acknowledgement', { key: 'acme', body: { type: 'accept' } })).status, 200);

      const asn = { asnNumber: 'ASN-4', shipDate: '2026-12-05', lines: [{ lineNo: 1, quantity: '4' }] };
      const asnResponses = await Promise.all(Array.from({ length: 6 }, () => api.request('POST', '/v1/purchase-orders/PO-API-4/asns', { key: 'acme', body: asn })));
      for (const response of asnResponses) assert.equal(response.status, 201, response.text);

      const receipt = { receiptNumber: 'GR-4', lines: [{ lineNo: 1, quantityReceived: '4' }] };
      const receiptResponses = await Promise.all(
        Array.from({ length: 6 }, () => api.request('POST', '/v1/purchase-orders/PO-API-4/receipts', { key: 'warehouse', body: receipt })),
      );
      for (const response of receiptResponses) assert.equal(response.status, 201, response.text);

      const state = await api.request('GET', '/v1/purchase-orders/PO-API-4', { key: 'operator' });
      assert.equal(state.body.asns.length, 1);
      assert.equal(state.body.receipts.length, 1);
      assert.equal(state.body.lines[0].shippedQuantity, '4');
      assert.equal(state.body.lines[0].receivedQuantity, '4');
      assert.equal(state.body.status, 'partially_received');
      const inventory = await database.knex('inventory_movements').where({ po_number: 'PO-API-4' }).count<{ count: string }[]>('* as count');
      assert.equal(Number(inventory[0]!.count), 1, 'goods were put away once');
    });

    it('executes a command once when the client resends it with the same Idempotency-Key at the same time', async () => {
      assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-5') })).status, 201);
      const headers = { 'idempotency-key': 'cancel-po-api-5' };
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => api.request('POST', '/v1/purchase-orders/PO-API-5/cancel', { key: 'procurement', body: { reason: 'Duplicate order' }, headers })),
      );
      const executed = responses.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') === null);
      assert.equal(executed.length, 1, responses.map((r) => r.status).join());
      for (const response of responses) assert.ok([200, 409].includes(response.status), response.text);
      const state = await api.request('GET', '/v1/purchase-orders/PO-API-5', { key: 'operator' });
      assert.equal((state.body.timeline as { type: string }[]).filter((entry) => entry.type === 'po.cancelled').length, 1);
    });
  });

  describe('fuzzed bodies', () => {
    it('refuses arbitrary supplier and purchase order bodies with a 4xx, and creates nothing', async () => {
      const countRows = async (table: string) => Number(((await database.knex(table).count<{ count: string }[]>('* as count'))[0]!).count);
      const suppliersBefore = await countRows('suppliers');
      const ordersBefore = await countRows('purchase_orders');
      const nearMissOrder = fc.record(
        {
          poNumber: fc.oneof(fc.constant(''), fc.constant('bad po/number'), fc.integer()),
          supplierId: fc.constantFrom('ACME', 'NOPE', '', 7),
          currency: fc.constantFrom('usd', 'US', 'USD'),
          lines: fc.oneof(fc.constant([]), fc.array(fc.record({ lineNo: fc.integer({ min: -1, max: 2 }), quantity: fc.constantFrom('0', '-1', 'x', 1e20) }), { maxLength: 2 })),
        },
        { requiredKeys: [] },
      );
      const nearMissSupplier = fc.record(
        { name: fc.constantFrom('', 5, null), currency: fc.constantFrom('usd', 'EURO', 1), webhookUrl: fc.constantFrom('ftp://x', 'not a url'), paymentTerms: fc.jsonValue({ maxDepth: 1 }) },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), nearMissOrder), async (payload) => {
          const response = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: payload });
          assert.ok(response.status >= 400 && response.status < 500, `create answered ${response.status} to ${JSON.stringify(payload)}`);
          problemShape(response);
        }),
        { numRuns: 80 },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), nearMissSupplier), async (payload) => {
          const response = await api.request('PUT', '/v1/suppliers/FUZZ-SUPPLIER', { key: 'procurement', body: payload });
          assert.ok(response.status >= 400 && response.status < 500, `supplier answered ${response.status} to ${JSON.stringify(payload)}`);
          problemShape(response);
        }),
        { numRuns: 80 },
      );
      assert.equal(await countRows('suppliers'), suppliersBefore);
      assert.equal(await countRows('purchase_orders'), ordersBefore);
    });

    it('refuses arbitrary bodies on every write endpoint with a 4xx, never a 5xx, and the PO is unchanged', async () => {
      const created = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: po('PO-API-FUZZ') });
      assert.equal(created.status, 201);
      const before = await api.request('GET', '/v1/purchase-orders/PO-API-FUZZ', { key: 'operator' });
      const allowedKey = (endpoint: WriteEndpoint): KeyName => endpoint.roles.find((key) => key !== 'globex')!;
      // Bodies shaped like the real ones but wrong somewhere, and plain arbitrary JSON. Values that
      // would make a VALID command (e.g. {type: "accept"}, {reason: "x"}) are left out on purpose.
      const nearMiss = fc.record(
        {
          type: fc.constantFrom('ACCEPT', 'maybe', 42, null),
          decision: fc.constantFrom('approve', 'reject', '', null),
          reason: fc.constantFrom('', '   ', 5, null, ['x']),
          lines: fc.array(fc.record({ lineNo: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.string()), quantity: fc.oneof(fc.string(), fc.double(), fc.constant('-1')) }), { maxLength: 3 }),
          asnNumber: fc.oneof(fc.string(), fc.constant('')),
          status: fc.constantFrom('sent', 'lost', 1),
        },
        { requiredKeys: [] },
      );
      const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nearMiss);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...WRITE_ENDPOINTS), body, async (endpoint, payload) => {
          const response = await api.request('POST', endpoint.path('PO-API-FUZZ'), { key: allowedKey(endpoint), body: payload });
          assert.ok(response.status >= 400 && response.status < 500, `${endpoint.name} answered ${response.status} to ${JSON.stringify(payload)}: ${response.text}`);
          problemShape(response);
        }),
        { numRuns: 120 },
      );
      const after = await api.request('GET', '/v1/purchase-orders/PO-API-FUZZ', { key: 'operator' });
      assert.deepEqual(after.body, before.body);
    });
  });
});
