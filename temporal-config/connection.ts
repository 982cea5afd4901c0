import fs from 'node:fs';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { ConnectionOptions, TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { NativeConnectionOptions } from '@temporalio/worker';
import pRetry from 'p-retry';
import type { AppConfig } from './env';

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts?: number;
  /** Delay before the second attempt; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each failed attempt that will be retried. */
  onRetry?: (attempt: number, error: Error) => void;
}

/** TLS as the SDK wants it, read from the files named in config (undefined when TLS is off). */
export function temporalTls(config: Pick<AppConfig, 'temporal'>): TLSConfig | undefined {
  const tls = config.temporal.tls;
  if (!tls) return undefined;
  return {
    ...(tls.certPath && tls.keyPath
      ? { clientCertPair: { crt: fs.readFileSync(tls.certPath), key: fs.readFileSync(tls.keyPath) } }
      : {}),
    ...(tls.caPath ? { serverRootCACertificate: fs.readFileSync(tls.caPath) } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}

/**
 * The SDK retries an unavailable server for 15–20 s by default; an API caller is better served by
 * a quick 503 it can retry (its retry joins the same Update), so client calls give up after ~1 s.
 */
const CLIENT_GRPC_RETRY = makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }));

export function clientConnectionOptions(config: Pick<AppConfig, 'temporal'>): ConnectionOptions {
  const tls = temporalTls(config);
  return {
    address: config.temporal.address,
    interceptors: [CLIENT_GRPC_RETRY],
    ...(tls ? { tls } : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}

export function workerConnectionOptions(config: Pick<AppConfig, 'temporal'>): NativeConnectionOptions {
  const tls = temporalTls(config);
  return {
    address: config.temporal.address,
    ...(tls ? { tls } : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}

/**
 * Retries a connection attempt a bounded number of times: processes often start alongside the
 * Temporal server (docker compose, npm start), and should wait for it briefly rather than crash,
 * but never hang forever on a wrong address.
 */
export function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  return pRetry(operation, {
    retries: (options.attempts ?? 10) - 1,
    minTimeout: options.initialDelayMs ?? 250,
    maxTimeout: options.maxDelayMs ?? 5_000,
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0) options.onRetry?.(attemptNumber, error);
    },
  });
}

/** Client-side connection (API, scripts). */
export function connectClient(config: Pick<AppConfig, 'temporal'>, retry?: RetryOptions): Promise<Connection> {
  const options = clientConnectionOptions(config);
  return withRetry(() => Connection.connect(options), retry);
}

/** Worker-side (Rust core) connection. Install the Runtime (logging.ts) before calling this. */
export function connectWorker(config: Pick<AppConfig, 'temporal'>, retry?: RetryOptions): Promise<NativeConnection> {
  const options = workerConnectionOptions(config);
  return withRetry(() => NativeConnection.connect(options), retry);
}
