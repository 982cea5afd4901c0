/**
 * One pass of one subscription (docs/events.md, "Delivery to subscriptions"): its due retries,
 * then new events from its cursor, then any replay it was asked for.
 *
 * - Events of one PO reach the subscriber in order: once a delivery fails, it is held for a retry
 *   and later events of that PO wait behind it ('waiting'); other POs go on.
 * - A failed delivery is retried on the subscription's schedule; after the last attempt it becomes
 *   a dead letter and the PO's waiting events follow at once.
 * - `410 Gone` disables the subscription; the delivery stays held for when it is enabled again.
 * - When several attempts in a row fail, the endpoint is taken to be down: the pass stops, and the
 *   subscription pauses (5 s, doubling, at most 5 min) instead of waiting out a timeout per event.
 *
 * Nothing is written until the end: the pass's held rows, dead letters and cursor are written in
 * one transaction fenced by the lease (cursors.ts). A relay that dies mid-pass wrote nothing, and
 * the next pass delivers those events again: at least once, with the same `webhook-id`.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { matchesEventFilter } from '../../workflows/domain/schemas/event-catalog';
import type { AdapterLog } from '../errors';
import { acquireLease, commitCursor, cursorPosition, keepingLease, releaseLease, subscriptionConsumer, type CursorRow, type CursorUpdate } from './cursors';
import { outboxEventsById, readOutbox, type OutboxEvent, type OutboxPosition } from './outbox-reader';
import { delayBeforeAttempt } from './retry-schedule';
import { activeSecrets, loadSubscriptionRow, type SubscriptionRow } from './subscription-rows';
import { attemptDelivery, eventBody, forEachConcurrently, type AttemptOutcome } from './webhook-delivery';

export interface SubscriptionPassOptions {
  /** This relay's id, for leases. */
  owner: string;
  schedule: readonly number[];
  timeoutMs: number;
  /** Events read (and retries taken) per pass. */
  batchSize: number;
  /** POs delivered side by side within a pass. */
  concurrency: number;
  /** After this long a pass starts no new attempt, ends and writes what it did. */
  passBudgetMs: number;
  /** Failed attempts in a row that mark the endpoint as down. */
  breakerThreshold: number;
  leaseMs: number;
  log: AdapterLog;
  random?: () => number;
}

export interface PassResult {
  delivered: number;
  failed: number;
  /** True when a full batch was read: the next pass should follow at once. */
  more: boolean;
}

interface HeldRow {
  event_id: string;
  po_number: string;
  ordered: boolean;
  attempts: number;
}

type HeldWrite = { event: OutboxEvent; ordered: boolean; state: 'retrying' | 'waiting'; attempts: number; nextAttemptAt: Date | null; outcome?: AttemptOutcome };

const MAX_PAUSE_MS = 5 * 60_000;
const FIRST_PAUSE_MS = 5_000;

/** Runs one pass if this relay can take the subscription's lease; undefined when another relay has it. */
export async function runSubscriptionPass(knex: Knex, subscriptionId: string, options: SubscriptionPassOptions): Promise<PassResult | undefined> {
  const consumer = subscriptionConsumer(subscriptionId);
  const cursor = await acquireLease(knex, consumer, options.owner, options.leaseMs);
  if (!cursor) return undefined;
  try {
    const subscription = await loadSubscriptionRow(knex, subscriptionId);
    const paused = cursor.paused_until !== null && cursor.paused_until > new Date();
    if (!subscription || !subscription.enabled || paused) {
      await releaseLease(knex, consumer, options.owner);
      return { delivered: 0, failed: 0, more: false };
    }
    return await keepingLease(knex, consumer, options.owner, options.leaseMs, () => new SubscriptionPass(knex, subscription, cursor, options).run(), options.log);
  } catch (error) {
    await releaseLease(knex, consumer, options.owner).catch(() => undefined);
    throw error;
  }
}

class SubscriptionPass {
  private readonly startedAt = Date.now();
  private readonly writes = new Map<string, HeldWrite | 'delete'>();
  private readonly deadLetters: Record<string, unknown>[] = [];
  /** POs whose held deliveries this pass cleared completely. */
  private readonly clearedPos = new Set<string>();
  private disabledReason: string | undefined;
  private consecutiveFailures = 0;
  private stopReason: 'endpoint_down' | 'budget' | 'gone' | undefined;
  private delivered = 0;
  private failed = 0;

  constructor(
    private readonly knex: Knex,
    private readonly subscription: SubscriptionRow,
    private readonly cursor: CursorRow,
    private readonly options: SubscriptionPassOptions,
  ) {}

  private get stopped(): boolean {
    return this.stopReason !== undefined;
  }

  /** When work this pass did not get to is due: now, or after the pause of an endpoint that is down. */
  private resumeAt = new Date();

  async run(): Promise<PassResult> {
    const due = await this.dueRetries();
    const dueEvents = await outboxEventsById(this.knex, due.map((row) => row.event_id));
    await forEachConcurrently(due, this.options.concurrency, (row) => this.retry(row, dueEvents.get(row.event_id)!));

    let fresh: OutboxEvent[] = [];
    if (!this.stopped) {
      fresh = await readOutbox(this.knex, cursorPosition(this.cursor), this.options.batchSize);
      await this.deliverInOrder(fresh.filter((event) => matchesEventFilter(this.subscription.event_types, event.type)));
    }
    const replay = this.stopped ? { events: [], update: undefined } : await this.replay();

    await this.commit({
      ...(fresh.length > 0 ? { position: fresh[fresh.length - 1]!.position } : {}),
      ...(replay.update ? { replay: replay.update } : {}),
      ...this.pauseUpdate(),
    });
    const more = [due.length, fresh.length, replay.events.length].some((count) => count === this.options.batchSize);
    return { delivered: this.delivered, failed: this.failed, more: more && !this.stopped };
  }

  private async dueRetries(): Promise<HeldRow[]> {
    return this.knex('event_deliveries')
      .where({ subscription_id: this.subscription.id, state: 'retrying' })
      .where('next_attempt_at', '<=', this.knex.fn.now())
      .orderBy([{ column: 'next_attempt_at' }])
      .limit(this.options.batchSize)
      .select('event_id', 'po_number', 'ordered', 'attempts');
  }

  private async retry(row: HeldRow, event: OutboxEvent): Promise<void> {
    if (this.stopped) return;
    const outcome = await this.attempt(event);
    if (outcome.delivered) this.writes.set(event.id, 'delete');
    const settled = outcome.delivered || this.failedAgain(event, row.ordered, row.attempts + 1, outcome);
    if (settled && row.ordered) await this.releaseWaiting(row.po_number);
  }

  /** Records a failed attempt; true when it was the last one (the delivery is now a dead letter). */
  private failedAgain(event: OutboxEvent, ordered: boolean, attempts: number, outcome: AttemptOutcome): boolean {
    const delay = this.disabledReason ? 0 : delayBeforeAttempt(this.options.schedule, attempts + 1, this.options.random);
    if (delay === undefined) {
      this.writes.set(event.id, 'delete');
      this.deadLetter(event, attempts, outcome);
      return true;
    }
    this.writes.set(event.id, { event, ordered, state: 'retrying', attempts, nextAttemptAt: new Date(Date.now() + delay), outcome });
    return false;
  }

  /** The PO's head delivery is settled: its waiting events go now, in order, until one fails. */
  private async releaseWaiting(poNumber: string): Promise<void> {
    for (;;) {
      const waiting: { event_id: string }[] = await this.knex('event_deliveries')
        .where({ subscription_id: this.subscription.id, po_number: poNumber, state: 'waiting' })
        .whereNotIn('event_id', [...this.writes.keys()])
        .orderBy([{ column: 'tx_id' }, { column: 'sequence' }])
        .limit(this.options.batchSize)
        .select('event_id');
      if (waiting.length === 0) {
        this.clearedPos.add(poNumber);
        return;
      }
      const events = await outboxEventsById(this.knex, waiting.map((row) => row.event_id));
      for (const { event_id: eventId } of waiting) {
        const event = events.get(eventId)!;
        if (this.stopped) {
          // It becomes the PO's head, due when this subscription resumes.
          this.writes.set(eventId, { event, ordered: true, state: 'retrying', attempts: 0, nextAttemptAt: this.resumeAt });
          return;
        }
        const outcome = await this.attempt(event);
        if (outcome.delivered) this.writes.set(eventId, 'delete');
        else if (!this.failedAgain(event, true, 1, outcome)) return;
      }
    }
  }

  /** New events, one chain per PO; a PO with held deliveries keeps its new events waiting behind them. */
  private async deliverInOrder(events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const poNumbers = [...new Set(events.map((event) => event.poNumber))];
    const held: { po_number: string }[] = await this.knex('event_deliveries')
      .where({ subscription_id: this.subscription.id, ordered: true })
      .whereIn('po_number', poNumbers)
      .distinct('po_number');
    const blocked = new Set(held.map((row) => row.po_number).filter((po) => !this.clearedPos.has(po)));
    const chains = poNumbers.map((po) => events.filter((event) => event.poNumber === po));
    await forEachConcurrently(chains, this.options.concurrency, async (chain) => {
      for (const event of chain) {
        if (blocked.has(event.poNumber)) {
          this.writes.set(event.id, { event, ordered: true, state: 'waiting', attempts: 0, nextAttemptAt: null });
          continue;
        }
        if (this.stopped) {
          this.writes.set(event.id, { event, ordered: true, state: 'retrying', attempts: 0, nextAttemptAt: this.resumeAt });
          blocked.add(event.poNumber);
          continue;
        }
        const outcome = await this.attempt(event);
        if (!outcome.delivered && !this.failedAgain(event, true, 1, outcome)) blocked.add(event.poNumber);
      }
    });
  }

  /** A redrive "since a time": events up to where the cursor stood then, delivered again, unordered. */
  private async replay(): Promise<{ events: OutboxEvent[]; update: CursorUpdate['replay'] }> {
    const { replay_tx: tx, replay_seq: seq, replay_until_tx: untilTx, replay_until_seq: untilSeq, replay_since: since } = this.cursor;
    if (!tx || !seq || !untilTx || !untilSeq || !since) return { events: [], update: undefined };
    const events = await readOutbox(this.knex, { tx, seq }, this.options.batchSize, { tx: untilTx, seq: untilSeq });
    // An event still held in its PO's queue is on its way anyway; replaying it would take it out of order.
    const held = new Set(
      (await this.knex('event_deliveries').where({ subscription_id: this.subscription.id }).whereIn('event_id', events.map((event) => event.id)).pluck('event_id')) as string[],
    );
    const wanted = events.filter(
      (event) => event.createdAt >= since && matchesEventFilter(this.subscription.event_types, event.type) && !held.has(event.id) && !this.writes.has(event.id),
    );
    await forEachConcurrently(wanted, this.options.concurrency, async (event) => {
      if (this.stopped) {
        this.writes.set(event.id, { event, ordered: false, state: 'retrying', attempts: 0, nextAttemptAt: this.resumeAt });
        return;
      }
      const outcome = await this.attempt(event);
      if (!outcome.delivered) this.failedAgain(event, false, 1, outcome);
    });
    const last: OutboxPosition | undefined = events[events.length - 1]?.position;
    return { events, update: events.length < this.options.batchSize ? 'finished' : { position: last! } };
  }

  private async attempt(event: OutboxEvent): Promise<AttemptOutcome> {
    const outcome = await attemptDelivery({
      url: this.subscription.url,
      id: event.id,
      body: eventBody(event),
      secrets: activeSecrets(this.subscription),
      timeoutMs: this.options.timeoutMs,
    });
    if (outcome.delivered) {
      this.delivered += 1;
      this.consecutiveFailures = 0;
    } else {
      this.failed += 1;
      this.consecutiveFailures += 1;
      if (outcome.status === 410) {
        this.disabledReason = `${this.subscription.url} answered 410 Gone at ${new Date().toISOString()}`;
        this.stop('gone');
      } else if (this.consecutiveFailures >= this.options.breakerThreshold) {
        this.stop('endpoint_down');
      }
    }
    if (Date.now() - this.startedAt > this.options.passBudgetMs) this.stop('budget');
    return outcome;
  }

  private stop(reason: 'endpoint_down' | 'budget' | 'gone'): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    if (reason === 'endpoint_down') this.resumeAt = new Date(Date.now() + this.pauseMs());
  }

  private pauseMs(): number {
    const base = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** this.cursor.failure_streak);
    return Math.round(base * (0.8 + 0.4 * (this.options.random ?? Math.random)()));
  }

  private pauseUpdate(): Pick<CursorUpdate, 'pausedUntil' | 'failureStreak'> {
    if (this.stopReason === 'endpoint_down') return { pausedUntil: this.resumeAt, failureStreak: this.cursor.failure_streak + 1 };
    if (this.delivered > 0 && (this.cursor.failure_streak > 0 || this.cursor.paused_until !== null)) return { pausedUntil: null, failureStreak: 0 };
    return {};
  }

  private deadLetter(event: OutboxEvent, attempts: number, outcome: AttemptOutcome): void {
    this.deadLetters.push({
      id: randomUUID(),
      subscription_id: this.subscription.id,
      message_id: event.id,
      event_type: event.type,
      po_number: event.poNumber,
      occurred_at: event.occurredAt,
      url: this.subscription.url,
      attempts,
      last_status: outcome.status,
      last_error: outcome.error,
    });
    this.options.log.warn('Event delivery gave up: dead letter', {
      subscriptionId: this.subscription.id,
      eventId: event.id,
      eventType: event.type,
      poNumber: event.poNumber,
      attempts,
      error: outcome.error,
    });
  }

  private async commit(cursorUpdate: CursorUpdate): Promise<void> {
    const subscriptionId = this.subscription.id;
    const deletes = [...this.writes].filter(([, write]) => write === 'delete').map(([id]) => id);
    const upserts = [...this.writes.values()].filter((write): write is HeldWrite => write !== 'delete');
    await this.knex.transaction(async (trx) => {
      await commitCursor(trx, subscriptionConsumer(subscriptionId), this.options.owner, cursorUpdate);
      if (deletes.length > 0) await trx('event_deliveries').where({ subscription_id: subscriptionId }).whereIn('event_id', deletes).delete();
      if (upserts.length > 0) {
        await trx('event_deliveries')
          .insert(upserts.map((write) => heldRow(subscriptionId, write)))
          .onConflict(['subscription_id', 'event_id'])
          .merge(['state', 'ordered', 'attempts', 'next_attempt_at', 'last_status', 'last_error', 'last_attempt_at']);
      }
      if (this.deadLetters.length > 0) await trx('dead_letters').insert(this.deadLetters);
      if (this.disabledReason) {
        await trx('event_subscriptions').where({ id: subscriptionId }).update({ enabled: false, disabled_reason: this.disabledReason, updated_at: trx.fn.now() });
      }
    });
    if (this.disabledReason) this.options.log.warn('Subscription disabled: the endpoint answered 410 Gone', { subscriptionId, url: this.subscription.url });
  }
}

function heldRow(subscriptionId: string, write: HeldWrite): Record<string, unknown> {
  const { event, outcome } = write;
  return {
    subscription_id: subscriptionId,
    event_id: event.id,
    tx_id: event.position.tx,
    sequence: event.position.seq,
    po_number: event.poNumber,
    event_type: event.type,
    ordered: write.ordered,
    state: write.state,
    attempts: write.attempts,
    next_attempt_at: write.nextAttemptAt,
    last_status: outcome?.status ?? null,
    last_error: outcome?.error ?? null,
    last_attempt_at: outcome ? new Date() : null,
  };
}
