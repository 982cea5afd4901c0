// First: tracing patches http, express and pg as they load (docs/operations.md#tracing).
import { tracing } from './tracing';
import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import { openDatabase, runMigrations } from '../activities/erp/database';
import { connectClient } from '../temporal-config/connection';
import { assertProductionReady, loadConfig } from '../temporal-config/env';
import type { AppConfig } from '../temporal-config/env';
import { createLogger } from '../temporal-config/logging';
import type { Logger } from '../temporal-config/logging';
import { createApp } from './app';
import type { EdiInbound } from './edi/inbound';
import { startEdiInbox } from './edi/inbox';
import { answerClientErrors } from './request-context';

export interface RunningApi {
  server: Server;
  /** Actual port (useful when config.api.port is 0 in tests). */
  port: number;
  close(): Promise<void>;
}

/** In-flight requests get this long to finish on shutdown before connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;

export async function startApi(config: AppConfig, logger: Logger = createLogger(config, { service: 'api' })): Promise<RunningApi> {
  assertProductionReady(config);
  const database = await openDatabase(config, logger);
  let connection: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    await runMigrations(database.knex);
    connection = await connectClient(config, {
      onRetry: (attempt, error) =>
        logger.warn('Temporal not reachable yet, retrying', { attempt, address: config.temporal.address, error: error.message }),
    });
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
    });
    let ediInbound: EdiInbound | undefined;
    const app = createApp({ config, client, knex: database.knex, logger, onEdiInbound: (inbound) => (ediInbound = inbound) });
    const inboxDir = config.edi.inboxDir;
    const inbox = inboxDir && ediInbound ? startEdiInbox({ dir: inboxDir, intervalMs: config.edi.inboxIntervalMs, inbound: ediInbound, logger }) : undefined;
    if (inbox) logger.info('EDI inbox watched', { dir: inboxDir });

    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(config.api.port, config.api.host, (error?: Error) =>
        error ? reject(error) : resolve(listening),
      );
      listening.once('error', reject);
    });
    answerClientErrors(server);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.api.port;
    logger.info('API listening', { url: `http://localhost:${port}`, docs: `http://localhost:${port}/docs`, console: `http://localhost:${port}/console` });

    const openConnection = connection;
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        await inbox?.stop();
        await new Promise<void>((resolve) => {
          const cutOff = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          server.close(() => {
            clearTimeout(cutOff);
            resolve();
          });
          server.closeIdleConnections();
        });
        await openConnection.close();
        await database.close();
      })();
      return closing;
    };
    return { server, port, close };
  } catch (error) {
    await connection?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, { service: 'api' });
  const api = await startApi(config, logger);
  // Under `npm start` a terminal Ctrl-C arrives twice (SIGINT from the terminal, SIGTERM from
  // the parent); one shutdown is enough.
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info('Shutting down API', { signal });
    api.close().then(
      async () => {
        await tracing?.shutdown();
        logger.info('API stopped');
      },
      (error: unknown) => {
        logger.error('API shutdown failed', { error });
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
