/**
 * A worker in a process of its own, for `npm run bench -- memory` (bench/memory.ts): the project's
 * worker or the raw baseline's, answering "measure" with its heap and RSS after a full GC.
 *
 * Workflows run on the main thread here (debugMode, with the SDK's reusable V8 context as in
 * production), so the process's V8 heap is the workflow heap plus the worker's own, and the heap
 * difference per cached workflow is what a cached workflow costs.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import winston from 'winston';
import { loadConfig } from '../temporal-config/env';
import { startWorker } from '../workers/main';
import { createRawActivities } from './raw/activities';
import { createKnex } from '../activities/erp/database';
import { quietTemporalRuntime } from './stack';

export interface ProbeReading {
  heapUsedBytes: number;
  rssBytes: number;
  cachedWorkflows: number;
}

const MEASUREMENT_OPTIONS = { debugMode: true, reuseV8Context: true, maxCachedWorkflows: 100_000 } as const;

async function main(): Promise<void> {
  quietTemporalRuntime();
  const kind = process.argv[2];
  const config = loadConfig();
  let worker: Worker;
  let stop: () => Promise<void>;
  if (kind === 'project') {
    const running = await startWorker(config, { logger: winston.createLogger({ silent: true }), workerOptions: MEASUREMENT_OPTIONS });
    worker = running.worker;
    stop = () => running.shutdown();
  } else {
    const knex = createKnex(config.database.url!, 5);
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: process.argv[3]!,
      workflowsPath: require.resolve('./raw/workflows'),
      activities: createRawActivities(knex),
      ...MEASUREMENT_OPTIONS,
    });
    const running = worker.run();
    stop = async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await knex.destroy();
    };
  }
  process.on('message', (message: string) => {
    if (message === 'stop') {
      void stop().finally(() => process.exit(0));
      return;
    }
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 3; i++) gc?.();
    const reading: ProbeReading = {
      heapUsedBytes: process.memoryUsage().heapUsed,
      rssBytes: process.memoryUsage().rss,
      cachedWorkflows: worker.getStatus().numCachedWorkflows,
    };
    process.send?.(reading);
  });
  process.send?.('ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`memory probe failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
