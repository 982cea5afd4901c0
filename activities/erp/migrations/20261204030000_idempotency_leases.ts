import type { Knex } from 'knex';

/**
 * In-flight Idempotency-Key claims become short leases held by one API instance
 * (activities/erp/knex-idempotency.ts): `lease_owner` names the instance, `lease_expires_at` is
 * pushed forward while its request runs. A claim whose owner died is taken over once its lease has
 * run out, seconds later, instead of after a fixed five minutes. Claims in flight during the upgrade
 * keep the five minutes they were given.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_idempotency_keys', (table) => {
    table.text('lease_owner');
    table.timestamp('lease_expires_at', { useTz: true });
  });
  await knex('api_idempotency_keys')
    .where({ state: 'in_flight' })
    .update({ lease_expires_at: knex.raw(`created_at + interval '5 minutes'`) });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_idempotency_keys', (table) => {
    table.dropColumn('lease_owner');
    table.dropColumn('lease_expires_at');
  });
}
