/**
 * Outbox events written straight into the outbox (the relay does not care who wrote them), and a
 * relay run until it has nothing left to do.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { EventRelay } from '../../activities/events/relay';
import { RecordingSubscriber } from '../helpers/event-sinks';

let clock = Date.UTC(2026, 10, 2, 9, 0, 0);

/** Inserts the events in this order, each in its own transaction; answers their ids. */
export async function recordEvents(knex: Knex, events: { poNumber: string; type: string; payload?: Record<string, unknown> }[]): Promise<string[]> {
  const ids: string[] = [];
  for (const event of events) {
    const id = randomUUID();
    clock += 1_000;
    await knex('outbox').insert({
      id,
      type: event.type,
      po_number: event.poNumber,
      occurred_at: new Date(clock).toISOString(),
      payload: JSON.stringify(event.payload ?? { version: 1, poNumber: event.poNumber }),
    });
    ids.push(id);
  }
  return ids;
}

/** True when no enabled subscription or the NATS sink has anything left to deliver or retry. */
export async function relayIsIdle(knex: Knex): Promise<boolean> {
  const held = await knex('event_deliveries')
    .join('event_subscriptions', 'event_subscriptions.id', 'event_deliveries.subscription_id')
    .where('event_subscriptions.enabled', true)
    .first('event_deliveries.event_id');
  if (held) return false;
  if (await knex('supplier_notifications').where({ state: 'pending' }).first('id')) return false;
  const cursors: { tx: string; seq: string }[] = await knex('event_cursors')
    .leftJoin('event_subscriptions', 'event_subscriptions.id', 'event_cursors.subscription_id')
    .where((where) => where.whereNull('event_cursors.subscription_id').orWhere('event_subscriptions.enabled', true))
    .whereNot('event_cursors.consumer', 'legacy-relay')
    .select(knex.raw('position_tx::text as tx'), knex.raw('position_seq::text as seq'));
  for (const cursor of cursors) {
    // Not readOutbox: an event behind a transaction still running elsewhere is not readable yet, but it is work.
    const ahead = await knex.raw<{ rows: unknown[] }>('select 1 from outbox where (tx_id, sequence) > (?::xid8, ?::bigint) limit 1', [cursor.tx, cursor.seq]);
    if (ahead.rows.length > 0) return false;
  }
  return true;
}

/** Runs the relay's passes until it is idle (retries included); fails after `timeoutMs`. */
export async function drain(relay: EventRelay, knex: Knex, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await relay.relayPending();
    if (await relayIsIdle(knex)) return;
    if (Date.now() > deadline) throw new Error(`The relay still had work after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/**
 * Subscriber endpoints started by one test, and the cleanup after it: its subscriptions go away,
 * so later relays do not deliver to them, and its endpoints close.
 */
export function endpointsPerTest(knex: () => Knex): { endpoint(): Promise<RecordingSubscriber>; cleanUp(): Promise<void> } {
  const started: RecordingSubscriber[] = [];
  return {
    async endpoint() {
      const subscriber = await RecordingSubscriber.start();
      started.push(subscriber);
      return subscriber;
    },
    async cleanUp() {
      await knex()('event_subscriptions').delete();
      await Promise.all(started.splice(0).map((subscriber) => subscriber.close()));
    },
  };
}
