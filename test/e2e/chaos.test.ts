/**
 * The fault-injection run at a small size (docs/testing.md): POs driven over HTTP through full
 * lifecycles while workers are SIGKILLed, Temporal is killed and restarted on its database file,
 * an API instance is killed and restarted and the database's connections are terminated. Asserts
 * correctness only (every PO closed, no duplicate, the ledger holds, no non-determinism, no 5xx
 * but 503); latency is `npm run chaos`'s to report.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos } from '../../scripts/chaos/chaos';
import { testDatabaseAdminUrl } from '../helpers/database';

test('POs close exactly once while workers, Temporal, an API and the database connections are killed', { timeout: 600_000 }, async () => {
  const report = await runChaos({
    pos: 20,
    concurrency: 8,
    workerKills: 5,
    temporalRestarts: 1,
    apiRestarts: 1,
    dbDrops: 1,
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
  const failed = report.checks.filter((check) => !check.ok);
  assert.deepEqual(failed, [], report.text);
  assert.ok(report.figures.faults['worker SIGKILL'] >= 5, `at least 5 worker kills (${report.figures.faults['worker SIGKILL']})`);
  assert.equal(report.figures.faults['Temporal restart'], 1, 'the Temporal server was killed and restarted');
  assert.equal(report.figures.faults['API restart'], 1, 'an API instance was killed and restarted');
  assert.equal(report.figures.faults['DB connection drop'], 1, "the database's connections were terminated");
});
