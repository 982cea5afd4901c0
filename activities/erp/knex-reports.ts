/**
 * The finance reports, computed in SQL from the journals (docs/accounting.md, "Reports"). Every
 * query starts from `journal_entries_by_posted_at`, a range of the entries posted in the period
 * (up to `asOf`, or from `from` to `to`), and reaches their lines through
 * `journal_lines_by_entry_account`: the work is in the rows of the period, not the whole ledger.
 * Amounts are summed as numeric and returned as 2-decimal strings.
 */
import type { Knex } from 'knex';
import type { ApAgingReport, GrniAccrualReport, PpvReport, TrialBalanceReport } from '../ports';
import { round2, sum } from '../../workflows/domain/money';
import { iso } from './rows';

const money = (column: string) => `to_char(${column}, 'FM9999999999999990.00')`;

/** The first instant after a calendar date (UTC): a report "as of" a date includes all of it. */
const endOf = (date: string) => `${date}T00:00:00Z`;
const dayAfter = (date: string) => new Date(Date.parse(endOf(date)) + 86_400_000).toISOString();

export class KnexReports {
  constructor(protected readonly knex: Knex) {}

  async trialBalance(asOf: string, now: Date = new Date()): Promise<TrialBalanceReport> {
    const { rows } = await this.knex.raw<{ rows: { account: string; name: string; category: string; currency: string; debit: string; credit: string; balance: string }[] }>(
      `select l.account, a.name, a.category, e.currency,
              ${money('sum(l.debit)')} as debit, ${money('sum(l.credit)')} as credit, ${money('sum(l.debit) - sum(l.credit)')} as balance
         from journal_entries e
         cross join lateral (select l.account, l.debit, l.credit, l.po_line_no, l.invoice_number from journal_lines l where l.journal_entry_id = e.id offset 0) l
         join gl_accounts a on a.code = l.account
        where e.posted_at < ?
        group by l.account, a.name, a.category, e.currency
        order by e.currency, l.account`,
      [dayAfter(asOf)],
    );
    const { rows: sums } = await this.knex.raw<{ rows: { currency: string; debit: string; credit: string }[] }>(
      `select e.currency, ${money('sum(l.debit)')} as debit, ${money('sum(l.credit)')} as credit
         from journal_entries e cross join lateral (select l.account, l.debit, l.credit, l.po_line_no, l.invoice_number from journal_lines l where l.journal_entry_id = e.id offset 0) l
        where e.posted_at < ? group by e.currency order by e.currency`,
      [dayAfter(asOf)],
    );
    return { asOf, generatedAt: now.toISOString(), rows: rows as TrialBalanceReport['rows'], totals: sums };
  }

  async ppv(from: string, to: string, now: Date = new Date()): Promise<PpvReport> {
    const { rows } = await this.knex.raw<{ rows: { supplier_id: string; currency: string; amount: string; entries: string }[] }>(
      `select po.supplier_id, e.currency, ${money('sum(l.debit - l.credit)')} as amount, count(distinct e.id) as entries
         from journal_entries e
         cross join lateral (select l.account, l.debit, l.credit, l.po_line_no, l.invoice_number from journal_lines l where l.journal_entry_id = e.id and l.account = 'PPV' offset 0) l
         join purchase_orders po on po.po_number = e.po_number
        where e.posted_at >= ? and e.posted_at < ?
        group by po.supplier_id, e.currency
        order by po.supplier_id, e.currency`,
      [endOf(from), dayAfter(to)],
    );
    return {
      from,
      to,
      generatedAt: now.toISOString(),
      rows: rows.map((r) => ({ supplierId: r.supplier_id, currency: r.currency, amount: r.amount, entries: Number(r.entries) })),
      totals: await this.currencyTotals(rows),
    };
  }

  /**
   * Received not invoiced, per PO line: the GRNI credit balance of each line up to `asOf`, and the
   * oldest receipt since the line's balance was last at zero (its age).
   */
  async grniAccrual(asOf: string, now: Date = new Date()): Promise<GrniAccrualReport> {
    const { rows } = await this.knex.raw<{ rows: { po_number: string; supplier_id: string; po_line_no: number; sku: string; currency: string; amount: string; oldest_at: Date; age_days: number }[] }>(
      `with movements as (
         select e.po_number, l.po_line_no, e.currency, e.posted_at, e.id, l.credit - l.debit as amount
           from journal_entries e
           cross join lateral (select l.account, l.debit, l.credit, l.po_line_no, l.invoice_number from journal_lines l where l.journal_entry_id = e.id and l.account = 'GRNI' offset 0) l
          where e.posted_at < ? and l.po_line_no is not null
       ), running as (
         select m.*, sum(amount) over (partition by po_number, po_line_no order by posted_at, id rows unbounded preceding) as balance
           from movements m
       ), lines as (
         select po_number, po_line_no, currency, sum(amount) as amount, max(posted_at) filter (where balance = 0) as cleared_at
           from running group by po_number, po_line_no, currency
       )
       select l.po_number, po.supplier_id, l.po_line_no, pol.sku, l.currency, ${money('l.amount')} as amount,
              min(r.posted_at) as oldest_at,
              (?::date - min(r.posted_at)::date) as age_days
         from lines l
         join running r on r.po_number = l.po_number and r.po_line_no = l.po_line_no and r.amount > 0
                       and (l.cleared_at is null or r.posted_at > l.cleared_at)
         join purchase_orders po on po.po_number = l.po_number
         join purchase_order_lines pol on pol.po_number = l.po_number and pol.line_no = l.po_line_no
        where l.amount <> 0
        group by l.po_number, po.supplier_id, l.po_line_no, pol.sku, l.currency, l.amount
        order by oldest_at, l.po_number, l.po_line_no`,
      [dayAfter(asOf), asOf],
    );
    const report = rows.map((r) => ({
      poNumber: r.po_number,
      supplierId: r.supplier_id,
      lineNo: r.po_line_no,
      sku: r.sku,
      currency: r.currency,
      amount: r.amount,
      oldestReceiptAt: iso(r.oldest_at),
      ageDays: Number(r.age_days),
    }));
    return { asOf, generatedAt: now.toISOString(), rows: report, totals: await this.currencyTotals(report) };
  }

  /** Open invoices (their AP balance up to `asOf`) by how far past their due date they are. */
  async apAging(asOf: string, now: Date = new Date()): Promise<ApAgingReport> {
    const { rows } = await this.knex.raw<{ rows: { po_number: string; supplier_id: string; invoice_number: string; currency: string; amount: string; due_date: string | null; days_overdue: number }[] }>(
      `with balances as (
         select e.po_number, l.invoice_number, e.currency, sum(l.credit - l.debit) as amount
           from journal_entries e
           cross join lateral (select l.account, l.debit, l.credit, l.po_line_no, l.invoice_number from journal_lines l where l.journal_entry_id = e.id and l.account = 'AP' offset 0) l
          where e.posted_at < ? and l.invoice_number is not null
          group by e.po_number, l.invoice_number, e.currency
         having sum(l.credit - l.debit) <> 0
       )
       select b.po_number, po.supplier_id, b.invoice_number, b.currency, ${money('b.amount')} as amount,
              to_char(due.due_date, 'YYYY-MM-DD') as due_date,
              greatest(0, ?::date - coalesce(due.due_date, ?::date)) as days_overdue
         from balances b
         join purchase_orders po on po.po_number = b.po_number
         left join invoices i on i.po_number = b.po_number and i.invoice_number = b.invoice_number
         left join lateral (select p.due_date from payments p where p.invoice_id = i.id order by p.attempt desc limit 1) due on true
        order by days_overdue desc, b.po_number, b.invoice_number`,
      [dayAfter(asOf), asOf, asOf],
    );
    const bucketOf = (days: number) => (days <= 0 ? 'current' : days <= 30 ? '1-30' : days <= 60 ? '31-60' : days <= 90 ? '61-90' : '90+') as ApAgingReport['rows'][number]['bucket'];
    const report = rows.map((r) => ({
      poNumber: r.po_number,
      supplierId: r.supplier_id,
      invoiceNumber: r.invoice_number,
      currency: r.currency,
      dueDate: r.due_date,
      daysOverdue: Number(r.days_overdue),
      bucket: bucketOf(Number(r.days_overdue)),
      amount: r.amount,
    }));
    const buckets = new Map<string, { currency: string; bucket: ApAgingReport['rows'][number]['bucket']; amounts: string[] }>();
    for (const row of report) {
      const key = `${row.currency}|${row.bucket}`;
      const entry = buckets.get(key) ?? { currency: row.currency, bucket: row.bucket, amounts: [] };
      entry.amounts.push(row.amount);
      buckets.set(key, entry);
    }
    return {
      asOf,
      generatedAt: now.toISOString(),
      rows: report,
      buckets: [...buckets.values()].map((b) => ({ currency: b.currency, bucket: b.bucket, amount: round2(sum(b.amounts)), invoices: b.amounts.length })),
    };
  }

  /** Per currency sums of 2-decimal amounts, exactly. */
  private async currencyTotals(rows: readonly { currency: string; amount: string }[]): Promise<{ currency: string; amount: string }[]> {
    const totals = new Map<string, string[]>();
    for (const row of rows) totals.set(row.currency, [...(totals.get(row.currency) ?? []), row.amount]);
    return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amounts]) => ({ currency, amount: round2(sum(amounts)) }));
  }
}
