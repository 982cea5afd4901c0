// First: tracing patches http and pg as they load (docs/operations.md#tracing).
import { tracing as configuredTracing } from './tracing';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Knex } from 'knex';
import { createActivities } from '../activities';
import { heartbeatInterceptor } from '../activities/heartbeats';
import { incidentInterceptor } from '../activities/incidents';
import { KnexIncidentRecorder } from '../activities/erp/integration-incidents';
import { createPorts } from '../activities/wiring';
import { openDatabase, runMigrations } from '../activities/erp/database';
import type { OpenDatabase } from '../activities/erp/database';
import { connectWorker } from '../temporal-config/connection';
import { loadConfig, projectRoot } from '../temporal-config/env';
import type { AppConfig } from '../temporal-config/env';
import { createLogger, installTemporalRuntime } from '../temporal-config/logging';
import { SHARED_WORKFLOW_MODULES, WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../temporal-config/workflow-bundle';
import type { Logger } from '../temporal-config/logging';
import { UNTRACED_SINKS } from '../temporal-config/tracing';
import type { Tracing } from '../temporal-config/tracing';
import { memoryLimit, workerSizing } from '../temporal-config/worker-sizing';
import { startHealthServer } from './health';
import type { HealthServer } from './health';

/** Everything a test may hand in instead of having the worker open its own. */
export interface WorkerDependencies {
  connection?: NativeConnection;
  knex?: Knex;
  logger?: Logger;
  /** Extra Worker.create options, e.g. a test-specific taskQueue. */
  workerOptions?: Partial<WorkerOptions>;
  /** Tracing to use instead of the process's own (workers/tracing.ts), e.g. an in-memory exporter. */
  tracing?: Tracing;
}

/** The drain grace on shutdown; deployments give the process longer (docs/operations.md#graceful-shutdown). */
export const WORKER_SHUTDOWN_GRACE = '30s';

export interface RunningWorker {
  worker: Worker;
  /** The port of the health endpoint, when WORKER_HEALTH_ADDRESS is set. */
  healthPort?: number;
  /** Settles when the worker has stopped (after shutdown, or on a fatal error). */
  finished: Promise<void>;
  /** Stops polling, lets running tasks finish, then releases what startWorker opened itself. */
  shutdown(): Promise<void>;
}

/**
 * Source workflows under tsx; the prebuilt bundle (`npm run build`) when running compiled or
 * when WORKFLOW_BUNDLE_PATH names one: it skips a webpack build at every start and pins the
 * exact workflow code that replay tests ran against.
 */
export function workflowCodeOptions(config: AppConfig): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle' | 'bundlerOptions'> {
  const bundlePath = config.temporal.workflowBundlePath;
  if (bundlePath) {
    if (!fs.existsSync(bundlePath)) throw new Error(`WORKFLOW_BUNDLE_PATH ${bundlePath} does not exist`);
    return { workflowBundle: { codePath: bundlePath } };
  }
  const builtBundle = path.join(projectRoot, 'dist', 'workflow-bundle.js');
  const runningCompiled = path.extname(__filename) === '.js';
  if (runningCompiled && fs.existsSync(builtBundle)) return { workflowBundle: { codePath: builtBundle } };
  return { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: [...SHARED_WORKFLOW_MODULES] } };
}

export async function startWorker(config: AppConfig, deps: WorkerDependencies = {}): Promise<RunningWorker> {
  const logger = deps.logger ?? createLogger(config, { service: 'worker' });
  let database: OpenDatabase | undefined;
  let ownConnection: NativeConnection | undefined;
  let health: HealthServer | undefined;
  try {
    let knex = deps.knex;
    if (!knex) {
      database = await openDatabase(config, logger);
      await runMigrations(database.knex);
      knex = database.knex;
    }
    // The worker process also runs the outbox relay: it already holds the ERP connection and is
    // the process that is scaled and drained like any other background worker.
    const ports = createPorts({ config, knex, logger });
    const activities = createActivities(ports, config.policy);
    const connection =
      deps.connection ??
      (ownConnection = await connectWorker(config, {
        onRetry: (attempt, error) =>
          logger.warn('Temporal not reachable yet, retrying', { attempt, address: config.temporal.address, error: error.message }),
      }));

    const sizing = workerSizing({ ...memoryLimit(config.worker.sizing), databasePoolMax: config.database.poolMax }, config.worker.sizing);
    const { memoryLimitBytes, memorySource, ...slots } = sizing;
    const tracing = deps.tracing ?? configuredTracing;
    const workflowCode = workflowCodeOptions(config);
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      ...workflowCode,
      activities,
      interceptors: {
        // A prebuilt bundle has them built in (scripts/build-workflow-bundle.ts).
        ...(workflowCode.workflowsPath ? { workflowModules: [...WORKFLOW_INTERCEPTOR_MODULES] } : {}),
        activity: [
          heartbeatInterceptor(),
          incidentInterceptor(new KnexIncidentRecorder(knex), (error) => logger.warn('Could not record an integration incident', { error: String(error) })),
          ...(tracing?.activityInterceptors ?? []),
        ],
      },
      sinks: tracing?.sinks ?? UNTRACED_SINKS,
      // Long enough for an in-flight ERP posting or webhook to finish on a deploy.
      shutdownGraceTime: WORKER_SHUTDOWN_GRACE,
      // A task for a PO this worker has cached waits this long for it; after that any worker takes
      // it, so a dead worker's POs move on (docs/adr/0066).
      stickyQueueScheduleToStartTimeout: config.recovery.stickyQueueTimeoutMs,
      ...slots,
      ...deps.workerOptions,
    });

    const finished = worker.run();
    if (config.worker.healthAddress) health = await startHealthServer(config.worker.healthAddress, () => worker.getState());
    ports.outbox.start(config.outbox.relayIntervalMs);
    const releaseOwnResources = async () => {
      await finished.catch(() => undefined);
      await health?.close();
      await ports.outbox.stop();
      await ownConnection?.close();
      await database?.close();
    };
    let stopping: Promise<void> | undefined;
    const shutdown = () => {
      stopping ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await releaseOwnResources();
      })();
      return stopping;
    };
    logger.info('Worker started', {
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      memoryLimitMiB: Math.round(memoryLimitBytes / 1024 / 1024),
      memorySource,
      ...slots,
      ...(health ? { healthPort: health.port } : {}),
    });
    return { worker, finished, shutdown, ...(health ? { healthPort: health.port } : {}) };
  } catch (error) {
    await health?.close().catch(() => undefined);
    await ownConnection?.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, { service: 'worker' });
  installTemporalRuntime(logger, config.worker.metricsAddress ? { prometheusBindAddress: config.worker.metricsAddress } : {});
  const running = await startWorker(config, { logger });

  // Under `npm start` a terminal Ctrl-C arrives twice (SIGINT from the terminal, SIGTERM from
  // the parent); one shutdown is enough.
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info('Shutting down worker: finishing in-flight tasks', { signal });
    void running.shutdown();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await running.finished;
  } catch (error) {
    logger.error('Worker stopped with an error', { error });
    await running.shutdown();
    process.exitCode = 1;
    return;
  }
  await running.shutdown();
  await configuredTracing?.shutdown();
  logger.info('Worker stopped');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
