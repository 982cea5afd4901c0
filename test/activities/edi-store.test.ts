/**
 * The EDI tables on real PostgreSQL: control numbers that never repeat under concurrency, the
 * interchange claim (same text again, reused ISA13), the partner's 997 matched to our group, the
 * log's paging, and delivery of outbound interchanges (retried on 5xx, given up on 4xx).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KnexEdi } from '../../activities/edi/knex-edi';
import { deliverOutboundPass, type EdiOutboundOptions } from '../../activities/edi/outbound';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

describe('EDI store and outbound delivery', () => {
  let db: TestDatabase;
  let edi: KnexEdi;

  before(async () => {
    db = await createTestDatabase();
    edi = new KnexEdi(db.knex);
    await new KnexReadModel(db.knex).upsertSupplier('ACME', { name: 'Acme', currency: 'USD', edi: { qualifier: 'ZZ', id: 'ACMEEDI', version: '004010', delivery: {} } });
  });

  after(async () => {
    await db?.drop();
  });

  it('hands out every control number once, even to 40 callers at the same time', async () => {
    const taken = await Promise.all(Array.from({ length: 40 }, () => edi.nextControlNumbers('ACME', 3)));
    const interchanges = taken.map((numbers) => numbers.interchange);
    const sets = taken.flatMap((numbers) => numbers.sets);
    assert.equal(new Set(interchanges).size, 40);
    assert.equal(new Set(sets).size, 120);
    assert.deepEqual([...interchanges].sort((a, b) => a - b), Array.from({ length: 40 }, (_, index) => index + 1));
  });

  it('claims an interchange once: the same text again is "processed", another text under the same ISA13 is a reused number', async () => {
    const first = await edi.claimInbound({ supplierId: 'ACME', controlNumber: '000000777', raw: 'ISA…', rawHash: 'h1' });
    assert.equal(first.outcome, 'claimed');
    assert.equal((await edi.claimInbound({ supplierId: 'ACME', controlNumber: '000000777', raw: 'ISA…', rawHash: 'h1' })).outcome, 'in_progress');
    await edi.completeInbound((first as { id: string }).id, {
      status: 'accepted',
      groupControlNumbers: ['777'],
      setIds: ['856'],
      poNumbers: ['PO-1'],
      sets: [],
      acknowledgementRaw: 'ISA*997…',
      documents: [{ setId: '856', documentKey: 'ASN-1', bodyHash: 'b1', poNumber: 'PO-1' }],
    });
    const again = await edi.claimInbound({ supplierId: 'ACME', controlNumber: '000000777', raw: 'ISA…', rawHash: 'h1' });
    assert.equal(again.outcome, 'processed');
    assert.equal((again as { interchange: { acknowledgementRaw: string } }).interchange.acknowledgementRaw, 'ISA*997…');
    assert.equal((await edi.claimInbound({ supplierId: 'ACME', controlNumber: '000000777', raw: 'other', rawHash: 'h2' })).outcome, 'control_number_reused');
    assert.deepEqual(await edi.appliedDocument('ACME', '856', 'ASN-1'), { bodyHash: 'b1', poNumber: 'PO-1' });
  });

  it('records a partner 997 on the outbound interchange of that group, and lists the log newest first, page by page', async () => {
    for (const [index, group] of ['41', '42', '43'].entries()) {
      await db.knex('edi_interchanges').insert({
        id: `00000000-0000-4000-8000-00000000000${index}`,
        direction: 'outbound',
        supplier_id: 'ACME',
        control_number: `00000004${index}`,
        group_control_numbers: [group],
        set_ids: ['850'],
        document_type: '850',
        purpose: 'original',
        status: 'pending',
        raw: 'ISA*850…',
        raw_hash: `o${index}`,
        po_numbers: ['PO-9'],
        created_at: new Date(Date.UTC(2026, 11, 1, 9, index)),
      });
    }
    const recorded = await edi.recordReceivedAcknowledgement('ACME', 'PO', '42', { status: 'rejected', receivedAt: '2026-12-01T10:00:00.000Z', interchangeId: 'x', groupCodes: [], sets: [] });
    assert.deepEqual(recorded, { interchangeId: '00000000-0000-4000-8000-000000000001', poNumbers: ['PO-9'] });
    assert.equal(await edi.recordReceivedAcknowledgement('ACME', 'PC', '42', { status: 'accepted', receivedAt: '', interchangeId: 'x', groupCodes: [], sets: [] }), undefined);
    const onPo = await edi.purchaseOrderEdi('PO-9');
    assert.equal(onPo?.functionalAcknowledgement?.status, 'pending', 'the latest 850 (group 43) has no 997 yet');
    assert.equal(onPo?.interchanges.length, 3);

    const firstPage = await edi.listInterchanges({ direction: 'outbound', poNumber: 'PO-9', limit: 2 });
    assert.deepEqual(firstPage.items.map((item) => item.controlNumber), ['000000042', '000000041']);
    const secondPage = await edi.listInterchanges({ direction: 'outbound', poNumber: 'PO-9', limit: 2, cursor: firstPage.nextCursor! });
    assert.deepEqual(secondPage.items.map((item) => item.controlNumber), ['000000040']);
    assert.equal(secondPage.nextCursor, null);
    await assert.rejects(edi.listInterchanges({ limit: 2, cursor: 'not-a-cursor' }), { name: 'InvalidCursorError' });
  });

  it('delivers outbound interchanges: a 503 is tried again, a 400 gives up at once, a 202 is delivered', async () => {
    const answers: number[] = [503, 202];
    const bodies: { type: string; body: string }[] = [];
    const partner = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push({ type: String(req.headers['content-type']), body });
        res.writeHead(req.url === '/refuses' ? 400 : (answers.shift() ?? 202)).end();
      });
    });
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(partner.address() as AddressInfo).port}`;
    try {
      await db.knex('edi_interchanges').whereIn('id', ['00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000001']).update({ delivery_url: `${base}/edi`, next_attempt_at: db.knex.fn.now() });
      await db.knex('edi_interchanges').where({ id: '00000000-0000-4000-8000-000000000002' }).update({ supplier_id: 'ACME', delivery_url: `${base}/refuses`, next_attempt_at: db.knex.fn.now() });
      const options: EdiOutboundOptions = { sender: { qualifier: 'ZZ', id: 'P2PORCH' }, owner: 'test', leaseMs: 30_000, batchSize: 10, schedule: [0, 0, 0], timeoutMs: 2_000, random: () => 0.5 };

      // One at a time per partner, oldest first: the first answer (503) is for interchange 0.
      const first = await deliverOutboundPass(db.knex, options);
      assert.deepEqual({ delivered: first.delivered, failed: first.failed }, { delivered: 0, failed: 1 });
      const rows = async () => Object.fromEntries((await db.knex('edi_interchanges').where({ direction: 'outbound' }).orderBy('created_at').select('control_number', 'status', 'attempts')).map((row) => [row.control_number, `${row.status}/${row.attempts}`]));
      assert.deepEqual(await rows(), { '000000040': 'pending/1', '000000041': 'pending/0', '000000042': 'pending/0' });
      for (let pass = 0; pass < 3; pass++) await deliverOutboundPass(db.knex, options);
      assert.deepEqual(await rows(), { '000000040': 'delivered/2', '000000041': 'delivered/1', '000000042': 'failed/1' });
      assert.ok(bodies.every((delivery) => delivery.type === 'application/edi-x12' && delivery.body === 'ISA*850…'));
    } finally {
      await new Promise<void>((resolve) => partner.close(() => resolve()));
    }
  });
});
