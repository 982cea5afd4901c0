/**
 * The finance KPIs (docs/operations.md, "KPIs"): period-close readiness, integration failure
 * resolution time, inventory accuracy, payment holds, approvals and disputes, in SQL over the
 * ERP's tables. Amounts stay numeric and come back as 2-decimal strings.
 */
import type { Knex } from 'knex';
import type { Kpis } from '../ports';

type FinanceKpis = Pick<Kpis, 'periodCloseReadiness' | 'integrationFailureResolution' | 'inventoryAccuracy' | 'paymentHolds' | 'approvals' | 'disputes'>;

export interface KpiOptions {
  /** GRNI older than this many days holds up the period close (default 30). */
  grniOlderThanDays?: number;
}

const count = (value: unknown) => Number(value ?? 0);
const rate = (value: unknown) => (value === null || value === undefined ? null : Math.round(Number(value) * 10_000) / 10_000);
const minutes = (value: unknown) => (value === null || value === undefined ? null : Math.round(Number(value) * 100) / 100);
const money = (column: string) => `to_char(${column}, 'FM9999999999999990.00')`;

export async function computeFinanceKpis(knex: Knex, now: Date, options: KpiOptions = {}): Promise<FinanceKpis> {
  const grniOlderThanDays = options.grniOlderThanDays ?? 30;
  const at = now.toISOString();
  const [grni, counts, incidents, accuracy, held, heldAmounts] = await Promise.all([
    // Per PO line, as the journal trigger keeps it (migration 20261204040000): only lines with a
    // balance left on an open PO are in the index read.
    knex.raw<{ rows: { currency: string; lines: string; amount: string }[] }>(
      `select currency, count(*) as lines, ${money('sum(amount)')} as amount
         from grni_line_balances
        where amount <> 0 and po_open and first_receipt_at < ?::timestamptz - make_interval(days => ?)
        group by currency order by currency`,
      [at, grniOlderThanDays],
    ),
    knex.raw<{ rows: Record<string, string>[] }>(`
      select (select sum(value) from read_side_counters where name = 'unmatched_invoices') as unmatched,
             (select sum(value) from read_side_counters where name = 'unposted_invoices') as unposted,
             -- Not yet delivered: events past the slowest enabled consumer's cursor, deliveries
             -- waiting for a retry, and queued supplier notifications (docs/events.md).
             (select count(*) from outbox o,
                     (select c.position_tx, c.position_seq from event_cursors c
                        left join event_subscriptions s on s.id = c.subscription_id
                       where c.consumer <> 'legacy-relay' and (c.subscription_id is null or s.enabled)
                       order by c.position_tx, c.position_seq limit 1) slowest
               where o.tx_id >= slowest.position_tx and (o.tx_id > slowest.position_tx or o.sequence > slowest.position_seq))
             + (select count(*) from event_deliveries)
             + (select count(*) from supplier_notifications where state = 'pending') as unpublished,
             (select count(*) from debit_notes where settled_by is null) as unsettled_notes,
             (select count(*) from approval_requests where status = 'pending') as pending_approvals,
             (select count(*) from approval_requests where status = 'pending' and escalated_at is not null) as escalated_approvals,
             (select count(*) from invoice_disputes where status <> 'resolved') as open_disputes,
             (select count(*) from invoice_disputes where status <> 'resolved' and escalated_at is not null) as escalated_disputes,
             (select count(*) from suppliers where payment_hold is not null) as suppliers_on_hold`),
    knex.raw<{ rows: { resolved: string; open: string; average: string | null; max: string | null }[] }>(`
      select count(*) filter (where resolved_at is not null) as resolved,
             count(*) filter (where resolved_at is null) as open,
             avg(extract(epoch from (resolved_at - first_failed_at)) / 60.0) filter (where resolved_at is not null) as average,
             max(extract(epoch from (resolved_at - first_failed_at)) / 60.0) filter (where resolved_at is not null) as max
        from integration_incidents`),
    knex.raw<{ rows: { lines: string; accurate: string; line_rate: string | null; quantity_rate: string | null }[] }>(`
      select count(*) as lines,
             count(*) filter (where counted_quantity = expected_quantity) as accurate,
             case when count(*) = 0 then null else (count(*) filter (where counted_quantity = expected_quantity))::numeric / count(*) end as line_rate,
             case when coalesce(sum(expected_quantity), 0) = 0 then null
                  else greatest(0, 1 - sum(abs(counted_quantity - expected_quantity)) / sum(expected_quantity)) end as quantity_rate
        from goods_receipt_lines
       where counted_quantity is not null and expected_quantity is not null`),
    knex.raw<{ rows: { held: string; past_due: string }[] }>(
      `select count(*) as held,
              count(*) filter (where exists (select 1 from payments p where p.invoice_id = i.id and p.status = 'scheduled' and p.scheduled_for <= ?)) as past_due
         from invoices i where i.held_since is not null`,
      [at],
    ),
    knex.raw<{ rows: { currency: string; amount: string }[] }>(`
      select currency, ${money('sum(total - credited_total)')} as amount from invoices where held_since is not null group by currency order by currency`),
  ]);
  const row = counts.rows[0] ?? {};
  const staleGrniLines = grni.rows.reduce((total, r) => total + count(r.lines), 0);
  const readiness = {
    grniOlderThanDays,
    staleGrniLines,
    staleGrniAmounts: grni.rows.map((r) => ({ currency: r.currency, amount: r.amount })),
    unmatchedInvoices: count(row.unmatched),
    unpostedInvoices: count(row.unposted),
    unpublishedEvents: count(row.unpublished),
    unsettledDebitNotes: count(row.unsettled_notes),
  };
  const incident = incidents.rows[0];
  const accurate = accuracy.rows[0];
  return {
    periodCloseReadiness: { ...readiness, ready: staleGrniLines + readiness.unmatchedInvoices + readiness.unpostedInvoices + readiness.unpublishedEvents === 0 },
    integrationFailureResolution: { resolved: count(incident?.resolved), open: count(incident?.open), averageMinutes: minutes(incident?.average), maxMinutes: minutes(incident?.max) },
    inventoryAccuracy: { countedLines: count(accurate?.lines), accurateLines: count(accurate?.accurate), lineAccuracyRate: rate(accurate?.line_rate), quantityAccuracy: rate(accurate?.quantity_rate) },
    paymentHolds: { heldInvoices: count(held.rows[0]?.held), suppliersOnHold: count(row.suppliers_on_hold), heldAmounts: heldAmounts.rows, pastDueWhileHeld: count(held.rows[0]?.past_due) },
    approvals: { pending: count(row.pending_approvals), escalated: count(row.escalated_approvals) },
    disputes: { open: count(row.open_disputes), escalated: count(row.escalated_disputes) },
  };
}
