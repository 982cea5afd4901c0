/**
 * Read-side growth (issue 14: ≤ 1.5× from 100 to 10,000 POs): the listing, the KPIs and one PO's
 * snapshot, read from the ERP read model of a database holding 10,000 POs against one holding 100.
 * The POs are written by the ERP writer itself (KnexErp.recordBusinessEvent, the code the
 * activities run), from events folded through the domain, rather than by 10,000 workflows: one in
 * ten acknowledged and received, half of those invoiced (matched). The other nine in ten are
 * issued POs, copied in SQL from one the writer wrote (the writer takes ~20 ms a record on a busy
 * 2-core machine; 10,000 POs through it would take minutes more and measure the same tables).
 */
import type { Knex } from 'knex';
import winston from 'winston';
import { KnexErp } from '../activities/erp/knex-erp';
import { KnexReadModel } from '../activities/erp/knex-read-model';
import { threeWayMatch } from '../workflows/domain/matching';
import { apply, initialState } from '../workflows/domain/lifecycle/apply';
import type { PoEvent, PoState } from '../workflows/domain/state';
import { DEFAULT_PAYMENT_TERMS, resolveTolerances } from '../workflows/domain/policy';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database';
import { setupRecords } from './erp';
import { actors, EventClock, invoiceBody, purchaseOrderBody, receiptBody, receiptEvent } from './fixtures';
import { measurePair, result, type BenchResult } from './measure';
import type { Say } from './services';
import { pool, sizeFromEnv } from './stack';

const SMALL = sizeFromEnv('BENCH_READS_SMALL', 100);
const LARGE = sizeFromEnv('BENCH_READS_LARGE', 10_000);
const SEED_CONCURRENCY = 4;
const SUPPLIERS = ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'];
const WARMUP = 3;
const ITERATIONS = 30;

/** The events of a 2-line PO up to stage 0 (issued), 1 (acknowledged and received) or 2 (invoiced, matched). */
function history(poNumber: string, supplierId: string, stage: number, clock: EventClock): { event: PoEvent; state: PoState }[] {
  const issued = {
    type: 'po.issued',
    at: clock.next(),
    actor: actors.buyer,
    po: purchaseOrderBody(poNumber, supplierId, 2, 10),
    requestHash: `seed-${poNumber}`,
    policy: {
      paymentTerms: { ...DEFAULT_PAYMENT_TERMS },
      tolerances: resolveTolerances(),
      slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' },
      captureDiscounts: true,
    },
  } as Extract<PoEvent, { type: 'po.issued' }>;
  let state = initialState(issued);
  const events = [{ event: issued as PoEvent, state }];
  const fold = (event: PoEvent) => {
    state = apply(state, event);
    events.push({ event, state });
  };
  if (stage >= 1) {
    fold({ type: 'po.acknowledged', at: clock.next(), actor: actors.supplier(supplierId), acknowledgement: { type: 'accept' } });
    fold(receiptEvent(receiptBody(state, `GR-${poNumber}`, 10), clock.next()));
  }
  if (stage >= 2) {
    const invoice = invoiceBody(state, `INV-${poNumber}`, 10);
    const at = clock.next();
    fold({ type: 'invoice.received', at, actor: actors.supplier(supplierId), invoice, bodyHash: `seed-${poNumber}`, match: threeWayMatch({ state, invoice, at }) });
  }
  return events;
}

const poNumberOf = (i: number) => `PO-R-${String(i + 1).padStart(5, '0')}`;

/**
 * Copies every row the writer wrote for issued PO `template` (each table with a po_number column)
 * as PO `i` for every i in `indexes`: the PO number is replaced wherever it appears (keys, ids,
 * the snapshot), serial columns take fresh values, text ids fresh UUIDs, and created_at moves by
 * one second per copy so the listing's keyset sees distinct POs.
 */
async function copyIssued(knex: Knex, template: string, indexes: number[]): Promise<void> {
  const tables = await knex('information_schema.columns').where({ table_schema: 'public', column_name: 'po_number' }).pluck<string[]>('table_name');
  const copies = indexes.map((i) => ({ po: poNumberOf(i), shift: i }));
  for (const table of tables) {
    if ((await knex(table).where({ po_number: template }).first()) === undefined) continue;
    const columns = await knex('information_schema.columns').where({ table_schema: 'public', table_name: table }).select<{ column_name: string; column_default: string | null; data_type: string }[]>('column_name', 'column_default', 'data_type');
    const copied = columns.filter((column) => !column.column_default?.startsWith('nextval('));
    const value = (column: { column_name: string; data_type: string }) =>
      column.column_name === 'id' && column.data_type === 'text'
        ? 'gen_random_uuid()::text'
        : column.column_name === 'created_at' && table === 'purchase_orders'
          ? `(r.created_at + copy.shift * interval '1 second')`
          : `r.${column.column_name}`;
    const list = copied.map((column) => `"${column.column_name}"`).join(', ');
    await knex.raw(
      `insert into "${table}" (${list})
       select ${copied.map((column) => `${value(column)}`).join(', ')}
       from "${table}" t,
            jsonb_to_recordset(?::jsonb) as copy(po text, shift integer),
            lateral jsonb_populate_record(null::"${table}", replace(to_jsonb(t)::text, ?, copy.po)::jsonb) as r
       where t.po_number = ?`,
      [JSON.stringify(copies), template, template],
    );
  }
}

export async function seed(count: number, say: Say): Promise<TestDatabase> {
  const database = await createTestDatabase();
  const erp = new KnexErp(database.knex, winston.createLogger({ silent: true }));
  const readModel = new KnexReadModel(database.knex);
  for (const supplierId of SUPPLIERS) await readModel.upsertSupplier(supplierId, { name: `${supplierId} Ltd`, currency: 'USD' });
  const clock = new EventClock('2026-06-01T08:00:00.000Z');
  // Stage by index: 1 in 20 invoiced, 1 in 20 received, the rest issued (index 0 is the template).
  const stageOf = (i: number) => (i % 20 === 1 ? 2 : i % 20 === 2 ? 1 : 0);
  const write = async (i: number) => {
    for (const record of setupRecords(history(poNumberOf(i), SUPPLIERS[i % SUPPLIERS.length]!, stageOf(i), clock))) await erp.recordBusinessEvent(record);
  };
  await write(0);
  const written = Array.from({ length: count }, (_, i) => i).filter((i) => i > 0 && stageOf(i) > 0);
  await pool(written.length, SEED_CONCURRENCY, (n) => write(written[n]!));
  const issued = Array.from({ length: count }, (_, i) => i).filter((i) => i > 0 && stageOf(i) === 0);
  for (let start = 0; start < issued.length; start += 2_000) await copyIssued(database.knex, poNumberOf(0), issued.slice(start, start + 2_000));
  const [{ total }] = await database.knex('purchase_orders').count<{ total: string }[]>('* as total');
  if (Number(total) !== count) throw new Error(`Seeded ${total} POs, expected ${count}`);
  say(`  ${count} POs: ${written.length + 1} through the ERP writer, ${issued.length} copied`);
  return database;
}

export async function readSideBenchmarks(say: Say): Promise<BenchResult[]> {
  say(`Seeding ${SMALL} and ${LARGE} POs through the ERP writer ...`);
  const small = await seed(SMALL, say);
  let large: TestDatabase | undefined;
  try {
    large = await seed(LARGE, say);
    // Fresh statistics on both, as autovacuum would have them on a database that grew over time.
    await Promise.all([small.knex.raw('analyze'), large.knex.raw('analyze')]);
    const readers = { small: new KnexReadModel(small.knex), large: new KnexReadModel(large.knex) };
    const poNumber = poNumberOf(Math.min(SMALL - 1, 41));
    const pair = (read: (model: KnexReadModel) => Promise<unknown>) =>
      measurePair({ warmup: WARMUP, iterations: ITERATIONS, subject: () => read(readers.large), baseline: () => read(readers.small) });
    const baselineName = `the same read at ${SMALL} POs`;
    return [
      result('reads', `listing, first page of 50, at ${LARGE.toLocaleString('en-US')} POs`, await pair((model) => model.listPurchaseOrders({ limit: 50 })), baselineName, 1.5),
      result('reads', `listing by supplier and status, at ${LARGE.toLocaleString('en-US')} POs`, await pair((model) => model.listPurchaseOrders({ limit: 50, supplierId: 'ACME', status: 'received' })), baselineName, 1.5),
      result('reads', `KPIs at ${LARGE.toLocaleString('en-US')} POs`, await pair((model) => model.kpis()), baselineName, 1.5),
      result('reads', `one PO (snapshot) at ${LARGE.toLocaleString('en-US')} POs`, await pair((model) => model.getPurchaseOrderSnapshot(poNumber)), baselineName, 1.5),
    ];
  } finally {
    await small.drop();
    await large?.drop();
  }
}
