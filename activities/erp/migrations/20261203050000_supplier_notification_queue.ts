import type { Knex } from 'knex';

/**
 * Supplier notifications written in the business event's transaction wait here until the relay
 * delivers them: `next_attempt_at` is when it tries (again); null once delivered, refused for good,
 * recorded only (no webhook) or given up.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table supplier_notifications add column next_attempt_at timestamptz;
    create index supplier_notifications_due on supplier_notifications (next_attempt_at) where next_attempt_at is not null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists supplier_notifications_due;
    alter table supplier_notifications drop column next_attempt_at;
  `);
}
