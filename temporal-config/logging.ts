import { isSpanContextValid, trace } from '@opentelemetry/api';
import winston from 'winston';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LogEntry, LogLevel } from '@temporalio/worker';
import type { AppConfig } from './env';

export type Logger = winston.Logger;

/** The trace this code runs in, when tracing is on (temporal-config/tracing.ts) and a span is active. */
export function currentTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? context.traceId : undefined;
}

/**
 * Every line logged inside a traced request or activity carries its `traceId`. Workflow lines are
 * written later, outside the span, and bring theirs along (installTemporalRuntime).
 */
const traceContext = winston.format((info) => {
  if (info.traceId === undefined) {
    const traceId = currentTraceId();
    if (traceId) info.traceId = traceId;
  }
  return info;
});

/**
 * One JSON object per line in production and under tests (machine-readable), a compact
 * human-readable line when a developer watches a terminal (config.logFormat decides).
 */
export function createLogger(
  config: Pick<AppConfig, 'logLevel' | 'logFormat'>,
  defaultMeta: Record<string, unknown> = {},
): Logger {
  const human = config.logFormat === 'pretty';
  return winston.createLogger({
    level: config.logLevel,
    defaultMeta,
    format: human
      ? winston.format.combine(
          winston.format.errors({ stack: true }),
          traceContext(),
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.colorize(),
          winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const details = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${details}`;
          }),
        )
      : winston.format.combine(winston.format.errors({ stack: true }), traceContext(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

const TEMPORAL_TO_WINSTON: Record<LogLevel, string> = {
  TRACE: 'silly',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

const WINSTON_TO_TEMPORAL: Record<string, LogLevel> = {
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  http: 'INFO',
  verbose: 'DEBUG',
  debug: 'DEBUG',
  silly: 'TRACE',
};

export interface TemporalRuntimeOptions {
  /** e.g. '127.0.0.1:9464' to expose the SDK's own worker metrics for Prometheus. */
  prometheusBindAddress?: string;
}

/**
 * Routes workflow `log`, activity `log` and the SDK core's own logs into winston, keeping
 * their attributes (workflowId, runId, activityType, ...) as JSON fields. Must run before any
 * Worker or NativeConnection is created: the Runtime is a process-wide singleton.
 */
export function installTemporalRuntime(logger: Logger, options: TemporalRuntimeOptions = {}): Runtime {
  const level = WINSTON_TO_TEMPORAL[logger.level] ?? 'INFO';
  const temporalLogger = new DefaultLogger(level, (entry: LogEntry) => {
    // Temporal's tracing interceptors add trace_id/span_id/trace_flags; one spelling in our logs.
    const { sdkComponent, trace_id: traceId, span_id: spanId, trace_flags: _flags, ...meta } = entry.meta ?? {};
    // The SDK logs webpack's full build statistics at INFO on every worker start; only the
    // "Workflow bundle created" line that follows is worth an operator's attention.
    const isBundlerStats = entry.level === 'INFO' && entry.message.includes('compiled successfully');
    logger.log({
      level: isBundlerStats ? 'debug' : TEMPORAL_TO_WINSTON[entry.level],
      message: entry.message,
      ...(sdkComponent === undefined ? {} : { sdkComponent }),
      ...(traceId === undefined ? {} : { traceId, spanId }),
      ...meta,
    });
  });
  return Runtime.install({
    logger: temporalLogger,
    // Our entry points handle signals themselves, so that shutdown order (drain the worker,
    // then close the database) stays in one place.
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: { core: level === 'TRACE' ? 'DEBUG' : 'WARN', other: 'ERROR' } },
      ...(options.prometheusBindAddress ? { metrics: { prometheus: { bindAddress: options.prometheusBindAddress } } } : {}),
    },
  });
}
