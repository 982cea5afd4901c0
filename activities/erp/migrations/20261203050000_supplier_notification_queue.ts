import type { Knex } from 'knex';

/**
 * Supplier notifications written in the business event's transaction wait until the relay
 * delivers them: `next_attempt_at` is when it tries (again). The event delivery engine's own
 * migration (20261203010000…) adds the same column on a fresh database; this one is a no-op there.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table supplier_notifications add column if not exists next_attempt_at timestamptz;
    create index if not exists supplier_notifications_due on supplier_notifications (next_attempt_at) where next_attempt_at is not null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists supplier_notifications_due;
    alter table supplier_notifications drop column next_attempt_at;
  `);
}
