/**
 * The raw baseline's worker as a process of its own, as the project's worker runs in the
 * `lifecycle` benchmark (bench/lifecycle.ts): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL,
 * DATABASE_POOL_MAX and BENCH_RAW_TASK_QUEUE from the environment; SIGTERM stops it.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { createKnex } from '../../activities/erp/database';
import { createRawActivities } from './activities';

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const knex = createKnex(process.env.DATABASE_URL!, Number(process.env.DATABASE_POOL_MAX ?? 10));
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: process.env.BENCH_RAW_TASK_QUEUE ?? 'bench-raw',
    workflowsPath: require.resolve('./workflows'),
    activities: createRawActivities(knex),
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.once('SIGINT', () => worker.shutdown());
  await worker.run();
  await connection.close();
  await knex.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`raw worker failed: ${String(error)}\n`);
  process.exit(1);
});
