/**
 * EDI X12 against the real workflow: a real Temporal dev server (own namespace), a worker with the
 * real activities and event relay, real PostgreSQL. A supplier runs a whole PO by EDI alone (850
 * received, 855, 856, the warehouse's receipt over the API, 810, matched, paid) and it ends in the
 * same state and journals as the same PO run over the API; re-sent interchanges and documents
 * apply once; bad input gets a 997 rejection or a problem+json and changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import winston from 'winston';
import { openApiDocument } from '../../api/openapi';
import { startEdiInbox } from '../../api/edi/inbox';
import type { EdiInbound } from '../../api/edi/inbound';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { readInterchange } from '../../activities/edi/x12/envelope';
import { writeInterchange } from '../../activities/edi/x12/writer';
import { startWorker } from '../../workers/main';
import type { RunningWorker } from '../../workers/main';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';
import { conformance, problemShape, stackConfig, startApi } from './api-harness';
import type { ApiResponse, ApiUnderTest, KeyName } from './api-harness';

const ACME_EDI = { qualifier: 'ZZ', id: 'ACMEEDI' };
const US = { qualifier: 'ZZ', id: 'P2PORCH' };
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/edi', name), 'utf8');

let nextControlNumber = 5000;
/** An interchange from ACME to us, with a fresh ISA13 unless one is given. */
function fromAcme(functionalId: string, setId: string, sets: string[][][], controlNumber = nextControlNumber++, usage: 'P' | 'T' = 'P'): string {
  return writeInterchange({
    usage,
    sender: ACME_EDI,
    receiver: US,
    functionalId,
    interchangeControlNumber: controlNumber,
    groupControlNumber: controlNumber,
    at: new Date('2026-12-01T09:00:00Z'),
    sets: sets.map((segments, index) => ({ id: setId, controlNumber: String(index + 1).padStart(4, '0'), segments })),
  });
}

const order = (poNumber: string) => ({
  poNumber,
  supplierId: 'ACME',
  currency: 'USD',
  buyer: 'jane.buyer@distributor.example',
  lines: [
    { lineNo: 1, sku: 'BOLT-M8', description: 'Hex bolt M8x40', quantity: '10', unitPrice: '12.50', requestedDate: '2026-12-10' },
    { lineNo: 2, sku: 'NUT-M8', quantity: '5', unitPrice: '4.00' },
  ],
});

const ack855 = (poNumber: string) => [['BAK', '00', 'AT', poNumber, '20261128'], ['PO1', '1', '10', 'EA', '12.5', 'PE', 'BP', 'BOLT-M8'], ['ACK', 'IA', '10', 'EA'], ['PO1', '', '5', 'EA', '4', 'PE', 'BP', 'NUT-M8'], ['ACK', 'IA', '5', 'EA'], ['CTT', '2']];
const asn856 = (poNumber: string, asnNumber: string) => [
  ['BSN', '00', asnNumber, '20261201', '1200'], ['HL', '1', '', 'S'], ['TD5', 'B', '2', 'UPSN', 'M', 'UPS Ground'], ['REF', 'BM', '1Z999'], ['DTM', '011', '20261201'],
  ['HL', '2', '1', 'O'], ['PRF', poNumber], ['HL', '3', '2', 'I'], ['LIN', '1', 'BP', 'BOLT-M8'], ['SN1', '', '10', 'EA'], ['HL', '4', '2', 'I'], ['LIN', '', 'BP', 'NUT-M8'], ['SN1', '', '5', 'EA'], ['CTT', '4'],
];
const invoice810 = (poNumber: string, invoiceNumber: string, bolts = '10') => [
  ['BIG', '20261205', invoiceNumber, '', poNumber], ['CUR', 'SE', 'USD'], ['IT1', '1', bolts, 'EA', '12.5', 'PE', 'BP', 'BOLT-M8'], ['IT1', '2', '5', 'EA', '4', 'PE', 'BP', 'NUT-M8'],
  ['TDS', String(Number(bolts) * 1250 + 2000)], ['CTT', '2'],
];

/** AK5 and AK9 of a 997 we answered, as [setControlNumber, status, codes][] and the AK9 status. */
function outcomeOf(acknowledgement: string) {
  const set = readInterchange(acknowledgement).groups[0]!.sets[0]!;
  const sets: [string, string, string[]][] = [];
  let current = '';
  let ak9 = '';
  for (const segment of set.body) {
    if (segment.elements[0] === 'AK2') current = segment.elements[2]!;
    if (segment.elements[0] === 'AK5') sets.push([current, segment.elements[1]!, segment.elements.slice(2)]);
    if (segment.elements[0] === 'AK9') ak9 = segment.elements[1]!;
  }
  return { sets, ak9, segments: set.body.map((segment) => segment.elements) };
}

describe('EDI X12 gateway, on the real workflow', { timeout: 600_000 }, () => {
  let database: TestDatabase;
  let worker: RunningWorker;
  let client: Client;
  let api: ApiUnderTest;
  let partner: http.Server;
  let inbound: EdiInbound | undefined;
  const received: { contentType: string; body: string }[] = [];
  const conforms = conformance(openApiDocument());

  const send = (raw: string, key: KeyName = 'acme', contentType = 'application/edi-x12'): Promise<ApiResponse> =>
    api.request('POST', '/v1/edi/inbound', { key, rawBody: raw, headers: { 'content-type': contentType } });

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  const outbound = (poNumber: string, count: number) =>
    until(`${count} outbound interchange(s) of ${poNumber}`, async () => {
      const page = await api.request('GET', `/v1/edi/interchanges?direction=outbound&poNumber=${poNumber}`, { key: 'operator' });
      const items = (page.body.items as { status: string }[]).filter((item) => item.status === 'delivered');
      return items.length >= count ? (page.body.items as any[]) : undefined;
    });

  /** Asserts every set of the answered 997 was accepted; else names the refusals from the log. */
  async function assertAccepted(response: ApiResponse): Promise<void> {
    assert.equal(response.status, 200, response.text);
    const sets = outcomeOf(response.text).sets;
    if (sets.every(([, status]) => status === 'A')) return;
    const log = await api.request('GET', `/v1/edi/interchanges/${response.headers.get('edi-interchange-id')}`, { key: 'operator' });
    assert.fail(`sets rejected: ${JSON.stringify(log.body.sets)}`);
  }

  const view = async (poNumber: string) => (await api.request('GET', `/v1/purchase-orders/${poNumber}`, { key: 'operator' })).body;

  before(async () => {
    partner = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ contentType: String(req.headers['content-type']), body });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    const address = await testTemporalAddress();
    const namespace = await createTestNamespace(address, 'p2p-edi');
    database = await createTestDatabase();
    const config = stackConfig(database, address, namespace, { OUTBOX_RELAY_INTERVAL_MS: '200' });
    worker = await startWorker(config, { connection: await NativeConnection.connect({ address }), knex: database.knex, logger: winston.createLogger({ silent: true }) });
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    api = await startApi({ client, database, env: { TEMPORAL_NAMESPACE: namespace } });

    const url = `http://127.0.0.1:${(partner.address() as AddressInfo).port}/edi`;
    const acme = await api.request('PUT', '/v1/suppliers/ACME', {
      key: 'procurement',
      body: { name: 'Acme Industrial Supply', currency: 'USD', paymentTerms: { netDays: 0 }, edi: { ...ACME_EDI, version: '004010', delivery: { url } } },
    });
    assert.equal(acme.status, 200, acme.text);
    conforms('put', '/v1/suppliers/{supplierId}', acme);
    assert.deepEqual(acme.body.edi, { ...ACME_EDI, version: '004010', delivery: { url } });
    const globex = await api.request('PUT', '/v1/suppliers/GLOBEX', { key: 'procurement', body: { name: 'Globex', currency: 'USD', paymentTerms: { netDays: 0 } } });
    assert.equal(globex.status, 200, globex.text);
  });

  after(async () => {
    await api?.close();
    await worker?.shutdown();
    await client?.connection.close();
    await database?.drop();
    await new Promise<void>((resolve) => (partner ? partner.close(() => resolve()) : resolve()));
  });

  it('refuses a second supplier with the same EDI identity (409)', async () => {
    const clash = await api.request('PUT', '/v1/suppliers/GLOBEX', { key: 'procurement', body: { name: 'Globex', currency: 'USD', paymentTerms: { netDays: 0 }, edi: ACME_EDI } });
    assert.equal(clash.status, 409, clash.text);
    assert.equal(problemShape(clash).code, 'EDI_PARTNER_IN_USE');
  });

  it('runs a whole PO by EDI alone, and it ends in the same state and journals as the same PO over the API', async () => {
    for (const poNumber of ['PO-EDI-FULL', 'PO-EDI-VIA-API']) {
      const created = await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: order(poNumber) });
      assert.equal(created.status, 201, created.text);
    }

    // The 850 reaches the partner's URL and stays listed for pickup, with its raw X12.
    const [sent] = await outbound('PO-EDI-FULL', 1);
    assert.equal(sent.documentType, '850');
    assert.equal(sent.purpose, 'original');
    const delivered = received.find((delivery) => delivery.body === sent.raw);
    assert.ok(delivered, 'the partner received the 850');
    assert.equal(delivered.contentType, 'application/edi-x12');
    const po850 = readInterchange(sent.raw);
    assert.equal(po850.header.receiverId, 'ACMEEDI');
    const segments = po850.groups[0]!.sets[0]!.body.map((segment) => segment.elements);
    assert.deepEqual(segments[0], ['BEG', '00', 'SA', 'PO-EDI-FULL', '', segments[0]![5]!]);
    assert.deepEqual(segments.filter((s) => s[0] === 'PO1'), [['PO1', '1', '10', 'EA', '12.5', 'PE', 'BP', 'BOLT-M8'], ['PO1', '2', '5', 'EA', '4', 'PE', 'BP', 'NUT-M8']]);
    assert.deepEqual(segments.find((s) => s[0] === 'AMT'), ['AMT', 'TT', '145']);

    // The partner's 997 for it is recorded on the PO.
    const group = po850.groups[0]!.controlNumber;
    const fa = await send(fromAcme('FA', '997', [[['AK1', 'PO', group], ['AK2', '850', po850.groups[0]!.sets[0]!.controlNumber], ['AK5', 'A'], ['AK9', 'A', '1', '1', '1']]]));
    assert.equal(fa.status, 200, fa.text);
    const afterFa = await view('PO-EDI-FULL');
    assert.equal(afterFa.edi.functionalAcknowledgement.status, 'accepted');
    assert.equal(afterFa.edi.functionalAcknowledgement.documentType, '850');

    // 855, 856 by EDI; the warehouse receives over the API; 810 by EDI.
    const ack = await send(fromAcme('PR', '855', [ack855('PO-EDI-FULL')]));
    assert.equal(ack.status, 200, ack.text);
    assert.equal(ack.headers.get('content-type')?.split(';')[0], 'application/edi-x12');
    await assertAccepted(ack);
    assert.equal((await view('PO-EDI-FULL')).status, 'acknowledged');
    const apiAck = await api.request('POST', '/v1/purchase-orders/PO-EDI-VIA-API/acknowledgement', { key: 'acme', body: { type: 'accept', lines: [{ lineNo: 1, status: 'accepted' }, { lineNo: 2, status: 'accepted' }] } });
    assert.equal(apiAck.status, 200, apiAck.text);

    const asn = await send(fromAcme('SH', '856', [asn856('PO-EDI-FULL', 'ASN-EDI-FULL')]));
    await assertAccepted(asn);
    const apiAsn = await api.request('POST', '/v1/purchase-orders/PO-EDI-VIA-API/asns', { key: 'acme', body: { asnNumber: 'ASN-API-FULL', shipDate: '2026-12-01', carrier: 'UPS Ground', trackingNumber: '1Z999', lines: [{ lineNo: 1, quantity: '10' }, { lineNo: 2, quantity: '5' }] } });
    assert.equal(apiAsn.status, 201, apiAsn.text);
    assert.equal((await view('PO-EDI-FULL')).status, 'in_transit');

    for (const poNumber of ['PO-EDI-FULL', 'PO-EDI-VIA-API']) {
      const receipt = await api.request('POST', `/v1/purchase-orders/${poNumber}/receipts`, { key: 'warehouse', body: { receiptNumber: `GR-${poNumber}`, lines: [{ lineNo: 1, quantityReceived: '10' }, { lineNo: 2, quantityReceived: '5' }] } });
      assert.equal(receipt.status, 201, receipt.text);
    }

    const inv = await send(fromAcme('IN', '810', [invoice810('PO-EDI-FULL', 'INV-EDI-FULL')]));
    await assertAccepted(inv);
    const apiInv = await api.request('POST', '/v1/purchase-orders/PO-EDI-VIA-API/invoices', { key: 'acme', body: { invoiceNumber: 'INV-API-FULL', invoiceDate: '2026-12-05', currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '12.5' }, { lineNo: 2, quantity: '5', unitPrice: '4' }], total: '145.00' } });
    assert.equal(apiInv.status, 201, apiInv.text);

    for (const [poNumber, invoiceNumber] of [['PO-EDI-FULL', 'INV-EDI-FULL'], ['PO-EDI-VIA-API', 'INV-API-FULL']] as const) {
      const paid = await api.request('POST', `/v1/purchase-orders/${poNumber}/invoices/${invoiceNumber}/payment-status`, { key: 'finance', body: { status: 'cleared' } });
      assert.equal(paid.status, 200, paid.text);
    }

    const [viaEdi, viaApi] = [await view('PO-EDI-FULL'), await view('PO-EDI-VIA-API')];
    assert.equal(viaEdi.status, 'closed');
    const comparable = (po: any) => ({
      status: po.status,
      total: po.total,
      lines: po.lines,
      invoices: po.invoices.map((invoice: any) => ({ status: invoice.status, total: invoice.total, match: invoice.match?.status, lines: invoice.lines })),
      events: po.timeline.map((entry: any) => entry.type),
    });
    assert.deepEqual(comparable(viaEdi), comparable(viaApi));
    const readModel = new KnexReadModel(database.knex);
    assert.deepEqual(await readModel.accountBalances('PO-EDI-FULL'), await readModel.accountBalances('PO-EDI-VIA-API'));
    const journals = async (poNumber: string) =>
      (await database.knex.raw(`select e.event_type, l.account, l.debit::text, l.credit::text from journal_entries e join journal_lines l on l.journal_entry_id = e.id where e.po_number = ? order by e.id, l.line_no`, [poNumber])).rows;
    assert.deepEqual(await journals('PO-EDI-FULL'), await journals('PO-EDI-VIA-API'));

    // The PO lists its interchanges; the supplier sees its own log.
    assert.deepEqual(viaEdi.edi.interchanges.map((i: any) => `${i.direction}:${i.setIds.join('+')}`), ['outbound:850', 'inbound:997', 'inbound:855', 'inbound:856', 'inbound:810']);
    const own = await api.request('GET', '/v1/edi/interchanges?poNumber=PO-EDI-FULL', { key: 'acme' });
    assert.equal(own.status, 200);
    conforms('get', '/v1/edi/interchanges', own);
    assert.equal(own.body.items.length, 5);
    const theirs = await api.request('GET', '/v1/edi/interchanges?poNumber=PO-EDI-FULL&supplierId=ACME', { key: 'globex' });
    assert.deepEqual(theirs.body.items, []);
    assert.equal((await api.request('GET', '/v1/edi/interchanges', { key: 'warehouse' })).status, 403);
    const one = await api.request('GET', `/v1/edi/interchanges/${own.body.items[0].id}`, { key: 'finance' });
    assert.equal(one.status, 200);
    conforms('get', '/v1/edi/interchanges/{interchangeId}', one);
    assert.equal((await api.request('GET', `/v1/edi/interchanges/${own.body.items[0].id}`, { key: 'globex' })).status, 404);
  });

  it('a re-sent interchange gets the same 997 and applies nothing; the same document in a new interchange neither', async () => {
    assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: order('PO-EDI-RESEND') })).status, 201);
    await assertAccepted(await send(fromAcme('PR', '855', [ack855('PO-EDI-RESEND')])));
    const raw = fromAcme('SH', '856', [asn856('PO-EDI-RESEND', 'ASN-RESEND')]);
    const first = await send(raw);
    await assertAccepted(first);
    const eventsAfterFirst = (await view('PO-EDI-RESEND')).timeline.length;
    const again = await send(raw);
    assert.equal(again.status, 200);
    assert.equal(again.text, first.text, 'the same 997, byte for byte');
    assert.equal(again.headers.get('edi-replayed'), 'true');
    const newEnvelope = await send(fromAcme('SH', '856', [asn856('PO-EDI-RESEND', 'ASN-RESEND')]));
    await assertAccepted(newEnvelope);
    assert.equal((await view('PO-EDI-RESEND')).timeline.length, eventsAfterFirst);
    const log = await api.request('GET', `/v1/edi/interchanges/${newEnvelope.headers.get('edi-interchange-id')}`, { key: 'operator' });
    assert.equal(log.body.sets[0].duplicate, true);

    // The same ISA13 with other content is a reused control number: 409, nothing applied.
    const reused = await send(fromAcme('SH', '856', [asn856('PO-EDI-RESEND', 'ASN-OTHER')], Number(readInterchange(raw).header.controlNumber)));
    assert.equal(reused.status, 409);
    assert.equal(problemShape(reused).code, 'EDI_DUPLICATE_CONTROL_NUMBER');
    assert.equal((await view('PO-EDI-RESEND')).asns.length, 1);
  });

  it('rejects a bad set in the 997 (AK3/AK4) while the good set of the same group applies; domain refusals are logged with their reason', async () => {
    assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: order('PO-EDI-1') })).status, 201);
    await assertAccepted(await send(fromAcme('PR', '855', [ack855('PO-EDI-1')])));
    const mixed = await send(fixture('856-two-sets-one-bad.x12'));
    assert.equal(mixed.status, 200, mixed.text);
    const outcome = outcomeOf(mixed.text);
    assert.deepEqual(outcome.sets, [['0001', 'A', []], ['0002', 'R', ['4', '5']]]);
    assert.equal(outcome.ak9, 'P');
    assert.ok(outcome.segments.some((s) => s[0] === 'AK3' && s[1] === 'BSN'), 'AK3 names the BSN with the bad date');
    assert.deepEqual((await view('PO-EDI-1')).asns.map((a: any) => a.asnNumber), ['ASN-EDI-2']);
    assert.equal(mixed.headers.get('edi-interchange-status'), 'partially_accepted');

    // An invoice line naming no PO line, and an ASN over the open quantity: refused, with the reason.
    const unknownLine = await send(fromAcme('IN', '810', [[['BIG', '20261205', 'INV-EDI-X', '', 'PO-EDI-1'], ['IT1', '9', '1', 'EA', '1', 'PE', 'BP', 'NO-SUCH'], ['TDS', '100']]]));
    assert.deepEqual(outcomeOf(unknownLine.text).sets, [['0001', 'R', ['5']]]);
    assert.ok(outcomeOf(unknownLine.text).segments.some((s) => s[0] === 'AK3' && s[1] === 'IT1'));
    const overShipped = await send(fromAcme('SH', '856', [asn856('PO-EDI-1', 'ASN-TOO-MUCH').map((s) => (s[0] === 'SN1' ? ['SN1', '', '500', 'EA'] : s))]));
    assert.deepEqual(outcomeOf(overShipped.text).sets, [['0001', 'R', ['5']]]);
    const log = await api.request('GET', `/v1/edi/interchanges/${overShipped.headers.get('edi-interchange-id')}`, { key: 'operator' });
    assert.equal(log.body.status, 'rejected');
    assert.match(log.body.sets[0].refusal.code, /[A-Z_]+/);
    assert.deepEqual((await view('PO-EDI-1')).asns.map((a: any) => a.asnNumber), ['ASN-EDI-2']);
  });

  it('answers unreadable or foreign interchanges with a problem+json and applies nothing', async () => {
    const short = await send(fixture('corrupt-isa-short.x12'));
    assert.equal(short.status, 400);
    assert.equal(problemShape(short).code, 'EDI_ISA_LENGTH');
    const iea = await send(fixture('corrupt-iea-control-mismatch.x12'));
    assert.equal(problemShape(iea).code, 'EDI_IEA_CONTROL_NUMBER');
    const notX12 = await send('hello');
    assert.equal(notX12.status, 400);
    const json = await send(fromAcme('PR', '855', [ack855('PO-EDI-1')]), 'acme', 'application/json');
    assert.equal(json.status, 400 <= json.status && json.status < 500 ? json.status : -1);
    const plain = await send(fromAcme('PR', '855', [ack855('PO-EDI-1')]), 'acme', 'text/plain');
    assert.equal(plain.status, 415);
    const asGlobex = await send(fromAcme('PR', '855', [ack855('PO-EDI-1')]), 'globex');
    assert.equal(asGlobex.status, 422);
    assert.equal(problemShape(asGlobex).code, 'EDI_NOT_A_PARTNER');
    const asWarehouse = await send(fromAcme('PR', '855', [ack855('PO-EDI-1')]), 'warehouse');
    assert.equal(asWarehouse.status, 403);
    const garbage = await send('ISA*' + '\u0001'.repeat(200));
    assert.equal(garbage.status, 400);
    assert.equal((await view('PO-EDI-1')).status, 'in_transit', 'none of these applied anything');
    for (const response of [short, iea, plain, asGlobex]) conforms('post', '/v1/edi/inbound', response);
  });

  it('never answers a corrupted interchange with a 5xx: a 997 or a problem+json, and the PO as it was', async () => {
    assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: order('PO-EDI-FUZZ') })).status, 201);
    // A test interchange (ISA15 T) is checked and acknowledged, and applied nowhere.
    const test = await send(fromAcme('PR', '855', [ack855('PO-EDI-FUZZ')], undefined, 'T'));
    await assertAccepted(test);
    const testLog = await api.request('GET', `/v1/edi/interchanges/${test.headers.get('edi-interchange-id')}`, { key: 'operator' });
    assert.equal(testLog.body.sets[0].test, true);
    const before = await view('PO-EDI-FUZZ');
    assert.equal(before.status, 'issued');
    let seed = 20261202;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const characters = ['*', '~', '>', '\n', 'A', '9', ' ', '-', ':'];
    for (let round = 0; round < 25; round++) {
      let raw = fromAcme('IN', '810', [invoice810('PO-EDI-FUZZ', `INV-FUZZ-${round}`, '999')]);
      for (let edit = 0; edit <= random(3); edit++) {
        // Past the ISA, before the IEA: the envelope's own refusals are covered above.
        const at = 106 + random(raw.length - 130);
        raw = raw.slice(0, at) + characters[random(characters.length)]! + raw.slice(at + (random(2) === 0 ? 1 : 0));
      }
      const response = await send(raw);
      assert.ok([200, 400, 409, 422].includes(response.status), `round ${round}: ${response.status} ${response.text}`);
      if (response.status !== 200) problemShape(response);
      else readInterchange(response.text);
    }
    // 999 bolts were never received: whatever got through is held, nothing was paid or posted.
    const after = await view('PO-EDI-FUZZ');
    assert.equal(after.status, before.status);
    assert.ok(after.invoices.every((invoice: any) => invoice.status !== 'paid' && invoice.status !== 'scheduled'));
  });

  it('sends an 860 for a buyer change order and an 850 with BEG01 01 for a cancellation; a rejecting 997 shows on the PO', async () => {
    assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: order('PO-EDI-CHG') })).status, 201);
    const [original] = await outbound('PO-EDI-CHG', 1);
    const changed = await api.request('POST', '/v1/purchase-orders/PO-EDI-CHG/changes', { key: 'procurement', body: { lines: [{ lineNo: 1, quantity: '12' }, { lineNo: 3, action: 'add', sku: 'WASHER-M8', quantity: '20', unitPrice: '0.10' }] } });
    assert.equal(changed.status, 200, changed.text);
    const afterChange = await outbound('PO-EDI-CHG', 2);
    const change = afterChange.find((item) => item.documentType === '860');
    assert.ok(change, 'an 860 was sent');
    const poc = readInterchange(change.raw).groups[0]!.sets[0]!.body.filter((s) => s.elements[0] === 'POC').map((s) => s.elements.slice(1, 4));
    assert.deepEqual(poc, [['1', 'CA', '12'], ['3', 'AI', '20']]);

    const rejection = await send(fromAcme('FA', '997', [[['AK1', 'PC', change.groupControlNumbers[0]], ['AK2', '860', '0001'], ['AK3', 'POC', '4', '', '8'], ['AK4', '3', '', '7', 'XX'], ['AK5', 'R', '5'], ['AK9', 'R', '1', '1', '0']]]));
    assert.equal(rejection.status, 200, rejection.text);
    const rejected = await view('PO-EDI-CHG');
    assert.equal(rejected.edi.functionalAcknowledgement.status, 'rejected');
    assert.deepEqual(rejected.edi.functionalAcknowledgement.acknowledgement.sets[0].segmentErrors, [{ segmentId: 'POC', position: '4', code: '8', elements: [{ position: '3', code: '7' }] }]);

    const cancelled = await api.request('POST', '/v1/purchase-orders/PO-EDI-CHG/cancel', { key: 'procurement', body: { reason: 'Customer order withdrawn' } });
    assert.equal(cancelled.status, 200, cancelled.text);
    const all = await outbound('PO-EDI-CHG', 3);
    const cancellation = all.find((item) => item.purpose === 'cancellation');
    assert.ok(cancellation);
    assert.equal(readInterchange(cancellation.raw).groups[0]!.sets[0]!.body[0]!.elements[1], '01');
    // Control numbers never repeat for the partner.
    const numbers = all.map((item) => item.controlNumber);
    assert.equal(new Set(numbers).size, numbers.length);
    assert.notEqual(original.controlNumber, cancellation.controlNumber);
  });

  it('processes files dropped in the inbox directory: processed/ with the 997, failed/ with the problem', async () => {
    assert.equal((await api.request('POST', '/v1/purchase-orders', { key: 'procurement', body: order('PO-EDI-INBOX') })).status, 201);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edi-inbox-'));
    const old = new Date(Date.now() - 60_000);
    fs.writeFileSync(path.join(dir, 'a-855.x12'), fromAcme('PR', '855', [ack855('PO-EDI-INBOX')]));
    fs.writeFileSync(path.join(dir, 'b-broken.x12'), fixture('corrupt-isa-short.x12'));
    for (const name of ['a-855.x12', 'b-broken.x12']) fs.utimesSync(path.join(dir, name), old, old);
    inbound ??= await appInbound();
    const inbox = startEdiInbox({ dir, intervalMs: 60_000, inbound, logger: winston.createLogger({ silent: true }) });
    try {
      await until('the inbox scan', async () => (fs.existsSync(path.join(dir, 'failed', 'b-broken.x12')) && fs.existsSync(path.join(dir, 'processed', 'a-855.x12')) ? true : undefined));
      assert.deepEqual(outcomeOf(fs.readFileSync(path.join(dir, 'processed', 'a-855.x12.997'), 'utf8')).sets, [['0001', 'A', []]]);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'failed', 'b-broken.x12.problem.json'), 'utf8')).code, 'EDI_ISA_LENGTH');
      assert.equal((await view('PO-EDI-INBOX')).status, 'acknowledged');
    } finally {
      await inbox.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The inbound service of an app on the same database and Temporal namespace. */
  async function appInbound(): Promise<EdiInbound> {
    const { createApp } = await import('../../api/app');
    let captured: EdiInbound | undefined;
    createApp({ config: api.config, client, knex: database.knex, logger: winston.createLogger({ silent: true }), onEdiInbound: (service) => (captured = service) });
    return captured!;
  }
});
