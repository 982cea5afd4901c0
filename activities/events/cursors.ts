/**
 * One cursor per consumer of the outbox (a subscription, the NATS sink), with a lease: several
 * workers run the relay, and the lease makes sure only one of them works a consumer at a time
 * (docs/adr/0040-per-consumer-cursors-over-the-outbox.md). The lease is taken and given back in
 * short statements; no transaction stays open while a delivery waits on the network. A pass renews
 * its lease while it runs (`keepingLease`), so the lease can be short: a relay that died mid-pass
 * holds its consumers only until the lease runs out (docs/adr/0041-delivery-leases.md). Whatever a
 * pass changes is written with its lease as a fence: a relay whose lease ran out writes nothing.
 */
import type { Knex } from 'knex';
import type { OutboxPosition } from './outbox-reader';

export interface CursorRow {
  consumer: string;
  subscription_id: string | null;
  position_tx: string;
  position_seq: string;
  replay_since: Date | null;
  replay_tx: string | null;
  replay_seq: string | null;
  replay_until_tx: string | null;
  replay_until_seq: string | null;
  paused_until: Date | null;
  failure_streak: number;
}

export const subscriptionConsumer = (subscriptionId: string): string => `subscription:${subscriptionId}`;
export const natsConsumer = (stream: string): string => `nats:${stream}`;

const CURSOR_COLUMNS = `consumer, subscription_id, position_tx::text as position_tx, position_seq::text as position_seq,
  replay_since, replay_tx::text as replay_tx, replay_seq::text as replay_seq,
  replay_until_tx::text as replay_until_tx, replay_until_seq::text as replay_until_seq, paused_until, failure_streak`;

/** Thrown when a pass's lease expired and another relay took the consumer over. */
export class LeaseLostError extends Error {
  constructor(consumer: string) {
    super(`The lease on ${consumer} expired before the pass wrote its results; another relay took over`);
    this.name = 'LeaseLostError';
  }
}

export const cursorPosition = (row: CursorRow): OutboxPosition => ({ tx: row.position_tx, seq: row.position_seq });

/** Creates the consumer's cursor at `start` unless it exists. */
export async function ensureCursor(knex: Knex, consumer: string, start: OutboxPosition, subscriptionId: string | null = null): Promise<void> {
  await knex.raw(
    `insert into event_cursors (consumer, subscription_id, position_tx, position_seq)
     values (?, ?, ?::xid8, ?::bigint) on conflict (consumer) do nothing`,
    [consumer, subscriptionId, start.tx, start.seq],
  );
}

/**
 * Takes the consumer's lease for `leaseMs` when nobody holds it (or it expired), and answers the
 * cursor; undefined when another relay holds it or the consumer has no cursor.
 */
export async function acquireLease(knex: Knex, consumer: string, owner: string, leaseMs: number): Promise<CursorRow | undefined> {
  const { rows } = await knex.raw<{ rows: CursorRow[] }>(
    `update event_cursors set lease_owner = ?, lease_expires_at = now() + (? * interval '1 millisecond')
      where consumer = ? and (lease_owner is null or lease_owner = ? or lease_expires_at < now())
      returning ${CURSOR_COLUMNS}`,
    [owner, leaseMs, consumer, owner],
  );
  return rows[0];
}

export interface CursorUpdate {
  position?: OutboxPosition;
  replay?: { position: OutboxPosition } | 'finished';
  pausedUntil?: Date | null;
  failureStreak?: number;
}

/**
 * Writes the pass's cursor changes and gives the lease back, inside the pass's transaction;
 * throws LeaseLostError (rolling the transaction back) when the lease is no longer ours.
 */
export async function commitCursor(trx: Knex.Transaction, consumer: string, owner: string, update: CursorUpdate): Promise<void> {
  const sets: string[] = ['lease_owner = null', 'lease_expires_at = null', 'updated_at = now()'];
  const bindings: Knex.Value[] = [];
  if (update.position) {
    sets.push('position_tx = ?::xid8', 'position_seq = ?::bigint');
    bindings.push(update.position.tx, update.position.seq);
  }
  if (update.replay === 'finished') {
    sets.push('replay_since = null', 'replay_tx = null', 'replay_seq = null', 'replay_until_tx = null', 'replay_until_seq = null');
  } else if (update.replay) {
    sets.push('replay_tx = ?::xid8', 'replay_seq = ?::bigint');
    bindings.push(update.replay.position.tx, update.replay.position.seq);
  }
  if (update.pausedUntil !== undefined) {
    sets.push('paused_until = ?');
    bindings.push(update.pausedUntil);
  }
  if (update.failureStreak !== undefined) {
    sets.push('failure_streak = ?');
    bindings.push(update.failureStreak);
  }
  const { rowCount } = await trx.raw(`update event_cursors set ${sets.join(', ')} where consumer = ? and lease_owner = ?`, [...bindings, consumer, owner]);
  if (rowCount !== 1) throw new LeaseLostError(consumer);
}

/** Moves the lease's end `leaseMs` from now if this owner still holds it; false when it does not. */
export async function renewLease(knex: Knex, consumer: string, owner: string, leaseMs: number): Promise<boolean> {
  const { rowCount } = await knex.raw(
    `update event_cursors set lease_expires_at = now() + (? * interval '1 millisecond') where consumer = ? and lease_owner = ?`,
    [leaseMs, consumer, owner],
  );
  return rowCount === 1;
}

/**
 * Runs `work` (a pass that took the consumer's lease) while renewing the lease every quarter of
 * `leaseMs`, so a pass may outlast one lease and a dead relay's lease still runs out soon. A
 * renewal that fails is only logged: the pass's fenced commit finds out whether the lease held.
 */
export async function keepingLease<T>(knex: Knex, consumer: string, owner: string, leaseMs: number, work: () => Promise<T>, log?: { warn(message: string, meta?: Record<string, unknown>): void }): Promise<T> {
  const timer = setInterval(() => {
    renewLease(knex, consumer, owner, leaseMs).then(
      (held) => {
        if (!held) log?.warn('A delivery lease was taken over while its pass ran', { consumer });
      },
      (error: unknown) => log?.warn('Renewing a delivery lease failed', { consumer, error: (error as Error).message }),
    );
  }, Math.max(1, Math.floor(leaseMs / 4)));
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Gives the lease back without changing anything (a pass that found nothing to do). */
export async function releaseLease(knex: Knex, consumer: string, owner: string): Promise<void> {
  await knex('event_cursors').where({ consumer, lease_owner: owner }).update({ lease_owner: null, lease_expires_at: null });
}
