import type { Knex } from 'knex';

/**
 * The PO's full state as of its latest event, so a finished PO can still be read after Temporal's
 * retention period has removed its workflow history.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('purchase_orders', (table) => {
    table.jsonb('snapshot');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('purchase_orders', (table) => {
    table.dropColumn('snapshot');
  });
}
