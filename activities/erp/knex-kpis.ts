/**
 * Procure-to-pay KPIs for finance and operators, computed in SQL over the ERP's tables
 * (`activities/erp/migrations/`). Aggregation stays in PostgreSQL: amounts are summed as numeric
 * and returned as decimal strings, never as floats.
 */
import type { Knex } from 'knex';
import type { Kpis } from '../ports';
import { computeFinanceKpis, type KpiOptions } from './knex-finance-kpis';

function count(value: unknown): number {
  return Number(value ?? 0);
}

function rounded(value: unknown, decimals: number): number | null {
  if (value === null || value === undefined) return null;
  const factor = 10 ** decimals;
  return Math.round(Number(value) * factor) / factor;
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

export async function computeKpis(knex: Knex, now: Date, options: KpiOptions = {}): Promise<Kpis> {
  const [acknowledgement, matching, ageing, payment, discounts, finance] = await Promise.all([
    acknowledgementCycleTime(knex),
    invoiceMatching(knex),
    openExceptionsByAge(knex, now),
    daysToPay(knex),
    discountsCaptured(knex),
    computeFinanceKpis(knex, now, options),
  ]);
  return {
    generatedAt: now.toISOString(),
    acknowledgementCycleTime: acknowledgement,
    invoiceMatching: matching,
    openExceptionsByAge: ageing,
    daysToPay: payment,
    discountsCaptured: discounts,
    ...finance,
  };
}

/**
 * Counters kept by triggers in the transactions that change what they count (migration
 * 20261204040000, docs/adr/0073-read-side-aggregates.md): a few rows whatever the number of POs.
 */
export async function readSideCounters(knex: Knex, names: readonly string[]): Promise<Record<string, string>> {
  const { rows } = await knex.raw<{ rows: { name: string; value: string }[] }>(
    'select name, sum(value) as value from read_side_counters where name = any(?) group by name',
    [[...names]],
  );
  const values = Object.fromEntries(names.map((name) => [name, '0']));
  for (const row of rows) values[row.name] = row.value;
  return values;
}

/**
 * Time from issuing a PO to the supplier's first acknowledgement: count and total hours from the
 * counters, the median from the middle one or two of the hours index.
 */
async function acknowledgementCycleTime(knex: Knex): Promise<Kpis['acknowledgementCycleTime']> {
  const { rows } = await knex.raw<{ rows: { n: string; average: string | null; median: string | null }[] }>(`
    with totals as (
      select coalesce(sum(value) filter (where name = 'acknowledged_pos'), 0)::bigint as n,
             sum(value) filter (where name = 'acknowledgement_hours') as hours
        from read_side_counters
       where name in ('acknowledged_pos', 'acknowledgement_hours')
    )
    select n,
           case when n > 0 then hours / n end as average,
           (select percentile_cont(0.5) within group (order by middle.hours)
              from (select f.hours from po_first_acknowledgements f
                     order by f.hours offset greatest((n - 1) / 2, 0) limit 2 - n % 2) middle) as median
      from totals`);
  const row = rows[0];
  return {
    acknowledgedPurchaseOrders: count(row?.n),
    averageHours: rounded(row?.average, 2),
    medianHours: rounded(row?.median, 2),
  };
}

/**
 * "Ever had an exception" is kept on the invoice by the ERP writer (`had_exception`), besides what
 * its latest state still shows (an exception, or finance's override); the counters classify each
 * invoice so as it changes.
 */
async function invoiceMatching(knex: Knex): Promise<Kpis['invoiceMatching']> {
  const counters = await readSideCounters(knex, ['invoices', 'decided_invoices', 'first_pass_invoices', 'invoices_with_exception']);
  const invoices = count(counters.invoices);
  const decided = count(counters.decided_invoices);
  const firstPass = count(counters.first_pass_invoices);
  const withException = count(counters.invoices_with_exception);
  return {
    invoices,
    decidedInvoices: decided,
    firstPassMatched: firstPass,
    firstPassMatchRate: ratio(firstPass, decided),
    invoicesWithException: withException,
    exceptionRate: ratio(withException, invoices),
  };
}

/** Invoices held now, by how long since the exception open now was opened (a re-match that keeps it held does not reset it). */
async function openExceptionsByAge(knex: Knex, now: Date): Promise<Kpis['openExceptionsByAge']> {
  const { rows } = await knex.raw<{ rows: Record<string, string>[] }>(
    `
    with open_exception as (
      select extract(epoch from (?::timestamptz - coalesce(i.exception_opened_at, i.matched_at, i.submitted_at))) / 86400.0 as age_days
        from invoices i
       where i.status = 'exception'
    )
    select count(*) filter (where age_days < 1) as less_than_1_day,
           count(*) filter (where age_days >= 1 and age_days < 3) as from_1_to_3_days,
           count(*) filter (where age_days >= 3 and age_days < 7) as from_3_to_7_days,
           count(*) filter (where age_days >= 7) as more_than_7_days,
           count(*) as total
      from open_exception`,
    [now.toISOString()],
  );
  const row = rows[0] ?? {};
  return {
    lessThan1Day: count(row.less_than_1_day),
    from1To3Days: count(row.from_1_to_3_days),
    from3To7Days: count(row.from_3_to_7_days),
    moreThan7Days: count(row.more_than_7_days),
    total: count(row.total),
  };
}

/** Per invoice, its first executed payment: a retried (failed then re-paid) invoice counts once. */
async function daysToPay(knex: Knex): Promise<Kpis['daysToPay']> {
  const { rows } = await knex.raw<{ rows: { n: string; average: string | null }[] }>(`
    with first_payment as (
      select i.id, i.invoice_date, min(p.executed_at) as executed_at
        from invoices i
        join payments p on p.invoice_id = i.id
       where p.executed_at is not null and p.status <> 'failed'
       group by i.id, i.invoice_date
    )
    select count(*) as n, avg(extract(epoch from (executed_at - invoice_date::timestamptz)) / 86400.0) as average
      from first_payment`);
  const row = rows[0];
  return { paidInvoices: count(row?.n), averageDays: rounded(row?.average, 2) };
}

/** Early-payment discounts taken, per currency (amounts in different currencies never add up). */
async function discountsCaptured(knex: Knex): Promise<Kpis['discountsCaptured']> {
  const { rows } = await knex.raw<{ rows: { currency: string; amount: string; payments: string }[] }>(`
    select i.currency, to_char(sum(p.discount), 'FM9999999999999990.00') as amount, count(*) as payments
      from payments p
      join invoices i on i.id = p.invoice_id
     where p.discount > 0 and p.executed_at is not null and p.status <> 'failed'
     group by i.currency
     order by i.currency`);
  return rows.map((row) => ({ currency: row.currency, amount: row.amount, payments: count(row.payments) }));
}
