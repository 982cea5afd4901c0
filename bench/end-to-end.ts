/**
 * The whole path on a real Temporal dev server, a real worker running the real workflow bundle
 * and activities, and real PostgreSQL (test/helpers/harness.ts, nothing mocked):
 *
 * - one command: an ASN Update on an acknowledged PO (validator, handler, recordBusinessEvent
 *   activity, PostgreSQL, Update result) against the `status` query on the same workflow, which
 *   makes the same client → server → worker round trip without history, activity or database;
 * - throughput: N POs created at once (workflow start + confirmIssued Update, which waits for the
 *   issue: the supplier's policy and the po.issued record, in one local activity) against N
 *   concurrent `status` queries.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createHarness, PurchaseOrderDriver, today, type Harness } from '../test/helpers/harness';
import { createTestNamespace } from '../test/helpers/temporal';
import { purchaseOrderBody } from './fixtures';
import { measurePair, result, stats, timeOnce, type BenchResult } from './measure';
import type { Say, TemporalServer } from './services';

const SUPPLIER_ID = 'BENCH';
const COMMAND_WARMUP = 3;
const COMMAND_ITERATIONS = 30;
const COMMAND_PO_LINES = 20;
/** POs created at once per batch. */
const CONCURRENT_POS = 20;
const THROUGHPUT_WARMUP_POS = 4;
const THROUGHPUT_BATCHES = 5;
const THROUGHPUT_PO_LINES = 5;

export async function endToEndBenchmarks(temporal: TemporalServer, say: Say): Promise<BenchResult[]> {
  // On a shared server a namespace of our own keeps our POs away from any test's.
  const namespace = temporal.shared ? await createTestNamespace(temporal.address, 'p2p-bench') : 'default';
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: temporal.address, namespace });
  let harness: Harness | undefined;
  const started: PurchaseOrderDriver[] = [];
  try {
    say('Bundling the workflow code and creating the ERP database ...');
    harness = await createHarness(env);
    await PurchaseOrderDriver.supplier(harness, SUPPLIER_ID);
    const running = harness;
    return await running.withWorker(async () => {
      const issue = async (poNumber: string, lines: number) => {
        const driver = await PurchaseOrderDriver.issue(running, purchaseOrderBody(poNumber, SUPPLIER_ID, lines, 1000));
        started.push(driver);
        return driver;
      };

      say(`Timing one ASN Update against the status query (${COMMAND_WARMUP} warm-up + ${COMMAND_ITERATIONS} rounds) ...`);
      const po = await issue('PO-BENCH-CMD', COMMAND_PO_LINES);
      await po.acknowledge({ type: 'accept' });
      const shipDate = await today(env);
      const command = await measurePair({
        warmup: COMMAND_WARMUP,
        iterations: COMMAND_ITERATIONS,
        subject: (i) => po.ship({ asnNumber: `ASN-${i + 1}`, shipDate, lines: [{ lineNo: (i % COMMAND_PO_LINES) + 1, quantity: '1' }] }),
        baseline: () => po.state(),
      });
      const after = await po.state();
      if (after.asns.length !== COMMAND_WARMUP + COMMAND_ITERATIONS) {
        throw new Error(`Expected ${COMMAND_WARMUP + COMMAND_ITERATIONS} ASNs on ${po.poNumber}, found ${after.asns.length}`);
      }

      say(`Creating ${THROUGHPUT_BATCHES} batches of ${CONCURRENT_POS} POs concurrently (after ${THROUGHPUT_WARMUP_POS} warm-up POs) ...`);
      const createBatch = (label: string, count: number) =>
        Promise.all(Array.from({ length: count }, (_, i) => issue(`PO-BENCH-${label}-${String(i + 1).padStart(2, '0')}`, THROUGHPUT_PO_LINES)));
      const warm = await createBatch('W', THROUGHPUT_WARMUP_POS);
      await Promise.all(warm.map((driver) => driver.state()));
      const createTimes: number[] = [];
      const queryTimes: number[] = [];
      for (let batch = 1; batch <= THROUGHPUT_BATCHES; batch++) {
        let drivers: PurchaseOrderDriver[] = [];
        createTimes.push(await timeOnce(async () => (drivers = await createBatch(`T${batch}`, CONCURRENT_POS))));
        queryTimes.push(await timeOnce(() => Promise.all(drivers.map((driver) => driver.state()))));
        const issued = (await Promise.all(drivers.map((driver) => driver.state()))).filter((view) => view.status === 'issued').length;
        if (issued !== CONCURRENT_POS) throw new Error(`Batch ${batch}: ${issued} of ${CONCURRENT_POS} POs are issued`);
      }
      const throughput = { subject: stats(createTimes), baseline: stats(queryTimes) };
      const posPerSecond = (CONCURRENT_POS * 1000) / throughput.subject.p50Ms;
      const overall = (CONCURRENT_POS * THROUGHPUT_BATCHES * 1000) / createTimes.reduce((total, t) => total + t, 0);

      return [
        result('e2e', `ASN Update on an acknowledged ${COMMAND_PO_LINES}-line PO`, command, 'status query (same workflow)', 15, [
          'Update → validator → handler → recordBusinessEvent activity → PostgreSQL → Update result',
        ]),
        result('e2e', `create ${CONCURRENT_POS} POs at once (start + confirmIssued), per batch`, throughput, `${CONCURRENT_POS} concurrent status queries`, 30, [
          `throughput: ${posPerSecond.toFixed(1)} POs/s at the p50 batch, ${overall.toFixed(1)} POs/s over all ${THROUGHPUT_BATCHES * CONCURRENT_POS} (${THROUGHPUT_PO_LINES}-line POs)`,
        ]),
      ];
    });
  } finally {
    if (temporal.shared && harness) {
      // Our namespace on someone else's server: leave no open POs behind.
      await Promise.all(
        started.map((driver) => driver.handle.terminate('benchmark finished').catch(() => undefined)),
      );
    }
    await harness?.close();
    await env.teardown();
  }
}
