/**
 * The lifecycle against raw Temporal (issue 14, MEASUREMENTS.md), in one run on one server and
 * one database: happy 2-line POs driven over HTTP through their six commands (create,
 * acknowledge, ASN, receipt, invoice paid at once on net 0, payment cleared → closed) against a
 * minimal workflow started by a client and sent six Updates, each calling one activity that
 * writes one row in one transaction. Rounds alternate, at the same concurrency.
 *
 * Reported: throughput (POs per second ÷ raw workflows per second, target ≥ 0.8), command
 * latency p99 (HTTP command ÷ bare executeUpdate, target ≤ 1.5), and the history of one happy PO
 * against one raw workflow (events and bytes; the targets are ≤ 60 events, ≤ 20 KB).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import winston from 'winston';
import { startWorker, type RunningWorker } from '../workers/main';
import { stats, type BenchResult, type Stats } from './measure';
import { createRawActivities } from './raw/activities';
import type { Say, TemporalServer } from './services';
import { drivePurchaseOrder, driveRawWorkflow, historySize, pool, RAW_TASK_QUEUE, sizeFromEnv, startStack } from './stack';
import { performance } from 'node:perf_hooks';

const POS_PER_ROUND = sizeFromEnv('BENCH_LIFECYCLE_POS', 32);
const CONCURRENCY = sizeFromEnv('BENCH_CONCURRENCY', 16);
const ROUNDS = sizeFromEnv('BENCH_LIFECYCLE_ROUNDS', 3);
const WARMUP = 4;

const single = (value: number): Stats => stats([value]);

export async function lifecycleBenchmarks(temporal: TemporalServer, say: Say): Promise<BenchResult[]> {
  const stack = await startStack(temporal);
  let worker: RunningWorker | undefined;
  let rawWorker: Worker | undefined;
  let rawRunning: Promise<void> | undefined;
  let rawConnection: NativeConnection | undefined;
  try {
    say('Starting the project worker (bundling the workflow code) and the raw baseline worker ...');
    worker = await startWorker(stack.config, { knex: stack.newPool(), logger: winston.createLogger({ silent: true }) });
    rawWorker = await Worker.create({
      connection: (rawConnection = await NativeConnection.connect({ address: stack.config.temporal.address })),
      namespace: stack.namespace,
      taskQueue: RAW_TASK_QUEUE,
      workflowsPath: require.resolve('./raw/workflows'),
      activities: createRawActivities(stack.newPool()),
    });
    rawRunning = rawWorker.run();

    let serial = 0;
    const projectRound = async (count: number, latencies: number[]) =>
      pool(count, CONCURRENCY, () => drivePurchaseOrder(stack.apiUrl, `PO-LC-${++serial}`, latencies));
    const rawRound = async (count: number, latencies: number[]) =>
      pool(count, CONCURRENCY, () => driveRawWorkflow(stack.client, `raw-lc-${++serial}`, latencies));

    say(`Warm-up: ${WARMUP} POs and ${WARMUP} raw workflows ...`);
    await projectRound(WARMUP, []);
    await rawRound(WARMUP, []);

    const projectRounds: number[] = [];
    const rawRounds: number[] = [];
    const commandLatencies: number[] = [];
    const updateLatencies: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      say(`Round ${round}/${ROUNDS}: ${POS_PER_ROUND} POs over HTTP and ${POS_PER_ROUND} raw workflows, ${CONCURRENCY} at a time ...`);
      // Alternate which side goes first, so a busy patch of the machine does not land on one side only.
      const sides = [
        async () => projectRounds.push(await timed(() => projectRound(POS_PER_ROUND, commandLatencies))),
        async () => rawRounds.push(await timed(() => rawRound(POS_PER_ROUND, updateLatencies))),
      ];
      for (const side of round % 2 === 1 ? sides : sides.reverse()) await side();
    }

    const project = stats(projectRounds);
    const raw = stats(rawRounds);
    const commands = stats(commandLatencies);
    const updates = stats(updateLatencies);
    const rate = (roundMs: number) => (POS_PER_ROUND * 1000) / roundMs;
    const happyPo = await historySize(stack.client, 'purchase-order:PO-LC-1');
    const rawHistory = await historySize(stack.client, `raw-lc-${WARMUP + 1}`);

    return [
      {
        section: 'lifecycle',
        name: `lifecycle throughput: ${POS_PER_ROUND} POs × 6 commands over HTTP, ${CONCURRENCY} at a time (time per round)`,
        subject: project,
        baselineName: `raw: start + 6 Updates × 1 one-row activity (${ROUNDS} rounds)`,
        baseline: raw,
        // Throughput ratio: POs per second ÷ raw workflows per second.
        ratio: raw.p50Ms / project.p50Ms,
        maxRatio: Number.POSITIVE_INFINITY,
        minRatio: 0.8,
        notes: [`${rate(project.p50Ms).toFixed(2)} POs/s against ${rate(raw.p50Ms).toFixed(2)} raw workflows/s at the p50 round`],
      },
      {
        section: 'lifecycle',
        name: 'command latency over HTTP (ratio of p99)',
        subject: commands,
        baselineName: 'bare executeUpdate of the raw workflow',
        baseline: updates,
        ratio: commands.p99Ms / updates.p99Ms,
        maxRatio: 1.5,
        notes: [
          `p99 ${commands.p99Ms.toFixed(0)} ms against ${updates.p99Ms.toFixed(0)} ms; p50 ratio ${(commands.p50Ms / updates.p50Ms).toFixed(2)}× (${commands.ops} commands, ${updates.ops} Updates)`,
        ],
      },
      {
        section: 'lifecycle',
        name: 'history of a happy 2-line PO: events',
        unit: 'events',
        subject: single(happyPo.events),
        baselineName: 'raw workflow',
        baseline: single(rawHistory.events),
        ratio: happyPo.events / rawHistory.events,
        // The target, ≤ 60 events, against the raw workflow's 68 (MEASUREMENTS.md).
        maxRatio: 0.9,
        notes: [`${happyPo.events} events against ${rawHistory.events} (target ≤ 60)`],
      },
      {
        section: 'lifecycle',
        name: 'history of a happy 2-line PO: bytes',
        unit: 'KiB',
        subject: single(happyPo.bytes / 1024),
        baselineName: 'raw workflow',
        baseline: single(rawHistory.bytes / 1024),
        ratio: happyPo.bytes / rawHistory.bytes,
        // ≤ 20 KB against the raw workflow's 9.8 KB (MEASUREMENTS.md).
        maxRatio: 2,
        notes: [`${(happyPo.bytes / 1024).toFixed(1)} KiB against ${(rawHistory.bytes / 1024).toFixed(1)} KiB (target ≤ 20 KB)`],
      },
    ];
  } finally {
    rawWorker?.shutdown();
    await rawRunning?.catch(() => undefined);
    await rawConnection?.close();
    await worker?.shutdown();
    await stack.close();
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
