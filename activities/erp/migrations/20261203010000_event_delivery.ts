/**
 * Event delivery as data (docs/events.md): subscriptions, one cursor per consumer (a subscription,
 * the NATS sink), the deliveries that are waiting for a retry, dead letters, and supplier
 * notifications queued in the business event's transaction.
 *
 * The outbox gains `tx_id`, the id of the transaction that wrote the row. Consumers read the
 * outbox in (tx_id, sequence) order and only below the oldest transaction still running, so an
 * event whose transaction commits late is never skipped by a cursor that moved past its sequence
 * number (docs/adr/0040-per-consumer-cursors-over-the-outbox.md). Rows written before this
 * migration all get this migration's transaction id, and keep their order by sequence.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table outbox add column tx_id xid8 not null default pg_current_xact_id();
    create index outbox_by_transaction on outbox (tx_id, sequence);
    create index outbox_by_created_at on outbox (created_at);
    -- published_at is no longer maintained: each consumer keeps its own cursor instead.
    drop index if exists outbox_unpublished;

    create table event_subscriptions (
      id                         text primary key,
      url                        text not null,
      event_types                text[] not null,
      description                text,
      secret                     text,
      previous_secret            text,
      previous_secret_expires_at timestamptz,
      enabled                    boolean not null default true,
      disabled_reason            text,
      source                     text not null check (source in ('api', 'config')),
      created_at                 timestamptz not null default now(),
      updated_at                 timestamptz not null default now()
    );

    create table event_cursors (
      consumer          text primary key,
      subscription_id   text references event_subscriptions (id) on delete cascade,
      position_tx       xid8 not null,
      position_seq      bigint not null,
      replay_since      timestamptz,
      replay_tx         xid8,
      replay_seq        bigint,
      replay_until_tx   xid8,
      replay_until_seq  bigint,
      paused_until      timestamptz,
      failure_streak    integer not null default 0,
      lease_owner       text,
      lease_expires_at  timestamptz,
      updated_at        timestamptz not null default now()
    );

    -- Deliveries to a subscription that did not succeed on their first try, and the later events
    -- of the same PO that wait behind them (state 'waiting'). Delivered rows are deleted.
    create table event_deliveries (
      subscription_id  text not null references event_subscriptions (id) on delete cascade,
      event_id         text not null references outbox (id),
      tx_id            xid8 not null,
      sequence         bigint not null,
      po_number        text not null,
      event_type       text not null,
      ordered          boolean not null,
      state            text not null check (state in ('retrying', 'waiting')),
      attempts         integer not null default 0,
      next_attempt_at  timestamptz,
      last_status      integer,
      last_error       text,
      last_attempt_at  timestamptz,
      created_at       timestamptz not null default now(),
      primary key (subscription_id, event_id)
    );
    create index event_deliveries_due on event_deliveries (subscription_id, next_attempt_at) where state = 'retrying';
    create index event_deliveries_by_po on event_deliveries (subscription_id, po_number, tx_id, sequence);

    create table dead_letters (
      id               text primary key,
      subscription_id  text references event_subscriptions (id) on delete cascade,
      supplier_id      text,
      message_id       text not null,
      event_type       text not null,
      po_number        text not null,
      occurred_at      timestamptz not null,
      url              text,
      attempts         integer not null,
      last_status      integer,
      last_error       text,
      failed_at        timestamptz not null default now(),
      redriven_at      timestamptz,
      check (num_nonnulls(subscription_id, supplier_id) = 1)
    );
    create index dead_letters_by_time on dead_letters (failed_at, id);
    create index dead_letters_by_subscription on dead_letters (subscription_id, failed_at);
    create index dead_letters_by_po on dead_letters (po_number);

    -- Supplier notifications written in the business event's transaction are delivered from here
    -- ('pending'), one supplier at a time in sequence order; body is the exact text to send (the
    -- jsonb payload does not keep key order). 'direct' rows were sent by the notifySupplier
    -- activity of POs started before this change; Temporal retries those.
    -- next_attempt_at may already be there: an interim queue added it (20261203050000).
    alter table supplier_notifications
      add column sequence bigserial,
      add column state text not null default 'direct'
        check (state in ('direct', 'pending', 'delivered', 'recorded', 'dead')),
      add column if not exists next_attempt_at timestamptz,
      add column retry_step integer not null default 0,
      add column body text,
      add column lease_owner text,
      add column lease_expires_at timestamptz;
    update supplier_notifications
       set state = case when delivered then 'delivered' when next_attempt_at is not null then 'pending'
                        when webhook_url is null then 'recorded' else 'direct' end;
    create index supplier_notifications_queue on supplier_notifications (supplier_id, sequence) where state = 'pending';

    -- Where the relay this replaces had got to: subscriptions seeded from EVENT_SUBSCRIBER_URLS on
    -- the first start after this migration begin here, so nothing the old relay had not yet
    -- delivered is lost (activities/events/subscriptions.ts, seedSubscriptions).
    insert into event_cursors (consumer, position_tx, position_seq)
    select 'legacy-relay', pg_current_xact_id(),
           coalesce((select min(sequence) - 1 from outbox where published_at is null), (select max(sequence) from outbox), 0);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists supplier_notifications_queue;
    -- next_attempt_at stays: the interim queue's migration owns it when both ran.
    alter table supplier_notifications
      drop column sequence, drop column state, drop column retry_step, drop column body,
      drop column lease_owner, drop column lease_expires_at;
    drop table if exists dead_letters, event_deliveries, event_cursors, event_subscriptions;
    drop index if exists outbox_by_transaction;
    drop index if exists outbox_by_created_at;
    alter table outbox drop column tx_id;
    create index outbox_unpublished on outbox (sequence) where published_at is null;
  `);
}
