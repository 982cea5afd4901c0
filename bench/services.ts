/**
 * The servers the benchmarks need, found or started the way `npm test` does (scripts/run-tests.ts):
 * PostgreSQL from TEST_DATABASE_ADMIN_URL / DATABASE_URL, else the local default, else a
 * throwaway embedded one; Temporal from TEST_TEMPORAL_ADDRESS, else a private headless dev server
 * on free ports. Everything listens on 127.0.0.1 and everything started here is stopped by `close`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { openDatabase, withDatabase, type OpenDatabase } from '../activities/erp/database';
import { freePort, startDevServer, type RunningDevServer } from '../temporal-config/dev-server';
import { testDatabaseAdminUrl } from '../test/helpers/database';

export type Say = (line: string) => void;

export interface BenchServices {
  /** Where test databases are created (createTestDatabase reads it from the environment). */
  databaseAdminUrl: string;
  databaseSource: string;
  close(): Promise<void>;
}

/** A one-connection pool that stays quiet: a refused connection is an answer here, not an error to log. */
async function isQueryable(url: string): Promise<boolean> {
  const quiet = () => undefined;
  const knex = knexFactory({
    client: 'pg',
    connection: { connectionString: url, connectionTimeoutMillis: 3_000 },
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 5_000,
    log: { warn: quiet, error: quiet, debug: quiet, deprecate: quiet },
  });
  try {
    await knex.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await knex.destroy();
  }
}

/**
 * Makes sure `createTestDatabase()` has a server to create databases on, starting an embedded
 * PostgreSQL only when neither a configured nor the default local server answers.
 */
export async function ensureDatabaseServer(say: Say, candidate: string = testDatabaseAdminUrl()): Promise<BenchServices> {
  const configured = process.env.TEST_DATABASE_ADMIN_URL?.trim() || process.env.DATABASE_URL?.trim();
  if (configured || (await isQueryable(candidate))) {
    return {
      databaseAdminUrl: candidate,
      databaseSource: configured ? 'configured server' : 'local server (default URL)',
      close: async () => undefined,
    };
  }

  say(`No PostgreSQL answers at ${redact(candidate)}; starting a throwaway embedded one ...`);
  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-bench-pg-'));
  // mkdtemp makes it private to root; the embedded server runs as the postgres user.
  fs.chmodSync(scratchDir, 0o755);
  let database: OpenDatabase;
  try {
    database = await openDatabase(
      { dataDir: scratchDir, database: { embeddedPort: await freePort(), poolMax: 1 } },
      { info: () => undefined, warn: (message, meta) => say(`${message} ${JSON.stringify(meta ?? {})}`) },
    );
  } catch (error) {
    fs.rmSync(scratchDir, { recursive: true, force: true });
    throw error;
  }
  const adminUrl = withDatabase(database.url, 'postgres');
  process.env.TEST_DATABASE_ADMIN_URL = adminUrl;
  return {
    databaseAdminUrl: adminUrl,
    databaseSource: 'embedded PostgreSQL started for this run',
    close: async () => {
      await database.close();
      fs.rmSync(scratchDir, { recursive: true, force: true });
    },
  };
}

export interface TemporalServer {
  address: string;
  /** True when this is the server `npm test` (or the caller) shares: use a namespace of our own. */
  shared: boolean;
  close(): Promise<void>;
}

export async function ensureTemporalServer(say: Say): Promise<TemporalServer> {
  const shared = process.env.TEST_TEMPORAL_ADDRESS?.trim();
  if (shared) return { address: shared, shared: true, close: async () => undefined };
  say('Starting a private headless Temporal dev server on free ports ...');
  const server: RunningDevServer = await startDevServer({
    ip: '127.0.0.1',
    port: await freePort(),
    uiPort: await freePort(),
    headless: true,
    log: () => undefined,
  });
  return { address: server.address, shared: false, close: () => server.stop() };
}

/** postgres://user:secret@host → postgres://user:***@host, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
