import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ApprovalTier } from '../workflows/domain/schemas';
import { TASK_QUEUE } from '../workflows/purchase-order/definitions';
import {
  apiKeys,
  approvalTiers,
  booleanFlag,
  duration,
  httpUrl,
  LOG_LEVELS,
  natsUrls,
  optionalPositiveInt,
  optionalString,
  port,
  positiveInt,
  retrySchedule,
  urlList,
} from './env-values';
import type { ApiKey } from './env-values';

export type { ApiKey } from './env-values';


export interface TemporalTlsConfig {
  certPath?: string;
  keyPath?: string;
  caPath?: string;
  serverName?: string;
}

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: string;
  /** LOG_FORMAT: 'json' (one object per line) or 'pretty'; default pretty only in development on a terminal. */
  logFormat: 'json' | 'pretty';
  dataDir: string;
  api: {
    port: number;
    host: string;
    bodyLimit: string;
    rateLimit: { windowMs: number; max: number };
    keys: ApiKey[];
    /** WORKER_QUERY_TIMEOUT_MS: how long a read or a command waits for a worker before 503 WORKER_UNAVAILABLE. */
    workerQueryTimeoutMs: number;
    /** IDEMPOTENCY_LEASE_MS: an in-flight Idempotency-Key claim not renewed for this long is taken over by a retry. */
    idempotencyLeaseMs: number;
  };
  temporal: {
    address: string;
    namespace: string;
    taskQueue: typeof TASK_QUEUE;
    uiPort: number;
    tls?: TemporalTlsConfig;
    apiKey?: string;
    workflowBundlePath?: string;
  };
  database: { url?: string; embeddedPort: number; poolMax: number };
  policy: {
    ackSla: string;
    ackReminder: string;
    lateDeliveryGrace: string;
    exceptionSla: string;
    captureDiscounts: boolean;
    /** PO_APPROVAL_TIERS: per currency, the PO value from which 1, 2, … distinct approvers are needed. */
    approvalTiers: ApprovalTier[];
    approvalSla: string;
    disputeSla: string;
  };
  accountsPayable: { adapter: 'builtin' | 'http'; url?: string; token?: string };
  portal: { webhookTimeoutMs: number };
  outbox: { relayIntervalMs: number; subscriberUrls: string[]; signingSecret?: string };
  /** Event delivery (docs/events.md): the retry schedule in milliseconds, and the NATS JetStream sink when NATS_URL is set. */
  events: { retrySchedule: number[]; natsUrl?: string };
  /** EDI X12 (docs/edi.md): our identity in ISA/GS, and the inbox directory the API watches (off when unset). */
  edi: { sender: { qualifier: string; id: string; gsId: string }; inboxDir?: string; inboxIntervalMs: number };
  /** WORKER_METRICS_ADDRESS: where the worker serves the SDK's Prometheus metrics (off when unset). */
  worker: { metricsAddress?: string; healthAddress?: string; sizing: WorkerSizingSettings };
  /** OpenTelemetry tracing (temporal-config/tracing.ts); the OTel SDK reads the other OTEL_* variables itself. */
  tracing: TracingSettings;
  /** How soon a lost attempt is noticed and taken over (docs/operations.md, "Recovering from a dead process"). */
  recovery: RecoverySettings;
  /** The web console at /console (docs/console.md). */
  console: { sessionTtl: string; temporalUiUrl: string };
}

export interface RecoverySettings {
  /**
   * WORKFLOW_TASK_TIMEOUT_MS: a PO's workflow task (and the local activities it runs: every ERP
   * and AP write) is retried on another worker this long after its worker died. Set when a PO starts.
   */
  workflowTaskTimeoutMs: number;
  /**
   * WORKER_STICKY_QUEUE_TIMEOUT_MS: how long a task waits for the worker that has the PO cached
   * before any worker may take it (a dead worker's POs move on after this).
   */
  stickyQueueTimeoutMs: number;
}

/** Explicit worker cache and slot settings; unset ones are derived from memory (temporal-config/worker-sizing.ts). */
export interface WorkerSizingSettings {
  memoryLimitBytes?: number;
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

export interface TracingSettings {
  /** On only when an OTLP endpoint is configured and OTEL_SDK_DISABLED is not true. */
  enabled: boolean;
  protocol: OtlpProtocol;
  /** OTEL_SERVICE_NAME; each process defaults to its own name (p2p-api, p2p-worker). */
  serviceName?: string;
}

/**
 * The directory holding package.json. Resolved by walking up rather than a fixed `..` because this
 * file runs both from the source tree (tsx) and from `dist/temporal-config` (compiled).
 */
export const projectRoot: string = findProjectRoot(__dirname);

function findProjectRoot(startDir: string): string {
  let dir = startDir;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(startDir, '..');
    dir = parent;
  }
}

/** Defaults of RecoverySettings: see docs/adr/0066-recovery-from-a-dead-worker.md for the figures behind them. */
export const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;
export const DEFAULT_STICKY_QUEUE_TIMEOUT_MS = 10_000;

/** Keys are the environment variable names, so an issue path names the variable to fix. */

const environmentSchema = z.object({
    NODE_ENV: optionalString.pipe(z.enum(['development', 'production', 'test']).default('development')),
    LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).default('info')),
    LOG_FORMAT: optionalString.pipe(z.enum(['json', 'pretty']).optional()),
    DATA_DIR: optionalString,
    PORT: port(3000),
    // Loopback unless told otherwise: a development stack (with its printed keys) is not reachable
    // from the network by accident. Containers and servers set HOST=0.0.0.0 explicitly.
    HOST: optionalString.pipe(z.string().default('127.0.0.1')),
    API_BODY_LIMIT: optionalString.pipe(
      z
        .string()
        .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)$/i, 'expected a size like "1mb" or "512kb"')
        .default('1mb'),
    ),
    API_RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
    API_RATE_LIMIT_MAX: positiveInt(600),
    API_KEYS: apiKeys,
    WORKER_QUERY_TIMEOUT_MS: positiveInt(5_000),
    IDEMPOTENCY_LEASE_MS: positiveInt(10_000),
    TEMPORAL_ADDRESS: optionalString.pipe(
      z
        .string()
        .regex(/^[^\s:/]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/i, 'expected host:port, e.g. 127.0.0.1:7233')
        .default('127.0.0.1:7233'),
    ),
    TEMPORAL_NAMESPACE: optionalString.pipe(z.string().default('default')),
    TEMPORAL_UI_PORT: port(8233),
    // Where operators open a PO's run from the console; default: the dev server's UI on this machine.
    TEMPORAL_UI_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    CONSOLE_SESSION_TTL: duration('8h'),
    TEMPORAL_TLS: booleanFlag(undefined),
    TEMPORAL_TLS_CERT: optionalString,
    TEMPORAL_TLS_KEY: optionalString,
    TEMPORAL_TLS_CA: optionalString,
    TEMPORAL_TLS_SERVER_NAME: optionalString,
    TEMPORAL_API_KEY: optionalString,
    WORKFLOW_BUNDLE_PATH: optionalString,
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
        .optional(),
    ),
    EMBEDDED_PG_PORT: port(54329),
    DATABASE_POOL_MAX: positiveInt(10),
    ACK_SLA: duration('48h'),
    ACK_REMINDER: duration('24h'),
    LATE_DELIVERY_GRACE: duration('24h'),
    EXCEPTION_SLA: duration('72h'),
    CAPTURE_DISCOUNTS: booleanFlag(true),
    PO_APPROVAL_TIERS: approvalTiers,
    APPROVAL_SLA: duration('48h'),
    DISPUTE_SLA: duration('5d'),
    AP_ADAPTER: optionalString.pipe(z.enum(['builtin', 'http']).default('builtin')),
    AP_HTTP_URL: optionalString.pipe(httpUrl.optional()),
    AP_HTTP_TOKEN: optionalString,
    WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
    OUTBOX_RELAY_INTERVAL_MS: positiveInt(1_000),
    EVENT_SUBSCRIBER_URLS: urlList,
    EVENT_SIGNING_SECRET: optionalString,
    EVENT_RETRY_SCHEDULE: retrySchedule,
    NATS_URL: natsUrls,
    EDI_SENDER_QUALIFIER: optionalString.pipe(z.string().regex(/^[A-Z0-9]{2}$/, 'expected a two-character ISA qualifier such as ZZ or 01').default('ZZ')),
    EDI_SENDER_ID: optionalString.pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 .\-_]{0,14}$/, 'expected 1 to 15 letters or digits (ISA06)').default('P2PORCH')),
    EDI_SENDER_GS_ID: optionalString.pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 .\-_]{0,14}$/, 'expected 1 to 15 letters or digits (GS02)').optional()),
    EDI_INBOX_DIR: optionalString,
    EDI_INBOX_INTERVAL_MS: positiveInt(5_000),
    WORKER_METRICS_ADDRESS: optionalString.pipe(
      z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:9464').optional(),
    ),
    WORKER_HEALTH_ADDRESS: optionalString.pipe(
      z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:8080').optional(),
    ),
    WORKER_MEMORY_LIMIT_MB: optionalPositiveInt(),
    WORKER_MAX_CACHED_WORKFLOWS: optionalPositiveInt(),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: optionalPositiveInt(),
    WORKER_MAX_CONCURRENT_ACTIVITIES: optionalPositiveInt(),
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: optionalPositiveInt(),
    WORKFLOW_TASK_TIMEOUT_MS: positiveInt(DEFAULT_WORKFLOW_TASK_TIMEOUT_MS),
    WORKER_STICKY_QUEUE_TIMEOUT_MS: positiveInt(DEFAULT_STICKY_QUEUE_TIMEOUT_MS),
    OTEL_SDK_DISABLED: booleanFlag(false),
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(httpUrl.optional()),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(httpUrl.optional()),
    OTEL_EXPORTER_OTLP_PROTOCOL: optionalString.pipe(z.enum(['http/protobuf', 'http/json', 'grpc']).optional()),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optionalString.pipe(z.enum(['http/protobuf', 'http/json', 'grpc']).optional()),
    OTEL_SERVICE_NAME: optionalString,
  });

/** Every environment variable loadConfig reads (deployment files are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

/** A variable a process reads: loadConfig's own, or a standard OTEL_* one the OpenTelemetry SDK reads itself. */
export function isReadVariable(name: string): boolean {
  return CONFIG_VARIABLES.includes(name) || name.startsWith('OTEL_');
}

/**
 * Rules spanning several variables. Checked on the raw environment, separately from the schema,
 * so they are reported together with per-variable problems instead of only after those are fixed.
 */
function combinationProblems(env: NodeJS.ProcessEnv): string[] {
  const set = (name: string) => (env[name]?.trim() ?? '') !== '';
  const problems: string[] = [];
  if (env.AP_ADAPTER?.trim() === 'http' && !set('AP_HTTP_URL')) problems.push('AP_HTTP_URL: required when AP_ADAPTER=http');
  if (set('TEMPORAL_TLS_CERT') !== set('TEMPORAL_TLS_KEY')) {
    const missing = set('TEMPORAL_TLS_CERT') ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT';
    problems.push(`${missing}: client certificate and key must be set together`);
  }
  for (const name of ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA']) {
    const file = env[name]?.trim();
    if (file && !fs.existsSync(file)) problems.push(`${name}: file not found: ${file}`);
  }
  return problems;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the whole configuration once. Everything else receives the AppConfig;
 * nothing else reads process.env.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = environmentSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`)),
    ...combinationProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;

  const tlsFilesOrName = Boolean(e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_TLS_SERVER_NAME);
  // Temporal Cloud API keys only work over TLS, so an API key turns TLS on unless explicitly disabled.
  const tlsEnabled = e.TEMPORAL_TLS ?? (tlsFilesOrName || Boolean(e.TEMPORAL_API_KEY));
  const tls: TemporalTlsConfig | undefined = tlsEnabled
    ? stripUndefined({
        certPath: e.TEMPORAL_TLS_CERT,
        keyPath: e.TEMPORAL_TLS_KEY,
        caPath: e.TEMPORAL_TLS_CA,
        serverName: e.TEMPORAL_TLS_SERVER_NAME,
      })
    : undefined;

  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'development' && process.stdout.isTTY === true ? 'pretty' : 'json'),
    dataDir: path.resolve(projectRoot, e.DATA_DIR ?? '.data'),
    api: {
      port: e.PORT,
      host: e.HOST,
      bodyLimit: e.API_BODY_LIMIT,
      rateLimit: { windowMs: e.API_RATE_LIMIT_WINDOW_MS, max: e.API_RATE_LIMIT_MAX },
      keys: e.API_KEYS,
      workerQueryTimeoutMs: e.WORKER_QUERY_TIMEOUT_MS,
      idempotencyLeaseMs: e.IDEMPOTENCY_LEASE_MS,
    },
    temporal: stripUndefined({
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: TASK_QUEUE,
      uiPort: e.TEMPORAL_UI_PORT,
      tls,
      apiKey: e.TEMPORAL_API_KEY,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH ? path.resolve(projectRoot, e.WORKFLOW_BUNDLE_PATH) : undefined,
    }),
    database: stripUndefined({ url: e.DATABASE_URL, embeddedPort: e.EMBEDDED_PG_PORT, poolMax: e.DATABASE_POOL_MAX }),
    policy: {
      ackSla: e.ACK_SLA,
      ackReminder: e.ACK_REMINDER,
      lateDeliveryGrace: e.LATE_DELIVERY_GRACE,
      exceptionSla: e.EXCEPTION_SLA,
      captureDiscounts: e.CAPTURE_DISCOUNTS,
      approvalTiers: e.PO_APPROVAL_TIERS,
      approvalSla: e.APPROVAL_SLA,
      disputeSla: e.DISPUTE_SLA,
    },
    accountsPayable: stripUndefined({ adapter: e.AP_ADAPTER, url: e.AP_HTTP_URL, token: e.AP_HTTP_TOKEN }),
    portal: { webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS },
    console: { sessionTtl: e.CONSOLE_SESSION_TTL, temporalUiUrl: (e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`).replace(/\/+$/, '') },
    outbox: stripUndefined({
      relayIntervalMs: e.OUTBOX_RELAY_INTERVAL_MS,
      subscriberUrls: e.EVENT_SUBSCRIBER_URLS,
      signingSecret: e.EVENT_SIGNING_SECRET,
    }),
    events: stripUndefined({ retrySchedule: e.EVENT_RETRY_SCHEDULE, natsUrl: e.NATS_URL }),
    edi: stripUndefined({
      sender: { qualifier: e.EDI_SENDER_QUALIFIER, id: e.EDI_SENDER_ID, gsId: e.EDI_SENDER_GS_ID ?? e.EDI_SENDER_ID },
      inboxDir: e.EDI_INBOX_DIR ? path.resolve(projectRoot, e.EDI_INBOX_DIR) : undefined,
      inboxIntervalMs: e.EDI_INBOX_INTERVAL_MS,
    }),
    worker: stripUndefined({
      metricsAddress: e.WORKER_METRICS_ADDRESS,
      healthAddress: e.WORKER_HEALTH_ADDRESS,
      sizing: stripUndefined({
        memoryLimitBytes: e.WORKER_MEMORY_LIMIT_MB === undefined ? undefined : e.WORKER_MEMORY_LIMIT_MB * 1024 * 1024,
        maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
        maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentLocalActivityExecutions: e.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
      }),
    }),
    tracing: stripUndefined({
      enabled: !e.OTEL_SDK_DISABLED && Boolean(e.OTEL_EXPORTER_OTLP_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
      protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
      serviceName: e.OTEL_SERVICE_NAME,
    }),
    recovery: {
      workflowTaskTimeoutMs: e.WORKFLOW_TASK_TIMEOUT_MS,
      stickyQueueTimeoutMs: e.WORKER_STICKY_QUEUE_TIMEOUT_MS,
    },
  };
}

/**
 * The API must not run in production open to anyone: without keys every request would be
 * rejected (or, worse, a later change could default to allowing it).
 */
export function assertProductionReady(config: AppConfig): void {
  if (config.nodeEnv === 'production' && config.api.keys.length === 0) {
    throw new ConfigError(['API_KEYS: required when NODE_ENV=production (comma-separated key:role entries)']);
  }
}

/** Drops undefined-valued optional properties so configs compare and print cleanly. */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
