import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import pRetry from 'p-retry';
import { openDatabase, runMigrations } from '../activities/erp/database';
import type { OpenDatabase } from '../activities/erp/database';
import { connectClient } from '../temporal-config/connection';
import { startDevServer } from '../temporal-config/dev-server';
import type { RunningDevServer } from '../temporal-config/dev-server';
import { loadConfig, projectRoot } from '../temporal-config/env';
import type { AppConfig } from '../temporal-config/env';
import { ensureSearchAttributes } from '../temporal-config/search-attributes';
import { DEV_KEY_VARIABLES, loadOrCreateDevApiKeys, localApiUrl } from './dev-api-keys';
import type { DevApiKeys } from './dev-api-keys';
import { planStart } from './start-preflight';
import type { StartPlan } from './start-preflight';

/**
 * `npm start`: everything a newcomer needs on one machine: the Temporal dev server (persisted in
 * .data/, Web UI), the embedded ERP database with migrations, then the worker and the API as
 * child processes. Before starting anything it checks that every port it will bind is free; the
 * banner appears only once the API and the worker this run spawned answer. Ctrl-C stops them in
 * dependency order: API and worker first (the worker drains), then Temporal, then the database.
 */

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);
const prefixed = (prefix: string) => (line: string) => process.stdout.write(`${prefix}${line}\n`);

const CHILD_STOP_TIMEOUT_MS = 45_000;
const DUPLICATE_SIGNAL_WINDOW_MS = 1_000;
/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW (@temporalio/proto is not a direct dependency). */
const TASK_QUEUE_TYPE_WORKFLOW = 1;

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/** Log levels at which the API writes its "API listening" line (winston levels, most severe first). */
const LEVELS_SHOWING_INFO = ['info', 'http', 'verbose', 'debug', 'silly'];

async function main(): Promise<void> {
  const config = loadConfig();
  // Whether the user pointed us at a server (then it must be used) or we are on defaults.
  const temporalAddressIsExplicit = Boolean(process.env.TEMPORAL_ADDRESS?.trim());

  // Everything that can refuse start-up is checked before anything starts.
  const plan = await planStart(config, temporalAddressIsExplicit);
  if (plan.problems.length > 0) {
    say('Not starting; nothing was started:');
    for (const problem of plan.problems) say(`  - ${problem}`);
    process.exit(1);
  }
  let devKeys: DevApiKeys | undefined;
  try {
    devKeys = config.api.keys.length === 0 && config.nodeEnv !== 'production' ? loadOrCreateDevApiKeys(config.dataDir) : undefined;
  } catch (error) {
    for (const line of `Not starting: ${(error as Error).message}`.split('\n')) say(line);
    process.exit(1);
  }

  let temporal: TemporalTarget | undefined;
  let database: OpenDatabase | undefined;
  const children: Child[] = [];
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (reason: string, exitCode: number) => {
    shuttingDown ??= (async () => {
      say(`${reason}; stopping API and worker ...`);
      await Promise.all(children.map((child) => stopChild(child)));
      if (temporal?.server) {
        say('Stopping Temporal ...');
        await temporal.server.stop();
      }
      if (database) {
        say('Stopping the database ...');
        await database.close();
      }
      say('Stopped.');
      process.exit(exitCode);
    })();
    return shuttingDown;
  };
  let firstInterruptAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // One Ctrl-C can arrive twice: the terminal signals the whole process group, and tsx relays
    // the signal to us again when we do not confirm it within 30 ms (a busy machine). Only a
    // second Ctrl-C a moment later means "stop waiting".
    if (firstInterruptAt !== undefined && Date.now() - firstInterruptAt < DUPLICATE_SIGNAL_WINDOW_MS) return;
    if (firstInterruptAt !== undefined) {
      say('Second interrupt: killing everything now.');
      for (const child of children) child.process.kill('SIGKILL');
      process.exit(1);
    }
    firstInterruptAt = Date.now();
    void shutdown(`Received ${signal}`, 0);
  };
  // Installed before anything starts: process.exit() (unlike death by signal) runs the exit hooks
  // that stop a half-started Temporal or PostgreSQL.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    temporal = await ensureTemporal(config, plan);
  } catch (error) {
    say(`Could not start Temporal: ${(error as Error).message}`);
    await shutdown('Startup failed', 1);
    return;
  }
  if (shuttingDown) return;

  try {
    database = await openDatabase(config, {
      info: (message, meta) => say(formatMeta(message, meta)),
      warn: (message, meta) => say(formatMeta(`warning: ${message}`, meta)),
    });
    const applied = await runMigrations(database.knex);
    say(applied.length > 0 ? `Database migrated (${applied.length} migrations applied).` : 'Database schema up to date.');
  } catch (error) {
    say(`Could not open the database: ${(error as Error).message}`);
    await shutdown('Startup failed', 1);
    return;
  }
  if (shuttingDown) return;

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...(devKeys ? { API_KEYS: devKeys.apiKeys } : {}),
    TEMPORAL_ADDRESS: temporal.address,
    // Children connect to the server this process owns instead of each starting one.
    DATABASE_URL: database.url,
    ...(process.stdout.isTTY && !process.env.LOG_FORMAT && config.nodeEnv === 'development' ? { LOG_FORMAT: 'pretty' } : {}),
  };
  // The API's own "API listening" line is the proof that this run's API holds the port (a /healthz
  // answer alone could come from another process); the worker is ours when its pid polls.
  let apiListening = false;
  const apiAnnouncesListening = LEVELS_SHOWING_INFO.includes(config.logLevel);
  const onApiLine = (line: string) => {
    if (!apiListening && isApiListeningLine(line)) apiListening = true;
  };
  const spawned: Record<'worker' | 'api', Child> = {
    worker: spawnRole('worker', 'workers/main', childEnv),
    api: spawnRole('api', 'api/main', childEnv, onApiLine),
  };
  for (const child of Object.values(spawned)) {
    children.push(child);
    void child.exited.then((code) => {
      if (!shuttingDown) void shutdown(`The ${child.name} exited (code ${code ?? 'signal'})`, code === 0 ? 0 : 1);
    });
  }

  const apiUrl = localApiUrl(config);
  const stillStarting = () => Boolean(shuttingDown);
  const [apiReady, workerReady] = await Promise.all([
    pollUntil(
      async () => (apiListening || !apiAnnouncesListening) && (await answersHealthz(`${probeUrl(config)}/healthz`)),
      120_000,
      stillStarting,
    ),
    waitForWorkerPolling(config, temporal.address, spawned.worker.process.pid, 120_000, stillStarting),
  ]);
  if (shuttingDown) return;
  say('');
  if (apiReady && workerReady) say('P2P Orchestrator is running:');
  else say(`P2P Orchestrator started, but ${apiReady ? 'the worker is not polling' : 'the API has not answered /healthz'} yet:`);
  say(`  API          ${apiUrl}`);
  say(`  API docs     ${apiUrl}/docs`);
  say(`  Console      ${apiUrl}/console   (sign in with an API key)`);
  say(`  Temporal UI  ${temporal.uiUrl ?? '(not started by npm start)'}`);
  say(`  Temporal     ${temporal.address} (namespace ${config.temporal.namespace})`);
  say(`  Database     ${redactPassword(database.url)}${database.embedded ? ' (embedded)' : ''}`);
  if (devKeys) {
    say(`  API keys     none configured; development keys (kept in ${path.relative(process.cwd(), devKeys.file)}):`);
    const width = Math.max(14, ...Object.keys(devKeys.byIdentity).map((identity) => identity.length + 1));
    for (const [identity, key] of Object.entries(devKeys.byIdentity)) say(`    ${identity.padEnd(width)} ${key}`);
    const variables = Object.values(DEV_KEY_VARIABLES).join(', ');
    say(`  In a shell:  eval "$(${sameSettingsPrefix()}npm run -s keys)"   exports ${variables} and API`);
  }
  say('Press Ctrl-C to stop.');
}

interface TemporalTarget {
  address: string;
  uiUrl?: string;
  server?: RunningDevServer;
}

async function ensureTemporal(config: AppConfig, plan: StartPlan): Promise<TemporalTarget> {
  const address = config.temporal.address;
  if (plan.temporal.reuse) {
    say(`Using the Temporal server already running at ${address}.`);
    const connection = await connectClient(config);
    try {
      const added = await ensureSearchAttributes(connection, config.temporal.namespace);
      if (added.length > 0) say(`Registered search attributes: ${added.join(', ')}.`);
    } finally {
      await connection.close();
    }
    return { address };
  }
  const dbFile = path.join(config.dataDir, 'temporal.db');
  const shownDbFile = dbFile.startsWith(projectRoot + path.sep) ? path.relative(projectRoot, dbFile) : dbFile;
  say(`Starting the Temporal dev server on ${address} (state in ${shownDbFile}) ...`);
  const server = await startDevServer({
    port: plan.temporal.port,
    uiPort: config.temporal.uiPort,
    dbFile,
    namespace: config.temporal.namespace,
    log: prefixed('[temporal] '),
  });
  return { address: server.address, ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}), server };
}

/**
 * The settings that change which keys file or URL `npm run keys` uses, as this run got them, so
 * the hint works in another shell that does not have them.
 */
function sameSettingsPrefix(): string {
  return ['DATA_DIR', 'PORT', 'HOST']
    .filter((name) => process.env[name]?.trim())
    .map((name) => `${name}=${process.env[name]!.trim()} `)
    .join('');
}

/** True for the API's "API listening" log entry, in JSON or in the pretty format. */
function isApiListeningLine(line: string): boolean {
  try {
    return (JSON.parse(line) as { message?: unknown }).message === 'API listening';
  } catch {
    return / API listening( |$)/.test(line.replace(/\u001b\[[0-9;]*m/g, ''));
  }
}

/** Runs a role under tsx from the source tree, or as plain node from the compiled dist. */
function spawnRole(name: string, entry: string, env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Child {
  const compiled = path.extname(__filename) === '.js';
  const args = compiled
    ? [path.join(projectRoot, 'dist', `${entry}.js`)]
    : ['--import', 'tsx', path.join(projectRoot, `${entry}.ts`)];
  const child = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const write = prefixed(`[${name}] `);
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      onLine?.(line);
      write(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, process: child, exited };
}

/** SIGTERM lets the worker drain in-flight tasks; SIGKILL only if it takes unreasonably long. */
async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const forceKill = setTimeout(() => {
    say(`${child.name} did not stop within ${CHILD_STOP_TIMEOUT_MS / 1000}s; killing it.`);
    child.process.kill('SIGKILL');
  }, CHILD_STOP_TIMEOUT_MS);
  child.process.kill('SIGTERM');
  await child.exited;
  clearTimeout(forceKill);
}

/** Asks `ready` every half second until it says yes (true), `timeoutMs` passes or startup is abandoned (false). */
function pollUntil(ready: () => Promise<boolean>, timeoutMs: number, abandoned: () => boolean): Promise<boolean> {
  const attempt = async () => {
    if (!(await ready())) throw new Error('not ready yet');
    return true;
  };
  return pRetry(attempt, { retries: Infinity, factor: 1, minTimeout: 500, maxRetryTime: timeoutMs, shouldRetry: () => !abandoned() }).catch(() => false);
}


/** The API as this process reaches it: by IP, so "localhost" resolving to ::1 first cannot miss it. */
function probeUrl(config: AppConfig): string {
  const host = config.api.host;
  if (['0.0.0.0', '::', '[::]', '127.0.0.1', 'localhost'].includes(host)) return `http://127.0.0.1:${config.api.port}`;
  if (host === '::1' || host === '[::1]') return `http://[::1]:${config.api.port}`;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${config.api.port}`;
}

async function answersHealthz(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false; // not listening yet
  }
}

/**
 * The worker is ready once Temporal sees it polling the task queue for workflow tasks. Only our
 * child counts (the SDK's worker identity is `<pid>@<host>`): another stack's worker on a reused
 * server polls the same queue.
 */
async function waitForWorkerPolling(
  config: AppConfig,
  address: string,
  workerPid: number | undefined,
  timeoutMs: number,
  abandoned: () => boolean,
) {
  const connection = await connectClient({ temporal: { ...config.temporal, address } });
  const polling = async () => {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: config.temporal.taskQueue },
      taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (pollers ?? []).some((poller) => poller.identity?.startsWith(`${workerPid}@`));
  };
  try {
    return await pollUntil(polling, timeoutMs, abandoned);
  } finally {
    await connection.close();
  }
}

function formatMeta(message: string, meta?: Record<string, unknown>): string {
  const details = meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
  return `${message}${details}`;
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

main().catch((error: unknown) => {
  say(`Failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
