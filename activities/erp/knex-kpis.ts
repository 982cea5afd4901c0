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

/** Time from issuing a PO to the supplier's first acknowledgement. */
async function acknowledgementCycleTime(knex: Knex): Promise<Kpis['acknowledgementCycleTime']> {
  const { rows } = await knex.raw<{ rows: { n: string; average: string | null; median: string | null }[] }>(`
    with first_acknowledgement as (
      select po.po_number, extract(epoch from (min(a.acknowledged_at) - po.created_at)) / 3600.0 as hours
        from purchase_orders po
        join acknowledgements a on a.po_number = po.po_number
       group by po.po_number, po.created_at
    )
    select count(*) as n, avg(hours) as average, percentile_cont(0.5) within group (order by hours) as median
      from first_acknowledgement`);
  const row = rows[0];
  return {
    acknowledgedPurchaseOrders: count(row?.n),
    averageHours: rounded(row?.average, 2),
    medianHours: rounded(row?.median, 2),
  };
}

/**
 * "Ever had an exception" is kept on the invoice by the ERP writer (`had_exception`), besides what
 * its latest state still shows (an exception, or finance's override).
 */
async function invoiceMatching(knex: Knex): Promise<Kpis['invoiceMatching']> {
  const { rows } = await knex.raw<{ rows: { invoices: string; decided: string; first_pass: string; with_exception: string }[] }>(`
    with classified as (
      select i.status,
             (i.had_exception or i.status = 'exception' or i.match_status = 'exception' or i.resolution_action is not null) as had_exception
        from invoices i
    )
    select count(*) as invoices,
           count(*) filter (where status <> 'pending_receipt') as decided,
           count(*) filter (where status <> 'pending_receipt' and not had_exception) as first_pass,
           count(*) filter (where had_exception) as with_exception
      from classified`);
  const row = rows[0];
  const invoices = count(row?.invoices);
  const decided = count(row?.decided);
  const firstPass = count(row?.first_pass);
  const withException = count(row?.with_exception);
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
