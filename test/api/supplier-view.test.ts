/**
 * What a supplier key sees, on the real workflow: every endpoint a supplier may call answers
 * without the buyer's policy (tolerances, SLAs, discount capture), approvals, request and body
 * hashes, or who on the buyer's side acted; an exception's reasons keep their expected and actual
 * values. The endpoints are found by asking each route of the OpenAPI document with a supplier key:
 * every one that does not answer 403 must be covered here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import winston from 'winston';
import { writeInterchange } from '../../activities/edi/x12/writer';
import { openApiDocument } from '../../api/openapi';
import { supplierView } from '../../api/supplier-view';
import { startWorker } from '../../workers/main';
import type { RunningWorker } from '../../workers/main';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';
import { conformance, stackConfig, startApi } from './api-harness';
import type { ApiResponse, ApiUnderTest } from './api-harness';

const TODAY = new Date().toISOString().slice(0, 10);
const HIDDEN = ['requestHash', 'bodyHash', 'tolerances', 'tolerance', 'slas', 'captureDiscounts', 'approvalTiers', 'approvalSla', 'disputeSla', 'approvals'];

/** Every field name in a JSON value, and every string in it. */
function walk(value: unknown, fields: Set<string>, strings: string[]): void {
  if (Array.isArray(value)) for (const item of value) walk(item, fields, strings);
  else if (typeof value === 'string') strings.push(value);
  else if (value !== null && typeof value === 'object') {
    for (const [field, member] of Object.entries(value)) {
      fields.add(field);
      walk(member, fields, strings);
    }
  }
}

function assertSupplierSafe(what: string, body: unknown): void {
  const fields = new Set<string>();
  const strings: string[] = [];
  walk(body, fields, strings);
  for (const field of HIDDEN) assert.ok(!fields.has(field), `${what}: shows ${field}`);
  // Actor labels are `role#<6 hex>`: the supplier sees roles only.
  const labels = strings.filter((text) => /^[a-z]+#[0-9a-f]{6}$/.test(text));
  assert.deepEqual(labels, [], `${what}: shows who acted`);
}

describe('what a supplier key sees', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let worker: RunningWorker;
  let client: Client;
  let api: ApiUnderTest;
  const conforms = conformance(openApiDocument());
  /** `METHOD /template` → the supplier's answer there. */
  const answers = new Map<string, ApiResponse<any>>();

  async function asSupplier(method: string, template: string, path: string, body?: unknown, headers?: Record<string, string>, status = method === 'GET' ? 200 : 201) {
    const response = await api.request(method, path, { key: 'acme', ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
    assert.equal(response.status, status, `${method} ${path}: ${response.text}`);
    conforms(method.toLowerCase(), template, response);
    assertSupplierSafe(`${method} ${template}`, response.body);
    answers.set(`${method} ${template}`, response);
    return response;
  }

  before(async () => {
    const address = await testTemporalAddress();
    const namespace = await createTestNamespace(address, 'p2p-supplier-view');
    database = await createTestDatabase();
    const config = stackConfig(database, address, namespace);
    worker = await startWorker(config, { connection: await NativeConnection.connect({ address }), knex: database.knex, logger: winston.createLogger({ silent: true }) });
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    api = await startApi({ client, database, env: { TEMPORAL_NAMESPACE: namespace } });
    const supplier = await api.request('PUT', '/v1/suppliers/ACME', {
      key: 'procurement',
      body: {
        name: 'Acme Industrial Supply',
        currency: 'USD',
        paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
        tolerances: { priceVariancePct: '0.02', qtyOverPct: '0.05' },
        slas: { ackSla: '72h' },
        edi: { qualifier: 'ZZ', id: 'ACMEEDI', version: '004010' },
      },
    });
    assert.equal(supplier.status, 200, supplier.text);
  });

  after(async () => {
    await api?.close();
    await worker?.shutdown();
    await client?.connection.close();
    await database?.drop();
  });

  it('answers every supplier endpoint without the buyer\'s policy, hashes or people, and keeps expected and actual values in exception reasons', async () => {
    const created = await api.request('POST', '/v1/purchase-orders', {
      key: 'procurement',
      body: { poNumber: 'PO-SV-1', supplierId: 'ACME', currency: 'USD', buyer: 'jane.buyer@distributor.example', lines: [{ lineNo: 1, sku: 'BOLT-M8', quantity: '10', unitPrice: '10.00' }] },
    });
    assert.equal(created.status, 201, created.text);
    const po = '/v1/purchase-orders/PO-SV-1';

    const ackHeaders = { 'idempotency-key': 'ack-po-sv-1' };
    await asSupplier('POST', '/v1/purchase-orders/{poNumber}/acknowledgement', `${po}/acknowledgement`, { type: 'accept' }, ackHeaders, 200);
    // A replay of the stored answer is projected as well.
    const replayed = await api.request('POST', `${po}/acknowledgement`, { key: 'acme', body: { type: 'accept' }, headers: ackHeaders });
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    assertSupplierSafe('a replayed acknowledgement', replayed.body);

    await asSupplier('POST', '/v1/purchase-orders/{poNumber}/asns', `${po}/asns`, { asnNumber: 'ASN-SV-1', shipDate: TODAY, lines: [{ lineNo: 1, quantity: '10' }] });
    const received = await api.request('POST', `${po}/receipts`, { key: 'warehouse', body: { receiptNumber: 'GR-SV-1', lines: [{ lineNo: 1, quantityReceived: '10' }] } });
    assert.equal(received.status, 201, received.text);

    // 10.50 against 10.00 with a 2 % tolerance: held with PRICE_VARIANCE.
    const invoice = { invoiceNumber: 'INV-SV-1', invoiceDate: TODAY, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.50' }], total: '105.00' };
    const invoiced = await asSupplier('POST', '/v1/purchase-orders/{poNumber}/invoices', `${po}/invoices`, invoice);
    assert.equal(invoiced.body.status, 'exception');
    const [reason] = invoiced.body.match.lines[0].reasons;
    assert.equal(reason.code, 'PRICE_VARIANCE');
    assert.equal(reason.expected, '10.00');
    assert.equal(reason.actual, '10.50');
    assert.doesNotMatch(reason.message, /more than|tolerance|0\.20/);

    const disputed = await api.request('POST', `${po}/invoices/INV-SV-1/disputes`, { key: 'finance', body: { message: 'We agreed 10.00 a unit' } });
    assert.equal(disputed.status, 201, disputed.text);
    const disputeId = disputed.body.disputes[0].id;
    const replied = await asSupplier('POST', '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/disputes/{disputeId}/replies', `${po}/invoices/INV-SV-1/disputes/${disputeId}/replies`, {
      message: 'Our mistake, credit attached',
    });
    assert.equal(replied.body.disputes[0].openedBy.id, 'finance', 'the supplier sees the role that opened it, not the key');

    await asSupplier('POST', '/v1/purchase-orders/{poNumber}/credit-memos', `${po}/credit-memos`, {
      creditMemoNumber: 'CM-SV-1',
      invoiceNumber: 'INV-SV-1',
      lines: [{ lineNo: 1, quantity: '1', unitPrice: '10.50' }],
      total: '10.50',
    });

    const read = await asSupplier('GET', '/v1/purchase-orders/{poNumber}', po);
    assert.deepEqual(Object.keys(read.body.policy).sort(), ['paymentTerms']);
    assert.equal(read.body.policy.paymentTerms.discountPercent, '2', 'the contract\'s terms stay');
    const [exception] = read.body.exceptions;
    assert.deepEqual({ code: exception.reasons[0].code, expected: exception.reasons[0].expected, actual: exception.reasons[0].actual }, { code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.50' });
    assert.ok(read.body.timeline.every((entry: { actor: string }) => !entry.actor.includes('#')));
    await asSupplier('GET', '/v1/purchase-orders', '/v1/purchase-orders');

    // EDI: a test interchange (ISA15 T) is checked and acknowledged, and applied nowhere; the
    // supplier's interchange log shows it without the buyer's side.
    const interchange = writeInterchange({
      usage: 'T',
      sender: { qualifier: 'ZZ', id: 'ACMEEDI' },
      receiver: { qualifier: 'ZZ', id: 'P2PORCH' },
      functionalId: 'PR',
      interchangeControlNumber: 901,
      groupControlNumber: 901,
      at: new Date('2026-12-01T09:00:00Z'),
      sets: [{ id: '855', controlNumber: '0001', segments: [['BAK', '00', 'AT', 'PO-SV-1', '20261128'], ['PO1', '1', '10', 'EA', '10', 'PE', 'BP', 'BOLT-M8'], ['ACK', 'IA', '10', 'EA'], ['CTT', '1']] }],
    });
    const inbound = await api.request('POST', '/v1/edi/inbound', { key: 'acme', rawBody: interchange, headers: { 'content-type': 'application/edi-x12' } });
    assert.equal(inbound.status, 200, inbound.text);
    assert.match(inbound.text, /AK9\*A/, 'the 997 accepts the test interchange');
    answers.set('POST /v1/edi/inbound', inbound);
    const log = await asSupplier('GET', '/v1/edi/interchanges', '/v1/edi/interchanges');
    const interchangeId = inbound.headers.get('edi-interchange-id')!;
    assert.ok(log.body.items.some((item: { id: string }) => item.id === interchangeId), JSON.stringify(log.body));
    await asSupplier('GET', '/v1/edi/interchanges/{interchangeId}', `/v1/edi/interchanges/${interchangeId}`);
    const own = await asSupplier('GET', '/v1/suppliers/{supplierId}', '/v1/suppliers/ACME');
    assert.equal(own.body.name, 'Acme Industrial Supply');

    // The buyer still sees all of it.
    const buyers = await api.request('GET', po, { key: 'procurement' });
    assert.equal(buyers.body.policy.tolerances.priceVariancePct, '0.02');
    assert.ok(buyers.body.requestHash);
    assert.equal(buyers.body.exceptions[0].reasons[0].tolerance, '0.20');
    assert.ok((await api.request('GET', '/v1/suppliers/ACME', { key: 'procurement' })).body.tolerances);
  });

  it('covers every route a supplier key may call (each other route answers it 403)', async () => {
    const document = openApiDocument() as unknown as { paths: Record<string, Record<string, unknown>> };
    const callable: string[] = [];
    for (const [template, operations] of Object.entries(document.paths)) {
      if (!template.startsWith('/v1/') || template.endsWith('.json')) continue;
      for (const method of Object.keys(operations)) {
        const path = template.replace(/\{[^}]+\}/g, (name) => (name === '{supplierId}' ? 'ACME' : 'PROBE-NONE'));
        const probe = await api.request(method.toUpperCase(), path, { key: 'acme', ...(['post', 'put', 'patch'].includes(method) ? { body: {} } : {}) });
        assert.ok(probe.status < 500, `${method} ${template}: ${probe.text}`);
        if (probe.status !== 403) callable.push(`${method.toUpperCase()} ${template}`);
      }
    }
    assert.deepEqual(callable.sort(), [...answers.keys()].sort(), 'each route a supplier may call is checked in the scenario above');
  });

  it('projects the same answer only once: a projected answer projects to itself', () => {
    const projected = supplierView({ actor: 'finance#a1b2c3', by: { role: 'finance', id: 'finance#a1b2c3' }, bodyHash: 'x', reasons: [] });
    assert.deepEqual(projected, { actor: 'finance', by: { role: 'finance', id: 'finance' }, reasons: [] });
    assert.deepEqual(supplierView(projected), projected);
  });
});
