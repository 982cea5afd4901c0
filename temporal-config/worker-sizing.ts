/**
 * How many workflows a worker keeps cached and how many tasks it runs at once, from the memory it
 * may use (docs/operations.md#worker-sizing). Left to itself the SDK sizes its cache from the V8
 * heap limit, which in a container is not the container's limit: a busy day would cache more POs
 * than the container holds and get the worker killed (MEASUREMENTS: ~1 MiB of heap per cached PO
 * on v1). Every setting can be given explicitly; the rest come from this one formula.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { WorkerSizingSettings } from './env';

const MiB = 1024 * 1024;

/**
 * The budget, in one place. PER_CACHED_WORKFLOW is the target of issue 14 for one cached open PO
 * (workflow heap plus its share of RSS); `npm run bench -- memory` measures the real figure.
 */
export const SIZING_BUDGET = {
  /** RSS of an idle worker: Node, the SDK's core, the workflow bundle, the knex pool. */
  baseBytes: 384 * MiB,
  /** Share of what is left for the workflow cache; the rest is for tasks in flight and GC headroom. */
  cacheShare: 0.6,
  perCachedWorkflowBytes: 0.25 * MiB,
  /** One workflow task in flight: an activation with a page of history and its commands. */
  perWorkflowTaskBytes: 8 * MiB,
  /** One activity in flight: its input, a PO view, its SQL and HTTP buffers. */
  perActivityBytes: 4 * MiB,
  /** Share of what is left for workflow task and activity slots each. */
  slotShare: 0.1,
  limits: {
    maxCachedWorkflows: { min: 100, max: 20_000 },
    workflowTasks: { min: 2, max: 40 },
    activities: { min: 4, max: 100 },
  },
} as const;

export interface WorkerSizing {
  /** The memory the formula worked from, and where that number came from. */
  memoryLimitBytes: number;
  memorySource: 'WORKER_MEMORY_LIMIT_MB' | 'cgroup' | 'total memory';
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
}

export interface SizingInputs {
  memoryLimitBytes: number;
  memorySource: WorkerSizing['memorySource'];
  /** Each activity that reaches the ERP holds one connection: more slots than 4× the pool only queue. */
  databasePoolMax: number;
}

const clamp = (value: number, { min, max }: { min: number; max: number }) => Math.min(max, Math.max(min, Math.floor(value)));

/**
 * The formula (documented in docs/operations.md#worker-sizing), with explicit settings winning:
 *   available        = memory limit − base
 *   cached workflows = available × 0.6 ÷ 0.25 MiB, within 100…20,000
 *   workflow tasks   = available × 0.1 ÷ 8 MiB, within 2…40
 *   activities       = available × 0.1 ÷ 4 MiB, within 4…100, at most 4 × DATABASE_POOL_MAX
 *   local activities = activities
 */
export function workerSizing(inputs: SizingInputs, settings: WorkerSizingSettings = {}): WorkerSizing {
  const budget = SIZING_BUDGET;
  const available = Math.max(0, inputs.memoryLimitBytes - budget.baseBytes);
  const activities = Math.min(clamp((available * budget.slotShare) / budget.perActivityBytes, budget.limits.activities), 4 * inputs.databasePoolMax);
  const derivedActivities = Math.max(budget.limits.activities.min, activities);
  return {
    memoryLimitBytes: inputs.memoryLimitBytes,
    memorySource: inputs.memorySource,
    maxCachedWorkflows:
      settings.maxCachedWorkflows ?? clamp((available * budget.cacheShare) / budget.perCachedWorkflowBytes, budget.limits.maxCachedWorkflows),
    maxConcurrentWorkflowTaskExecutions:
      settings.maxConcurrentWorkflowTaskExecutions ?? clamp((available * budget.slotShare) / budget.perWorkflowTaskBytes, budget.limits.workflowTasks),
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivityTaskExecutions ?? derivedActivities,
    maxConcurrentLocalActivityExecutions: settings.maxConcurrentLocalActivityExecutions ?? derivedActivities,
  };
}

/** cgroup v2, then v1; undefined when the process is not limited (or not on Linux). */
export function cgroupMemoryLimit(read: (file: string) => string | undefined = readQuietly): number | undefined {
  const v2 = read('/sys/fs/cgroup/memory.max')?.trim();
  if (v2 && /^\d+$/.test(v2)) return Number(v2);
  const v1 = read('/sys/fs/cgroup/memory/memory.limit_in_bytes')?.trim();
  // v1 reports "no limit" as a huge number near 2^63.
  if (v1 && /^\d+$/.test(v1) && Number(v1) < 2 ** 60) return Number(v1);
  return undefined;
}

function readQuietly(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The memory a worker may use: WORKER_MEMORY_LIMIT_MB, else the cgroup's limit, else the machine's. */
export function memoryLimit(settings: WorkerSizingSettings, cgroupLimit = cgroupMemoryLimit()): Pick<SizingInputs, 'memoryLimitBytes' | 'memorySource'> {
  if (settings.memoryLimitBytes !== undefined) return { memoryLimitBytes: settings.memoryLimitBytes, memorySource: 'WORKER_MEMORY_LIMIT_MB' };
  const total = os.totalmem();
  if (cgroupLimit !== undefined && cgroupLimit < total) return { memoryLimitBytes: cgroupLimit, memorySource: 'cgroup' };
  return { memoryLimitBytes: total, memorySource: 'total memory' };
}
