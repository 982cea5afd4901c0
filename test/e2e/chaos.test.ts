/**
 * The fault-injection run at a small size (docs/testing.md): POs driven over HTTP through full
 * lifecycles while workers are SIGKILLed, Temporal is killed and restarted on its database file,
 * an API instance is killed and restarted, the database's connections are terminated, the NATS
 * server is restarted and the webhook subscriber answers 500 for the first 40 s. Asserts
 * correctness only (every PO closed, no duplicate, the ledger holds, no non-determinism, no 5xx
 * but 503, every event at the subscriber and in the stream once by id, in order per PO, no dead
 * letter); latency is `npm run chaos`'s to report.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos, STREAM_ORDER_CHECK, WEBHOOK_ORDER_CHECK } from '../../scripts/chaos/chaos';
import { testDatabaseAdminUrl } from '../helpers/database';

test('POs close and events arrive exactly once while workers, Temporal, an API, the database connections and NATS are killed and the subscriber fails for a while', { timeout: 600_000 }, async () => {
  const report = await runChaos({
    pos: 20,
    concurrency: 8,
    workerKills: 5,
    temporalRestarts: 1,
    apiRestarts: 1,
    dbDrops: 1,
    natsRestarts: 1,
    subscriberDownMs: 40_000,
    faultIntervalMs: 3_000,
    durationMs: 300_000,
    seed: 20261204,
    workers: 2,
    apis: 2,
    keep: false,
    adminDatabaseUrl: testDatabaseAdminUrl(),
    // An API killed mid-request leaves its Idempotency-Key claims behind; the client's retries take
    // them over once their lease (IDEMPOTENCY_LEASE_MS, 10 s by default) has run out.
    say: (line) => process.stdout.write(`# ${line}\n`),
  });
  process.stdout.write(`${report.text.split('\n').map((line) => `# ${line}`).join('\n')}\n`);
  const order = report.checks.filter((check) => check.name === STREAM_ORDER_CHECK || check.name === WEBHOOK_ORDER_CHECK);
  assert.equal(order.length, 2, 'the order per PO is checked at both sinks');
  const failed = report.checks.filter((check) => !check.ok);
  assert.deepEqual(failed, [], report.text);
  assert.ok(report.figures.faults['worker SIGKILL'] >= 5, `at least 5 worker kills (${report.figures.faults['worker SIGKILL']})`);
  assert.equal(report.figures.faults['Temporal restart'], 1, 'the Temporal server was killed and restarted');
  assert.equal(report.figures.faults['API restart'], 1, 'an API instance was killed and restarted');
  assert.equal(report.figures.faults['DB connection drop'], 1, "the database's connections were terminated");
  assert.equal(report.figures.faults['NATS restart'], 1, 'the NATS server was restarted');
  assert.ok(report.figures.events.webhook500s > 0, `the subscriber answered 500 while down (${report.figures.events.webhook500s})`);
});
