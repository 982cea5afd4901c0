/**
 * Reading the outbox the way every consumer does (docs/adr/0040-per-consumer-cursors-over-the-outbox.md):
 * in (tx_id, sequence) order, after the consumer's position, and only rows written by
 * transactions older than the oldest one still running. A transaction that took a sequence
 * number early and commits late therefore holds consumers back for as long as it runs, instead of
 * being skipped by a cursor that already moved past its number.
 *
 * Both predicates read the statement's one snapshot (pg_current_snapshot), so no row can become
 * visible "between" them. The (tx_id, sequence) index makes a read cost the same whatever the
 * outbox's size.
 */
import type { Knex } from 'knex';

/** A place in the outbox: the writing transaction's id (xid8) and the row's sequence, as decimal strings. */
export interface OutboxPosition {
  tx: string;
  seq: string;
}

export interface OutboxEvent {
  id: string;
  type: string;
  poNumber: string;
  occurredAt: Date;
  createdAt: Date;
  payload: Record<string, unknown>;
  position: OutboxPosition;
}

interface OutboxRow {
  id: string;
  type: string;
  po_number: string;
  occurred_at: Date;
  created_at: Date;
  payload: Record<string, unknown>;
  tx_id: string;
  sequence: string;
}

const COLUMNS = 'o.id, o.type, o.po_number, o.occurred_at, o.created_at, o.payload, o.tx_id::text as tx_id, o.sequence::text as sequence';
const BELOW_RUNNING_TRANSACTIONS = 'o.tx_id < pg_snapshot_xmin(pg_current_snapshot())';

export function toOutboxEvent(row: OutboxRow): OutboxEvent {
  return {
    id: row.id,
    type: row.type,
    poNumber: row.po_number,
    occurredAt: row.occurred_at,
    createdAt: row.created_at,
    payload: row.payload,
    position: { tx: row.tx_id, seq: row.sequence },
  };
}

/**
 * Up to `limit` events after `after` (and up to `until`, inclusive, when given), oldest first.
 *
 * Every column is qualified with the table's alias on purpose: the select list hands `tx_id` and
 * `sequence` back as text under their own names, and a bare `order by tx_id` would sort by that
 * text ("1000" before "876"). The batch was then cut in the wrong place whenever transaction ids
 * crossed a power of ten, and cursors jumped over events (docs/adr/0040).
 */
export async function readOutbox(knex: Knex, after: OutboxPosition, limit: number, until?: OutboxPosition): Promise<OutboxEvent[]> {
  const bindings: (string | number)[] = [after.tx, after.seq];
  let upTo = '';
  if (until) {
    upTo = 'and (o.tx_id, o.sequence) <= (?::xid8, ?::bigint)';
    bindings.push(until.tx, until.seq);
  }
  bindings.push(limit);
  const { rows } = await knex.raw<{ rows: OutboxRow[] }>(
    `select ${COLUMNS} from outbox o
      where (o.tx_id, o.sequence) > (?::xid8, ?::bigint) ${upTo} and ${BELOW_RUNNING_TRANSACTIONS}
      order by o.tx_id, o.sequence limit ?`,
    bindings,
  );
  return rows.map(toOutboxEvent);
}

/** The events with these ids, with their positions (for redelivering held or dead-lettered ones). */
export async function outboxEventsById(knex: Knex, ids: readonly string[]): Promise<Map<string, OutboxEvent>> {
  if (ids.length === 0) return new Map();
  const { rows } = await knex.raw<{ rows: OutboxRow[] }>(`select ${COLUMNS} from outbox o where o.id = any(?)`, [ids as string[]]);
  return new Map(rows.map((row) => [row.id, toOutboxEvent(row)]));
}

/**
 * Where a new consumer starts: just before everything that is not yet safely readable, so it
 * receives every event committed from now on (and perhaps a few committed a moment before).
 */
export async function currentStartPosition(knex: Knex): Promise<OutboxPosition> {
  const { rows } = await knex.raw<{ rows: { tx: string }[] }>('select pg_snapshot_xmin(pg_current_snapshot())::text as tx');
  return { tx: rows[0]!.tx, seq: '0' };
}

/**
 * The position just before the first event recorded at or after `since`, or undefined when there
 * is none; used to replay a subscription from a point in time.
 */
export async function positionBefore(knex: Knex, since: Date): Promise<OutboxPosition | undefined> {
  const { rows } = await knex.raw<{ rows: { tx: string | null }[] }>('select min(tx_id)::text as tx from outbox where created_at >= ?', [since]);
  const tx = rows[0]?.tx;
  return tx ? { tx, seq: '0' } : undefined;
}

/** Orders two positions like the outbox does. */
export function comparePositions(a: OutboxPosition, b: OutboxPosition): number {
  const byTx = BigInt(a.tx) - BigInt(b.tx);
  if (byTx !== 0n) return byTx < 0n ? -1 : 1;
  const bySeq = BigInt(a.seq) - BigInt(b.seq);
  return bySeq === 0n ? 0 : bySeq < 0n ? -1 : 1;
}
