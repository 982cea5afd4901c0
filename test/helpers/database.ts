import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createDatabaseIfMissing, createKnex, runMigrations, withDatabase } from '../../activities/erp/database';

export interface TestDatabase {
  url: string;
  knex: Knex;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** The server that test databases are created on: the one `npm test` started, else the environment's. */
export function testDatabaseAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEST_DATABASE_ADMIN_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/**
 * A fresh, fully migrated ERP database of its own for one test file or test, so tests run in
 * parallel without seeing each other's rows.
 */
export async function createTestDatabase(options: { migrationsDirectory?: string } = {}): Promise<TestDatabase> {
  const adminUrl = testDatabaseAdminUrl();
  const name = `p2p_test_${randomBytes(6).toString('hex')}`;
  await createDatabaseIfMissing(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const knex = createKnex(url, 5);
  try {
    await runMigrations(knex, options.migrationsDirectory);
  } catch (error) {
    await knex.destroy();
    await dropDatabase(adminUrl, name);
    throw error;
  }
  let dropped: Promise<void> | undefined;
  return {
    url,
    knex,
    drop: () => {
      dropped ??= (async () => {
        await knex.destroy();
        await dropDatabase(adminUrl, name);
      })();
      return dropped;
    },
  };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = createKnex(adminUrl, 1);
  try {
    // FORCE: a test that failed half-way may leave a connection behind.
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
  } finally {
    await admin.destroy();
  }
}
