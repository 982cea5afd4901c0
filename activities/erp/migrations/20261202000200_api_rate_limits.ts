import type { Knex } from 'knex';

/**
 * Rate-limit counters of the HTTP API (api/rate-limit.ts), in the database so that every API
 * instance counts against the same limit. The columns are the ones rate-limiter-flexible's
 * PostgreSQL store reads and writes (`expire` in epoch milliseconds); the store is told the table
 * exists instead of creating it on first use.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_rate_limits', (table) => {
    table.string('key', 255).primary();
    table.integer('points').notNullable().defaultTo(0);
    table.bigInteger('expire');
    /** The store deletes rows that expired an hour ago, every five minutes. */
    table.index(['expire'], 'api_rate_limits_expire_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_rate_limits');
}
