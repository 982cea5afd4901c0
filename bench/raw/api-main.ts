/**
 * The raw baseline behind a thin HTTP tier, as a process of its own (bench/lifecycle.ts): one
 * Express route that sends the raw workflow's Update (the first with its start) and answers its
 * result. No key check, rate limit, idempotency or read-back: what HTTP itself, Express and a
 * client call in a separate process add to raw Temporal, to set the project's HTTP tier against.
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, BENCH_RAW_TASK_QUEUE, HOST and PORT from the environment.
 */
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import { rawStartOperation } from './start';
import { step } from './workflows';

async function main(): Promise<void> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const taskQueue = process.env.BENCH_RAW_TASK_QUEUE ?? 'bench-raw';
  const app = express();
  app.use(express.json());
  app.get('/readyz', (_req, res) => {
    res.json({ ready: true });
  });
  app.post('/raw/:workflowId/steps/:step', async (req, res, next) => {
    try {
      const workflowId = req.params.workflowId;
      const update = { name: workflowId, payload: req.body as Record<string, unknown> };
      const result =
        req.params.step === '0'
          ? await client.workflow.executeUpdateWithStart(step, {
              args: [update],
              startWorkflowOperation: rawStartOperation(workflowId, taskQueue),
            })
          : await client.workflow.getHandle(workflowId).executeUpdate(step, { args: [update] });
      res.json(result);
    } catch (error) {
      next(error);
    }
  });
  const server = app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
  const stop = () => server.close(() => void connection.close());
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`raw API failed: ${String(error)}\n`);
  process.exit(1);
});
