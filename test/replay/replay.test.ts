/**
 * Recorded histories of real runs replay against today's workflow code. A change that would break
 * running purchase orders (non-determinism) fails here; guard such changes with `patched()`.
 * Record new histories with `npm run record-histories` after a deliberate, patched change.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/harness';

const directory = path.join(__dirname, 'histories');
const files = fs.existsSync(directory) ? fs.readdirSync(directory).filter((f) => f.endsWith('.binpb')).sort() : [];

test('recorded purchase-order histories are present', () => {
  for (const version of ['v1', 'v2', 'v3']) {
    assert.ok(files.some((f) => f.startsWith(`${version}-`)), `expected the recorded histories of ${version} in ${directory}`);
  }
});

for (const file of files) {
  test(`history ${file} replays without non-determinism`, async () => {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(directory, file)));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, path.basename(file, '.binpb'));
  });
}

test('the workflow bundle leaves zod out: every cached PO would otherwise build the schemas again', async () => {
  const { code } = await workflowBundle();
  assert.doesNotMatch(code, /node_modules\/zod\//, 'no zod module in the workflow bundle');
  assert.doesNotMatch(code, /\$ZodType|ZodError/, 'no zod code in the workflow bundle');
});
