/**
 * What a chaos run checks once it has stopped: duplicates of any kind in the ERP, the ledger's
 * invariants, and what Temporal holds (workflows by status, workflow tasks that failed or timed
 * out, non-determinism).
 */
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { WORKFLOW_TYPE } from '../../workflows/purchase-order/definitions';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Duplicate {
  kind: string;
  /** Rows beyond the one each key may have. */
  extra: number;
  examples: string[];
}

/**
 * Each query answers the keys holding more than one row, with the row count. The run sends every
 * document once under its own number, so one row per key is the only right answer.
 */
const DUPLICATE_QUERIES: { kind: string; sql: string }[] = [
  { kind: 'acknowledgements', sql: `select po_number as key, count(*) as n from acknowledgements group by po_number having count(*) > 1` },
  { kind: 'asns', sql: `select po_number as key, count(*) as n from asns group by po_number having count(*) > 1` },
  { kind: 'receipts', sql: `select po_number as key, count(*) as n from goods_receipts group by po_number having count(*) > 1` },
  {
    kind: 'inventory movements',
    sql: `select po_number || '/' || line_no as key, count(*) as n from inventory_movements group by po_number, line_no having count(*) > 1`,
  },
  { kind: 'invoices', sql: `select po_number as key, count(*) as n from invoices group by po_number having count(*) > 1` },
  { kind: 'AP invoices', sql: `select po_number as key, count(*) as n from ap_invoices group by po_number having count(*) > 1` },
  {
    kind: 'payments',
    sql: `select invoice_id::text as key, count(*) as n from payments where status <> 'failed' group by invoice_id having count(*) > 1`,
  },
  {
    kind: 'AP payments',
    sql: `select supplier_id || '/' || invoice_number || '#' || attempt as key, count(*) as n from ap_payments group by supplier_id, invoice_number, attempt having count(*) > 1`,
  },
  {
    kind: 'journal entries',
    sql: `select po_number || '/' || event_type as key, count(*) as n from journal_entries group by po_number, event_type having count(*) > 1`,
  },
  {
    kind: 'outbox rows',
    sql: `select po_number || '/' || type as key, count(*) as n from outbox group by po_number, type having count(*) > 1`,
  },
];

export async function findDuplicates(knex: Knex): Promise<Duplicate[]> {
  const found: Duplicate[] = [];
  for (const { kind, sql } of DUPLICATE_QUERIES) {
    const { rows } = await knex.raw<{ rows: { key: string; n: string }[] }>(sql);
    found.push({ kind, extra: rows.reduce((total, row) => total + Number(row.n) - 1, 0), examples: rows.slice(0, 5).map((row) => `${row.key}×${row.n}`) });
  }
  return found;
}

export async function ledgerChecks(knex: Knex): Promise<Check[]> {
  const unbalanced = await knex.raw<{ rows: { id: string; imbalance: string }[] }>(`
    select je.id::text as id, coalesce(sum(jl.debit), 0) - coalesce(sum(jl.credit), 0) as imbalance
      from journal_entries je left join journal_lines jl on jl.journal_entry_id = je.id
     group by je.id
    having coalesce(sum(jl.debit), 0) <> coalesce(sum(jl.credit), 0) or count(jl.id) = 0`);
  const entries = await knex('journal_entries').count<{ n: string }[]>('* as n');

  const openBalances = await knex.raw<{ rows: { po_number: string; account: string; balance: string }[] }>(`
    select je.po_number, jl.account, sum(jl.credit) - sum(jl.debit) as balance
      from journal_entries je
      join journal_lines jl on jl.journal_entry_id = je.id
      join purchase_orders po on po.po_number = je.po_number
     where po.status = 'closed' and jl.account in ('GRNI', 'AP')
     group by je.po_number, jl.account
    having sum(jl.credit) - sum(jl.debit) <> 0`);
  const closed = await knex('purchase_orders').where({ status: 'closed' }).count<{ n: string }[]>('* as n');

  const onHand = await knex.raw<{ rows: { sku: string; location: string; on_hand: string | null; moved: string | null }[] }>(`
    select coalesce(h.sku, m.sku) as sku, coalesce(h.location, m.location) as location, h.quantity as on_hand, m.moved
      from inventory_on_hand h
      full outer join (select sku, location, sum(quantity) as moved from inventory_movements group by sku, location) m
        on m.sku = h.sku and m.location = h.location
     where coalesce(h.quantity, 0) <> coalesce(m.moved, 0)`);
  const skus = await knex('inventory_on_hand').count<{ n: string }[]>('* as n');

  // Every invoice of a closed PO was paid by AP exactly once (per attempt), and the ERP's
  // payment rows agree with AP's.
  const payments = await knex.raw<{ rows: { po_number: string; invoice_number: string; ap: string; erp: string }[] }>(`
    select i.po_number, i.invoice_number,
           (select count(*) from ap_payments a where a.supplier_id = i.supplier_id and a.invoice_number = i.invoice_number) as ap,
           (select count(*) from payments p where p.invoice_id = i.id and p.status <> 'failed') as erp
      from invoices i join purchase_orders po on po.po_number = i.po_number
     where po.status = 'closed'
       and ((select count(*) from ap_payments a where a.supplier_id = i.supplier_id and a.invoice_number = i.invoice_number) <> 1
         or (select count(*) from payments p where p.invoice_id = i.id and p.status <> 'failed') <> 1)`);
  const invoices = await knex('invoices').count<{ n: string }[]>('* as n');

  const show = (rows: object[]) => rows.slice(0, 5).map((row) => JSON.stringify(row)).join('; ');
  return [
    {
      name: 'every journal entry balances',
      ok: unbalanced.rows.length === 0,
      detail: unbalanced.rows.length === 0 ? `${entries[0]!.n} entries balanced` : `${unbalanced.rows.length} unbalanced: ${show(unbalanced.rows)}`,
    },
    {
      name: 'GRNI and AP are zero on closed POs',
      ok: openBalances.rows.length === 0,
      detail: openBalances.rows.length === 0 ? `${closed[0]!.n} closed POs at zero` : `${openBalances.rows.length} balances left: ${show(openBalances.rows)}`,
    },
    {
      name: 'on-hand = Σ movements',
      ok: onHand.rows.length === 0,
      detail: onHand.rows.length === 0 ? `${skus[0]!.n} sku/location rows agree` : `${onHand.rows.length} differ: ${show(onHand.rows)}`,
    },
    {
      name: 'one payment per invoice attempt',
      ok: payments.rows.length === 0,
      detail: payments.rows.length === 0 ? `${invoices[0]!.n} invoices, each paid once` : `${payments.rows.length} invoices off: ${show(payments.rows)}`,
    },
  ];
}

/** temporal.api.enums.v1.TimeoutType, as workflow task timeouts carry it. */
const TIMEOUT_TYPES: Record<number, string> = { 1: 'start-to-close', 2: 'schedule-to-start' };

export interface TemporalFigures {
  byStatus: Record<string, number>;
  workflowTaskTimeouts: number;
  /** Start-to-close: the worker running the task died. Schedule-to-start: the task waited for a dead worker's sticky queue. */
  workflowTaskTimeoutsByType: Record<string, number>;
  workflowTaskFailures: Record<string, number>;
  nonDeterminism: number;
  examples: string[];
}

/** Workflows by status, and what their histories say about workflow tasks (one history read per PO). */
export async function temporalFigures(address: string, namespace: string): Promise<TemporalFigures> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const figures: TemporalFigures = { byStatus: {}, workflowTaskTimeouts: 0, workflowTaskTimeoutsByType: {}, workflowTaskFailures: {}, nonDeterminism: 0, examples: [] };
  try {
    const ids: string[] = [];
    for await (const execution of client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'` })) {
      figures.byStatus[execution.status.name] = (figures.byStatus[execution.status.name] ?? 0) + 1;
      ids.push(execution.workflowId);
    }
    for (const id of ids) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      for (const event of history.events ?? []) {
        const timedOut = event.workflowTaskTimedOutEventAttributes;
        if (timedOut) {
          figures.workflowTaskTimeouts++;
          const type = TIMEOUT_TYPES[Number(timedOut.timeoutType)] ?? String(timedOut.timeoutType);
          figures.workflowTaskTimeoutsByType[type] = (figures.workflowTaskTimeoutsByType[type] ?? 0) + 1;
        }
        const failed = event.workflowTaskFailedEventAttributes;
        if (!failed) continue;
        const message = failed.failure?.message ?? '';
        const cause = String(failed.cause ?? 'unspecified');
        figures.workflowTaskFailures[cause] = (figures.workflowTaskFailures[cause] ?? 0) + 1;
        // WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR is 24.
        if (/nondetermin/i.test(message) || cause === '24' || /NON_DETERMINISTIC/.test(cause)) {
          figures.nonDeterminism++;
          if (figures.examples.length < 5) figures.examples.push(`${id}: ${message.slice(0, 200)}`);
        }
      }
    }
  } finally {
    await connection.close();
  }
  return figures;
}

/**
 * sdk-core's warning when a local activity's result arrives for a run it no longer holds that
 * activity for (the run was evicted and rebuilt from history while the activity ran, as when its
 * workflow task timed out on a starved or dying worker). Core drops the result and evicts the run;
 * nothing is failed. A real non-determinism fails the workflow task, which `temporalFigures` finds
 * in the history (docs/adr/0066).
 */
const LOCAL_ACTIVITY_RESULT_FOR_EVICTED_RUN = /Missing associated machine for LocalActivity/;

/** Lines of the workers' logs that report non-determinism, and the local-activity races apart. */
export function nonDeterminismInLogs(logFiles: string[]): { lines: string[]; localActivityRaces: number } {
  const reported = logFiles.flatMap((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [])).filter((line) => /nondetermin|TMPRL1100/i.test(line));
  const races = reported.filter((line) => LOCAL_ACTIVITY_RESULT_FOR_EVICTED_RUN.test(line));
  return { lines: reported.filter((line) => !LOCAL_ACTIVITY_RESULT_FOR_EVICTED_RUN.test(line)), localActivityRaces: races.length };
}
