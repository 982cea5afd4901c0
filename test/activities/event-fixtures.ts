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

/**
 * True when no enabled subscription or the NATS sink has anything left to deliver or retry. One
 * statement, so one snapshot: a pass commits its cursor and its held deliveries together, and
 * checking them in separate statements could see the held rows before the commit and the cursor
 * after it, and call a relay idle that is not.
 */
export async function relayIsIdle(knex: Knex): Promise<boolean> {
  // Not readOutbox's horizon: an event behind a transaction still running elsewhere is not readable yet, but it is work.
  const { rows } = await knex.raw<{ rows: { busy: boolean }[] }>(
    `select exists (select 1 from event_deliveries d join event_subscriptions s on s.id = d.subscription_id where s.enabled)
         or exists (select 1 from supplier_notifications where state = 'pending')
         or exists (select 1 from event_cursors c left join event_subscriptions s on s.id = c.subscription_id
                     where (c.subscription_id is null or s.enabled) and c.consumer <> 'legacy-relay'
                       and exists (select 1 from outbox o where o.tx_id > c.position_tx or (o.tx_id = c.position_tx and o.sequence > c.position_seq)))
         as busy`,
  );
  return !rows[0]!.busy;
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
