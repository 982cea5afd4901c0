/**
 * The worker's cache and slot sizing (temporal-config/worker-sizing.ts,
 * docs/operations.md#worker-sizing): a worker in a container of a given size caches no more POs
 * than that container holds, and explicit settings always win.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { cgroupMemoryLimit, memoryLimit, SIZING_BUDGET, workerSizing } from '../../temporal-config/worker-sizing';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const sized = (memoryLimitBytes: number, databasePoolMax = 10) => workerSizing({ memoryLimitBytes, memorySource: 'cgroup', databasePoolMax });

describe('worker sizing from memory', () => {
  it('caches 6,451 POs in a 3 GiB container: 60% of what is left after the 384 MiB base, at 0.25 MiB a PO', () => {
    const sizing = sized(3 * GiB);
    assert.equal(sizing.maxCachedWorkflows, Math.floor(((3 * GiB - 384 * MiB) * 0.6) / (0.25 * MiB)));
    assert.equal(sizing.maxCachedWorkflows, 6451);
    // 10% each for workflow tasks (8 MiB) and activities (4 MiB); activities capped at 4 × the pool.
    assert.equal(sizing.maxConcurrentWorkflowTaskExecutions, 33);
    assert.equal(sizing.maxConcurrentActivityTaskExecutions, 40);
    assert.equal(sizing.maxConcurrentLocalActivityExecutions, 40);
  });

  it('keeps a 1 GiB worker to 1,536 cached POs, where the SDK alone would size from the heap and overrun it', () => {
    const sizing = sized(GiB);
    assert.equal(sizing.maxCachedWorkflows, 1536);
    assert.equal(sizing.maxConcurrentWorkflowTaskExecutions, 8);
    assert.equal(sizing.maxConcurrentActivityTaskExecutions, 16);
  });

  it('stays within the floors on a tiny container and within the ceilings on a huge machine', () => {
    const tiny = sized(256 * MiB);
    assert.deepEqual(
      [tiny.maxCachedWorkflows, tiny.maxConcurrentWorkflowTaskExecutions, tiny.maxConcurrentActivityTaskExecutions],
      [SIZING_BUDGET.limits.maxCachedWorkflows.min, SIZING_BUDGET.limits.workflowTasks.min, SIZING_BUDGET.limits.activities.min],
    );
    const huge = sized(256 * GiB, 100);
    assert.deepEqual(
      [huge.maxCachedWorkflows, huge.maxConcurrentWorkflowTaskExecutions, huge.maxConcurrentActivityTaskExecutions],
      [SIZING_BUDGET.limits.maxCachedWorkflows.max, SIZING_BUDGET.limits.workflowTasks.max, SIZING_BUDGET.limits.activities.max],
    );
  });

  it('never gives activities more than four times the database pool: they would only queue for a connection', () => {
    assert.equal(sized(8 * GiB, 2).maxConcurrentActivityTaskExecutions, 8);
    assert.equal(sized(8 * GiB, 50).maxConcurrentActivityTaskExecutions, 100);
  });

  it('takes every explicit setting as given', () => {
    const sizing = workerSizing(
      { memoryLimitBytes: GiB, memorySource: 'WORKER_MEMORY_LIMIT_MB', databasePoolMax: 10 },
      { maxCachedWorkflows: 50, maxConcurrentWorkflowTaskExecutions: 3, maxConcurrentActivityTaskExecutions: 7, maxConcurrentLocalActivityExecutions: 9 },
    );
    assert.deepEqual(
      [sizing.maxCachedWorkflows, sizing.maxConcurrentWorkflowTaskExecutions, sizing.maxConcurrentActivityTaskExecutions, sizing.maxConcurrentLocalActivityExecutions],
      [50, 3, 7, 9],
    );
  });
});

describe('the memory a worker may use', () => {
  it('is WORKER_MEMORY_LIMIT_MB when set, whatever the cgroup says', () => {
    assert.deepEqual(memoryLimit({ memoryLimitBytes: 512 * MiB }, GiB), { memoryLimitBytes: 512 * MiB, memorySource: 'WORKER_MEMORY_LIMIT_MB' });
  });

  it('is the cgroup limit when it is below the machine, else the machine', () => {
    assert.deepEqual(memoryLimit({}, GiB), { memoryLimitBytes: GiB, memorySource: 'cgroup' });
    assert.deepEqual(memoryLimit({}, undefined), { memoryLimitBytes: os.totalmem(), memorySource: 'total memory' });
    assert.deepEqual(memoryLimit({}, os.totalmem() * 4), { memoryLimitBytes: os.totalmem(), memorySource: 'total memory' });
  });

  it('reads cgroup v2 memory.max, falls back to v1, and treats "max" and v1 "unlimited" as no limit', () => {
    const files = (entries: Record<string, string>) => (file: string) => entries[file];
    assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '1073741824\n' })), GiB);
    assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' })), undefined);
    assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912\n' })), 512 * MiB);
    assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n' })), undefined);
    assert.equal(cgroupMemoryLimit(files({})), undefined);
  });
});
