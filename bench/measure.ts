/**
 * Timing for the benchmarks: every subject is measured together with its baseline, in the same
 * process and the same rounds, so whatever else the machine is doing slows both alike and the
 * ratio between them stays meaningful. Absolute times are printed for context only.
 */
import { performance } from 'node:perf_hooks';

export interface Stats {
  ops: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** What a benchmark hands back: its subject, its baseline and the ratio it is held to. */
export interface BenchResult {
  section: string;
  name: string;
  subject: Stats;
  baselineName: string;
  baseline: Stats;
  /** subject p50 ÷ baseline p50, unless the benchmark says otherwise (a p99 ratio, a throughput ratio). */
  ratio: number;
  /** The subject may take at most this many baselines. */
  maxRatio: number;
  /** For figures where more is better (throughput): the ratio must be at least this, and maxRatio is ignored. */
  minRatio?: number;
  /** What the figures are, when not milliseconds: 'events', 'KiB', 'MiB'. */
  unit?: string;
  /** Extra facts worth a line under the table (throughput, sizes). */
  notes?: string[];
}

export function stats(timesMs: readonly number[]): Stats {
  if (timesMs.length === 0) throw new Error('No samples to summarise');
  const sorted = [...timesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    ops: sorted.length,
    meanMs: sorted.reduce((total, t) => total + t, 0) / sorted.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
  };
}

/**
 * Wall time of one call. Thenables are awaited (a knex query builder is one, not a Promise); a
 * synchronous call is not charged for an extra await.
 */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const start = performance.now();
  const returned = fn();
  if (isThenable(returned)) await returned;
  return performance.now() - start;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export interface PairOptions {
  warmup: number;
  iterations: number;
  /** The code under test; `i` counts from 0 across warm-up and measured rounds. */
  subject(i: number): unknown;
  /** The reference operation the subject is compared with. */
  baseline(i: number): unknown;
}

/**
 * Runs subject and baseline in alternating order, round after round, timing each call on its
 * own. Alternating keeps a slow patch of the shared machine from landing on one side only.
 */
export async function measurePair(options: PairOptions): Promise<{ subject: Stats; baseline: Stats }> {
  const subjectTimes: number[] = [];
  const baselineTimes: number[] = [];
  const rounds = options.warmup + options.iterations;
  for (let i = 0; i < rounds; i++) {
    const measured = i >= options.warmup;
    const runSubject = async () => {
      const t = await timeOnce(() => options.subject(i));
      if (measured) subjectTimes.push(t);
    };
    const runBaseline = async () => {
      const t = await timeOnce(() => options.baseline(i));
      if (measured) baselineTimes.push(t);
    };
    if (i % 2 === 0) {
      await runBaseline();
      await runSubject();
    } else {
      await runSubject();
      await runBaseline();
    }
  }
  return { subject: stats(subjectTimes), baseline: stats(baselineTimes) };
}

export function result(
  section: string,
  name: string,
  measured: { subject: Stats; baseline: Stats },
  baselineName: string,
  maxRatio: number,
  notes?: string[],
): BenchResult {
  return {
    section,
    name,
    subject: measured.subject,
    baselineName,
    baseline: measured.baseline,
    ratio: measured.subject.p50Ms / measured.baseline.p50Ms,
    maxRatio,
    ...(notes ? { notes } : {}),
  };
}
