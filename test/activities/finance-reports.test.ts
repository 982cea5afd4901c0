/**
 * The finance reports against the journals they are computed from: a small ledger of receipts,
 * invoices and payments across two suppliers, two currencies and two months, each report checked
 * both against figures an accountant works out by hand and against sums over the journal lines.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import Decimal from 'decimal.js';
import { KnexFinance } from '../../activities/erp/knex-finance';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';

type Line = [account: string, debit: string, credit: string, dims?: { lineNo?: number; invoiceNumber?: string }];
let entries = 0;

async function journal(knex: Knex, poNumber: string, currency: string, postedAt: string, type: string, lines: Line[]): Promise<void> {
  const key = `key-${++entries}`;
  await knex('business_event_keys').insert({ idempotency_key: key, event_id: key, po_number: poNumber, event_type: type, occurred_at: postedAt });
  const [entry] = await knex('journal_entries')
    .insert({ idempotency_key: key, event_id: key, event_type: type, po_number: poNumber, description: type, currency, posted_at: postedAt })
    .returning<{ id: string }[]>('id');
  await knex('journal_lines').insert(
    lines.map(([account, debit, credit, dims], index) => ({ journal_entry_id: entry!.id, line_no: index + 1, account, debit, credit, po_line_no: dims?.lineNo ?? null, invoice_number: dims?.invoiceNumber ?? null })),
  );
}

async function purchaseOrder(knex: Knex, poNumber: string, supplierId: string, currency: string, lines: number): Promise<void> {
  await knex('purchase_orders').insert({ po_number: poNumber, supplier_id: supplierId, currency, status: 'partially_received', total: '0', request_hash: 'h', workflow_id: `purchase-order:${poNumber}`, created_at: '2026-10-01T00:00:00Z', updated_at: '2026-10-01T00:00:00Z' });
  for (let lineNo = 1; lineNo <= lines; lineNo++) {
    await knex('purchase_order_lines').insert({ po_number: poNumber, line_no: lineNo, sku: `SKU-${lineNo}`, kind: 'goods', uom: 'EA', quantity: '10', unit_price: '10', agreed_unit_price: '10', updated_at: '2026-10-01T00:00:00Z' });
  }
}

async function invoice(knex: Knex, poNumber: string, supplierId: string, invoiceNumber: string, dueDate: string): Promise<void> {
  const [row] = await knex('invoices')
    .insert({ supplier_id: supplierId, po_number: poNumber, invoice_number: invoiceNumber, normalised_number: invoiceNumber.replace(/-/g, ''), invoice_date: '2026-11-01', currency: 'USD', total: '0', status: 'scheduled', body_hash: 'b', match_status: 'matched', match: '{}', submitted_at: '2026-11-01T00:00:00Z', submitted_by: '{}', updated_at: '2026-11-01T00:00:00Z' })
    .returning<{ id: string }[]>('id');
  await knex('payments').insert({ invoice_id: row!.id, attempt: 1, status: 'scheduled', due_date: dueDate, scheduled_for: `${dueDate}T00:00:00Z`, amount: '0', updated_at: '2026-11-01T00:00:00Z' });
}

/** Debit − credit per account and currency over the journal lines up to the end of `asOf`, in plain JS. */
async function balancesFromJournals(knex: Knex, asOf: string): Promise<Map<string, Decimal>> {
  const rows = await knex('journal_lines as l').join('journal_entries as e', 'e.id', 'l.journal_entry_id').where('e.posted_at', '<', new Date(Date.parse(`${asOf}T00:00:00Z`) + 86_400_000).toISOString()).select('l.account', 'e.currency', 'l.debit', 'l.credit');
  const balances = new Map<string, Decimal>();
  for (const row of rows) {
    const key = `${row.currency} ${row.account}`;
    balances.set(key, (balances.get(key) ?? new Decimal(0)).plus(row.debit).minus(row.credit));
  }
  return balances;
}

describe('finance reports computed from the journals', () => {
  let database: TestDatabase;
  let reports: KnexFinance;

  before(async () => {
    database = await createTestDatabase();
    const { knex } = database;
    reports = new KnexFinance(knex);
    await knex('suppliers').insert([{ supplier_id: 'ACME', name: 'Acme', currency: 'USD' }, { supplier_id: 'GLOBEX', name: 'Globex', currency: 'USD' }]);
    await purchaseOrder(knex, 'PO-A', 'ACME', 'USD', 2);
    await purchaseOrder(knex, 'PO-B', 'ACME', 'EUR', 1);
    await purchaseOrder(knex, 'PO-C', 'GLOBEX', 'USD', 1);
    await invoice(knex, 'PO-A', 'ACME', 'INV-A1', '2026-11-12');
    await invoice(knex, 'PO-C', 'GLOBEX', 'INV-C1', '2026-12-16');
    await journal(knex, 'PO-A', 'USD', '2026-10-05T10:00:00Z', 'goods.received', [['INVENTORY', '100.00', '0', { lineNo: 1 }], ['GRNI', '0', '100.00', { lineNo: 1 }]]);
    await journal(knex, 'PO-A', 'USD', '2026-10-20T10:00:00Z', 'goods.received', [['INVENTORY', '50.00', '0', { lineNo: 2 }], ['GRNI', '0', '50.00', { lineNo: 2 }]]);
    await journal(knex, 'PO-A', 'USD', '2026-11-02T10:00:00Z', 'invoice.matched', [['GRNI', '100.00', '0', { lineNo: 1 }], ['PPV', '3.00', '0'], ['AP', '0', '103.00', { invoiceNumber: 'INV-A1' }]]);
    await journal(knex, 'PO-B', 'EUR', '2026-11-10T10:00:00Z', 'goods.received', [['INVENTORY', '80.00', '0', { lineNo: 1 }], ['GRNI', '0', '80.00', { lineNo: 1 }]]);
    await journal(knex, 'PO-C', 'USD', '2026-11-15T10:00:00Z', 'goods.received', [['INVENTORY', '20.00', '0', { lineNo: 1 }], ['GRNI', '0', '20.00', { lineNo: 1 }]]);
    await journal(knex, 'PO-C', 'USD', '2026-11-16T10:00:00Z', 'invoice.matched', [['GRNI', '20.00', '0', { lineNo: 1 }], ['PPV', '0', '1.00'], ['AP', '0', '19.00', { invoiceNumber: 'INV-C1' }]]);
    await journal(knex, 'PO-A', 'USD', '2026-12-05T10:00:00Z', 'payment.sent', [['AP', '103.00', '0', { invoiceNumber: 'INV-A1' }], ['BANK', '0', '103.00']]);
  });

  after(async () => {
    await database?.drop();
  });

  it('the trial balance as of any day is the journal lines posted up to its end, per account and currency, and balances', async () => {
    for (const asOf of ['2026-10-04', '2026-10-31', '2026-11-30', '2026-12-31']) {
      const report = await reports.trialBalance(asOf);
      const expected = await balancesFromJournals(database.knex, asOf);
      const actual = new Map(report.rows.map((row) => [`${row.currency} ${row.account}`, new Decimal(row.balance)]));
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), asOf);
      for (const [key, balance] of expected) assert.equal(actual.get(key)!.toFixed(2), balance.toFixed(2), `${asOf} ${key}`);
      for (const total of report.totals) assert.equal(total.debit, total.credit, `${asOf} ${total.currency} debits equal credits`);
    }
    const november = await reports.trialBalance('2026-11-30');
    const usd = (account: string) => november.rows.find((row) => row.currency === 'USD' && row.account === account)!;
    assert.deepEqual([usd('GRNI').debit, usd('GRNI').credit, usd('GRNI').balance], ['120.00', '170.00', '-50.00']);
    assert.equal(usd('AP').balance, '-122.00');
  });

  it('GRNI accrual lists each line received and not invoiced, with the age of its oldest open receipt', async () => {
    const october = await reports.grniAccrual('2026-10-31');
    assert.deepEqual(october.rows.map((r) => [r.poNumber, r.lineNo, r.sku, r.amount, r.ageDays]), [['PO-A', 1, 'SKU-1', '100.00', 26], ['PO-A', 2, 'SKU-2', '50.00', 11]]);
    const november = await reports.grniAccrual('2026-11-30');
    assert.deepEqual(november.rows.map((r) => [r.poNumber, r.supplierId, r.lineNo, r.currency, r.amount, r.ageDays]), [['PO-A', 'ACME', 2, 'USD', '50.00', 41], ['PO-B', 'ACME', 1, 'EUR', '80.00', 20]]);
    // Per currency, the accrual is exactly the GRNI credit balance of the trial balance.
    const balances = await balancesFromJournals(database.knex, '2026-11-30');
    for (const total of november.totals) assert.equal(total.amount, balances.get(`${total.currency} GRNI`)!.negated().toFixed(2));
  });

  it('AP aging buckets what AP still owes per invoice by days past its due date', async () => {
    const november = await reports.apAging('2026-11-30');
    assert.deepEqual(november.rows.map((r) => [r.invoiceNumber, r.supplierId, r.amount, r.dueDate, r.daysOverdue, r.bucket]), [['INV-A1', 'ACME', '103.00', '2026-11-12', 18, '1-30'], ['INV-C1', 'GLOBEX', '19.00', '2026-12-16', 0, 'current']]);
    const balances = await balancesFromJournals(database.knex, '2026-11-30');
    const owed = november.buckets.reduce((total, bucket) => total.plus(bucket.amount), new Decimal(0));
    assert.equal(owed.toFixed(2), balances.get('USD AP')!.negated().toFixed(2), 'the buckets add up to the AP balance');
    const december = await reports.apAging('2026-12-31');
    assert.deepEqual(december.rows.map((r) => [r.invoiceNumber, r.daysOverdue, r.bucket]), [['INV-C1', 15, '1-30']], 'a paid invoice is no longer open');
  });

  it('PPV by supplier covers only the entries posted in the period', async () => {
    const november = await reports.ppv('2026-11-01', '2026-11-30');
    assert.deepEqual(november.rows.map((r) => [r.supplierId, r.currency, r.amount, r.entries]), [['ACME', 'USD', '3.00', 1], ['GLOBEX', 'USD', '-1.00', 1]]);
    assert.deepEqual(november.totals, [{ currency: 'USD', amount: '2.00' }]);
    assert.deepEqual((await reports.ppv('2026-11-03', '2026-11-15')).rows, []);
    assert.deepEqual((await reports.ppv('2026-11-16', '2026-11-16')).rows.map((r) => r.supplierId), ['GLOBEX'], 'both ends of the period are included');
  });

  it('can read only the entries of its period: the plans start from the posted_at index', async () => {
    // A ledger this small is scanned whole; with sequential scans off the planner shows what it would use on a large one.
    const plan = await database.knex.transaction(async (trx) => {
      await trx.raw('set local enable_seqscan = off');
      const { rows } = await trx.raw<{ rows: { 'QUERY PLAN': string }[] }>(
        `explain select l.account, sum(l.debit) from journal_entries e join journal_lines l on l.journal_entry_id = e.id where e.posted_at >= '2026-11-01' and e.posted_at < '2026-12-01' group by l.account`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /journal_entries_by_posted_at/);
    assert.match(plan, /journal_lines_by_entry_account|journal_lines_journal_entry_id_line_no_unique/);
  });
});
