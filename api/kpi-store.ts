/**
 * Procure-to-pay KPIs for finance and operators, computed in SQL over the ERP read model
 * (`activities/erp/migrations/20261127000000_erp_schema.ts`). Aggregation stays in PostgreSQL:
 * amounts are summed as numeric and returned as decimal strings, never as floats.
 */
import type { Knex } from 'knex';

export interface Kpis {
  generatedAt: string;
  /** Time from issuing a PO to the supplier's first acknowledgement. */
  acknowledgementCycleTime: { acknowledgedPurchaseOrders: number; averageHours: number | null; medianHours: number | null };
  invoiceMatching: {
    invoices: number;
    /** Invoices whose match is decided (not waiting for goods). */
    decidedInvoices: number;
    /** Decided invoices that never had a match exception. */
    firstPassMatched: number;
    firstPassMatchRate: number | null;
    /** Invoices that had a match exception at any point. */
    invoicesWithException: number;
    exceptionRate: number | null;
  };
  /** Invoices currently held in exception, by how long they have been waiting since the exception opened. */
  openExceptionsByAge: { lessThan1Day: number; from1To3Days: number; from3To7Days: number; moreThan7Days: number; total: number };
  /** From invoice date to payment execution. */
  daysToPay: { paidInvoices: number; averageDays: number | null };
  /** Early-payment discounts taken, per currency (amounts in different currencies never add up). */
  discountsCaptured: { currency: string; amount: string; payments: number }[];
}

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

export class KpiStore {
  constructor(private readonly knex: Knex) {}

  async compute(now: Date = new Date()): Promise<Kpis> {
    const [acknowledgement, matching, ageing, payment, discounts] = await Promise.all([
      this.acknowledgementCycleTime(),
      this.invoiceMatching(),
      this.openExceptionsByAge(now),
      this.daysToPay(),
      this.discountsCaptured(),
    ]);
    return {
      generatedAt: now.toISOString(),
      acknowledgementCycleTime: acknowledgement,
      invoiceMatching: matching,
      openExceptionsByAge: ageing,
      daysToPay: payment,
      discountsCaptured: discounts,
    };
  }

  private async acknowledgementCycleTime(): Promise<Kpis['acknowledgementCycleTime']> {
    const { rows } = await this.knex.raw<{ rows: { n: string; average: string | null; median: string | null }[] }>(`
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
   * "Ever had an exception" looks at the outbox (every match outcome is an event there), and at
   * the invoice itself for what the latest state still shows (an exception, or finance's override).
   */
  private async invoiceMatching(): Promise<Kpis['invoiceMatching']> {
    const { rows } = await this.knex.raw<{ rows: { invoices: string; decided: string; first_pass: string; with_exception: string }[] }>(`
      with classified as (
        select i.status,
               (i.status = 'exception' or i.match_status = 'exception' or i.resolution_action is not null
                 or exists (select 1 from outbox o
                             where o.po_number = i.po_number and o.type = 'invoice.exception'
                               and o.payload ->> 'invoiceNumber' = i.invoice_number)) as had_exception
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

  private async openExceptionsByAge(now: Date): Promise<Kpis['openExceptionsByAge']> {
    const { rows } = await this.knex.raw<{ rows: Record<string, string>[] }>(
      `
      with invoice_event as (
        select o.po_number, o.payload ->> 'invoiceNumber' as invoice_number, o.type, o.occurred_at
          from outbox o
         where o.type in ('invoice.exception', 'invoice.matched', 'invoice.pending_receipt')
      ),
      open_exception as (
        -- A re-match that still finds an exception moves matched_at, but the exception has been
        -- waiting since the first exception event after the invoice last matched (or was held).
        select extract(epoch from (?::timestamptz - coalesce(
                 (select min(e.occurred_at) from invoice_event e
                   where e.po_number = i.po_number and e.invoice_number = i.invoice_number and e.type = 'invoice.exception'
                     and e.occurred_at > coalesce((select max(c.occurred_at) from invoice_event c
                                                    where c.po_number = i.po_number and c.invoice_number = i.invoice_number
                                                      and c.type <> 'invoice.exception'), '-infinity'::timestamptz)),
                 i.matched_at, i.submitted_at))) / 86400.0 as age_days
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
  private async daysToPay(): Promise<Kpis['daysToPay']> {
    const { rows } = await this.knex.raw<{ rows: { n: string; average: string | null }[] }>(`
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

  private async discountsCaptured(): Promise<Kpis['discountsCaptured']> {
    const { rows } = await this.knex.raw<{ rows: { currency: string; amount: string; payments: string }[] }>(`
      select i.currency, to_char(sum(p.discount), 'FM9999999999999990.00') as amount, count(*) as payments
        from payments p
        join invoices i on i.id = p.invoice_id
       where p.discount > 0 and p.executed_at is not null and p.status <> 'failed'
       group by i.currency
       order by i.currency`);
    return rows.map((row) => ({ currency: row.currency, amount: row.amount, payments: count(row.payments) }));
  }
}
