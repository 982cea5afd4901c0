import type { Knex } from 'knex';

/**
 * Idempotency-Key records of the HTTP API (IETF httpapi Idempotency-Key draft). Kept in the
 * database, not in memory, so that a retry landing on another API instance, or two copies of
 * the same request racing, still see one owner: the primary key makes "insert first" the lock.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_idempotency_keys', (table) => {
    table.text('idempotency_key').notNullable();
    /** The caller (actor id): two API keys may use the same Idempotency-Key independently. */
    table.text('principal').notNullable();
    table.text('method').notNullable();
    table.text('path').notNullable();
    /** sha256 of method, path and canonical body: the same key with another request is refused. */
    table.text('request_hash').notNullable();
    table.text('state').notNullable().defaultTo('in_flight');
    table.integer('response_status');
    table.jsonb('response_headers');
    /** The response body exactly as first sent, replayed byte for byte. */
    table.text('response_body');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('completed_at', { useTz: true });
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.primary(['principal', 'idempotency_key']);
    table.index(['expires_at'], 'api_idempotency_keys_expires_at_idx');
  });
  await knex.raw(
    `ALTER TABLE api_idempotency_keys ADD CONSTRAINT api_idempotency_keys_state_check CHECK (state IN ('in_flight', 'completed'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_idempotency_keys');
}
