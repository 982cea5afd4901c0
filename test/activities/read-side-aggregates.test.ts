/**
 * The read-side aggregates (migration 20261204040000, docs/adr/0073-read-side-aggregates.md) are
 * kept by triggers in the transactions that change the rows they count. Here they are compared,
 * after writes through the ERP writer (several connections at once, so several counter shards)
 * and after direct changes of every kind the triggers handle, with
 * - a rebuild from the base tables (`rebuild_read_side_aggregates()`), and
 * - the KPIs recomputed by scanning the base tables, as they were computed before the aggregates.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import type { TestDatabase } from '../helpers/database';
import { seed } from '../../bench/reads';

const NOW = new Date('2026-12-01T12:00:00.000Z');

/** Everything the triggers keep, in a comparable form. */
async function aggregates(knex: Knex) {
  const counters = (await knex.raw<{ rows: { name: string; value: string }[] }>(
    `select name, sum(value)::text as value from read_side_counters group by name having sum(value) <> 0 order by name`,
  )).rows;
  const firstAcknowledgements = await knex('po_first_acknowledgements').select('po_number', knex.raw('first_acknowledged_at::text'), knex.raw('hours::text')).orderBy('po_number');
  const grni = await knex('grni_line_balances')
    .select('po_number', 'po_line_no', 'currency', knex.raw('amount::text'), knex.raw('first_receipt_at::text'), 'po_open')
    .orderBy(['po_number', 'po_line_no', 'currency']);
  return { counters, firstAcknowledgements, grni };
}

/** The KPIs the aggregates serve, computed by scanning the base tables. */
async function recomputed(knex: Knex, now: Date) {
  const round = (value: unknown, decimals: number) => (value === null ? null : Math.round(Number(value) * 10 ** decimals) / 10 ** decimals);
  const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);
  const ack = (await knex.raw(`
    with first_acknowledgement as (
      select po.po_number, extract(epoch from (min(a.acknowledged_at) - po.created_at)) / 3600.0 as hours
        from purchase_orders po join acknowledgements a on a.po_number = po.po_number
       group by po.po_number, po.created_at)
    select count(*) as n, avg(hours) as average, percentile_cont(0.5) within group (order by hours) as median from first_acknowledgement`)).rows[0];
  const matching = (await knex.raw(`
    with classified as (
      select i.status, (i.had_exception or i.status = 'exception' or i.match_status = 'exception' or i.resolution_action is not null) as had_exception from invoices i)
    select count(*) as invoices, count(*) filter (where status <> 'pending_receipt') as decided,
           count(*) filter (where status <> 'pending_receipt' and not had_exception) as first_pass,
           count(*) filter (where had_exception) as with_exception from classified`)).rows[0];
  const grni = (await knex.raw(
    `with balances as (
       select e.po_number, l.po_line_no, e.currency, sum(l.credit - l.debit) as amount, min(e.posted_at) filter (where l.credit > 0) as first_receipt_at
         from journal_entries e join journal_lines l on l.journal_entry_id = e.id and l.account = 'GRNI'
         join purchase_orders po on po.po_number = e.po_number and po.status not in ('closed', 'cancelled')
        where l.po_line_no is not null
        group by e.po_number, l.po_line_no, e.currency)
     select currency, to_char(sum(amount), 'FM9999999999999990.00') as amount, count(*) as lines from balances
      where amount <> 0 and first_receipt_at < ?::timestamptz - make_interval(days => 30)
      group by currency order by currency`,
    [now.toISOString()],
  )).rows as { currency: string; amount: string; lines: string }[];
  const counts = (await knex.raw(`
    select (select count(*) from invoices where status in ('pending_receipt', 'exception')) as unmatched,
           (select count(*) from invoices where status = 'approved' and posted_at is null) as unposted`)).rows[0];
  const invoices = Number(matching.invoices);
  const decided = Number(matching.decided);
  return {
    acknowledgementCycleTime: { acknowledgedPurchaseOrders: Number(ack.n), averageHours: round(ack.average, 2), medianHours: round(ack.median, 2) },
    invoiceMatching: {
      invoices,
      decidedInvoices: decided,
      firstPassMatched: Number(matching.first_pass),
      firstPassMatchRate: ratio(Number(matching.first_pass), decided),
      invoicesWithException: Number(matching.with_exception),
      exceptionRate: ratio(Number(matching.with_exception), invoices),
    },
    staleGrniLines: grni.reduce((total, row) => total + Number(row.lines), 0),
    staleGrniAmounts: grni.map((row) => ({ currency: row.currency, amount: row.amount })),
    unmatchedInvoices: Number(counts.unmatched),
    unpostedInvoices: Number(counts.unposted),
  };
}

async function assertInStep(knex: Knex, what: string): Promise<void> {
  const kpis = await new KnexReadModel(knex).kpis(NOW);
  const expected = await recomputed(knex, NOW);
  assert.deepEqual(
    {
      acknowledgementCycleTime: kpis.acknowledgementCycleTime,
      invoiceMatching: kpis.invoiceMatching,
      staleGrniLines: kpis.periodCloseReadiness.staleGrniLines,
      staleGrniAmounts: kpis.periodCloseReadiness.staleGrniAmounts,
      unmatchedInvoices: kpis.periodCloseReadiness.unmatchedInvoices,
      unpostedInvoices: kpis.periodCloseReadiness.unpostedInvoices,
    },
    expected,
    `${what}: the KPIs from the aggregates differ from a scan of the base tables`,
  );
  const kept = await aggregates(knex);
  await knex.raw('select rebuild_read_side_aggregates()');
  assert.deepEqual(kept, await aggregates(knex), `${what}: what the triggers kept differs from a rebuild`);
  assert.deepEqual(await new KnexReadModel(knex).kpis(NOW), kpis, `${what}: the KPIs changed with a rebuild`);
}

describe('read-side aggregates', () => {
  let database: TestDatabase;

  before(async () => {
    // 60 POs written by the ERP writer, four at a time: acknowledged, received (GRNI), invoiced.
    database = await seed(60, () => undefined);
  });

  after(async () => {
    await database?.drop();
  });

  it('equal a recomputation after the ERP writer recorded POs on several connections at once', async () => {
    const kept = await aggregates(database.knex);
    assert.ok(kept.firstAcknowledgements.length > 0 && kept.grni.some((line) => line.amount !== '0'), 'the seed has acknowledgements and GRNI');
    await assertInStep(database.knex, 'after the writer');
  });

  it('follow every kind of change to the rows they count', async () => {
    const knex = database.knex;
    const acknowledged = await knex('acknowledgements').orderBy('po_number').pluck<string[]>('po_number');
    const [first, second, third] = acknowledged;
    assert.ok(first && second && third);

    // An earlier acknowledgement becomes the first; one PO loses its only acknowledgement; one PO's
    // issue time moves.
    await knex('acknowledgements').insert({ po_number: first, acknowledged_at: '2026-05-31T09:00:00Z', type: 'accept', acknowledged_by: JSON.stringify({ role: 'system', id: 'system' }) });
    await knex('acknowledgements').where({ po_number: second }).delete();
    await knex('purchase_orders').where({ po_number: third }).update({ created_at: '2026-05-30T08:00:00Z' });
    await assertInStep(knex, 'after acknowledgement changes');

    // A received PO closes (its GRNI no longer counts), another is cancelled and reopened.
    const received = await knex('grni_line_balances').where('amount', '<>', 0).distinct().pluck<string[]>('po_number');
    assert.ok(received.length >= 2);
    await knex('purchase_orders').where({ po_number: received[0] }).update({ status: 'closed' });
    await knex('purchase_orders').where({ po_number: received[1] }).update({ status: 'cancelled' });
    await knex('purchase_orders').where({ po_number: received[1] }).update({ status: 'received' });
    await assertInStep(knex, 'after PO status changes');

    // Invoices move through exception, finance's approval and posting, in one transaction and alone.
    const invoices = await knex('invoices').orderBy('id').pluck<number[]>('id');
    assert.ok(invoices.length >= 2);
    await knex.transaction(async (trx) => {
      await trx('invoices').where({ id: invoices[0] }).update({ status: 'exception', match_status: 'exception' });
      await trx('invoices').where({ id: invoices[0] }).update({ status: 'approved', resolution_action: 'approve', had_exception: true });
    });
    await knex('invoices').where({ id: invoices[1] }).update({ posted_at: '2026-11-30T00:00:00Z' });
    await knex('invoices').where({ id: invoices[1] }).update({ status: 'pending_receipt', match_status: 'pending_receipt' });
    await assertInStep(knex, 'after invoice changes');
  });

  it('are rolled back with the transaction that changed the rows', async () => {
    const knex = database.knex;
    const before = await aggregates(knex);
    const [invoiceId] = await knex('invoices').orderBy('id').pluck<number[]>('id');
    await assert.rejects(
      knex.transaction(async (trx) => {
        await trx('invoices').where({ id: invoiceId }).update({ status: 'exception', match_status: 'exception' });
        await trx('acknowledgements').delete();
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.deepEqual(await aggregates(knex), before);
  });
});
