/**
 * The finance reports read the rows of their period only (docs/accounting.md, "Reports"): each
 * report runs on two ledgers holding the same entries in its period, one of them with ten times as
 * many entries outside it. The ratio of the two is the cost of the rows a report must not read.
 */
import type { Knex } from 'knex';
import { KnexFinance } from '../activities/erp/knex-finance';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database';
import { measurePair, result, type BenchResult } from './measure';

const WARMUP = 3;
const ITERATIONS = 20;
const IN_PERIOD = 1_000;
const OUTSIDE = 10 * IN_PERIOD;

/** `count` balanced entries (Dr GRNI 10, Dr PPV 1, Cr AP 11) spread evenly from `from` over `days`. */
async function entries(knex: Knex, offset: number, count: number, from: string, days: number): Promise<void> {
  await knex.raw(
    `with spread as (
       select i, ?::timestamptz + (i - ?) * (? * interval '1 day') / ? as at from generate_series(?::int, ?::int) i
     ), keys as (
       insert into business_event_keys (idempotency_key, event_id, po_number, event_type, occurred_at)
       select 'k' || i, 'k' || i, 'PO-' || (1 + i % 100), 'invoice.matched', at from spread returning idempotency_key
     ), inserted as (
       insert into journal_entries (idempotency_key, event_id, event_type, po_number, description, currency, posted_at)
       select 'k' || i, 'k' || i, 'invoice.matched', 'PO-' || (1 + i % 100), 'bench', 'USD', at from spread
       returning id
     )
     insert into journal_lines (journal_entry_id, line_no, account, debit, credit, po_line_no, invoice_number)
     select id, 1, 'GRNI', 10, 0, 1 + id % 5, null from inserted
     union all select id, 2, 'PPV', 1, 0, null, null from inserted
     union all select id, 3, 'AP', 0, 11, null, 'INV-' || id from inserted`,
    [from, offset, days, count, offset, offset + count - 1],
  );
}

export async function ledger(extra: { before: boolean; after: boolean }): Promise<TestDatabase> {
  const database = await createTestDatabase();
  const { knex } = database;
  await knex.raw(`insert into suppliers (supplier_id, name, currency) select 'S' || s, 'Supplier ' || s, 'USD' from generate_series(0, 9) s`);
  await knex.raw(
    `insert into purchase_orders (po_number, supplier_id, currency, status, total, request_hash, workflow_id, created_at, updated_at)
     select 'PO-' || p, 'S' || (p % 10), 'USD', 'received', 0, 'h', 'purchase-order:PO-' || p, '2026-01-01', '2026-01-01' from generate_series(1, 100) p`,
  );
  await knex.raw(
    `insert into purchase_order_lines (po_number, line_no, sku, kind, uom, quantity, unit_price, agreed_unit_price, updated_at)
     select 'PO-' || p, l, 'SKU-' || l, 'goods', 'EA', 10, 10, 10, '2026-01-01' from generate_series(1, 100) p, generate_series(1, 5) l`,
  );
  // The period is November 2026; the extra entries come before it and after it.
  await entries(knex, 1, IN_PERIOD, '2026-11-01T00:00:00Z', 29);
  const before = extra.before && extra.after ? OUTSIDE / 2 : extra.before ? OUTSIDE : 0;
  const after = extra.after ? OUTSIDE - before : 0;
  if (before > 0) await entries(knex, IN_PERIOD + 1, before, '2026-01-01T00:00:00Z', 300);
  if (after > 0) await entries(knex, IN_PERIOD + 1 + before, after, '2026-12-01T00:00:00Z', 300);
  await knex.raw('analyze');
  return database;
}

export async function reportBenchmarks(): Promise<BenchResult[]> {
  // A period report must not read entries before or after it; an as-of report reads everything up
  // to its day (its period), but nothing posted after it.
  const ledgers = [await ledger({ before: false, after: false }), await ledger({ before: true, after: true }), await ledger({ before: false, after: true })];
  try {
    const [small, around, later] = ledgers.map((database) => new KnexFinance(database.knex)) as [KnexFinance, KnexFinance, KnexFinance];
    const results: BenchResult[] = [];
    const reports: [string, KnexFinance, string, (finance: KnexFinance) => Promise<unknown>][] = [
      ['PPV by supplier for November', around, 'before and after it', (finance) => finance.ppv('2026-11-01', '2026-11-30')],
      ['trial balance as of 2026-11-30', later, 'after it', (finance) => finance.trialBalance('2026-11-30')],
      ['GRNI accrual as of 2026-11-30', later, 'after it', (finance) => finance.grniAccrual('2026-11-30')],
      ['AP aging as of 2026-11-30', later, 'after it', (finance) => finance.apAging('2026-11-30')],
    ];
    for (const [name, subject, where, run] of reports) {
      const measured = await measurePair({ warmup: WARMUP, iterations: ITERATIONS, subject: () => run(subject), baseline: () => run(small) });
      results.push(
        result('erp', `report: ${name}, ${OUTSIDE} more entries ${where}`, measured, 'the same report, no entries outside its period', 2, [
          `${name}: ${IN_PERIOD} entries of 3 lines in its period`,
        ]),
      );
    }
    return results;
  } finally {
    await Promise.all(ledgers.map((database) => database.drop()));
  }
}
