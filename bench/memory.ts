/**
 * Memory per cached open PO against a cached raw workflow (issue 14: ≤ 0.25 MiB of workflow heap
 * per PO; MEASUREMENTS.md: 1.15 MiB on v1, 0.041 MiB raw). Each worker runs in a process of its
 * own (bench/memory-probe.ts); N POs are issued and acknowledged over HTTP and left open (or N raw
 * workflows started and sent one Update), and the worker's heap and RSS after a full GC are read
 * before and after. The difference ÷ N is what one cached workflow costs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stats, type BenchResult } from './measure';
import type { ProbeReading } from './memory-probe';
import type { Say, TemporalServer } from './services';
import { drivePurchaseOrder, driveRawWorkflow, Latencies, pool, sizeFromEnv, startStack, type BenchStack } from './stack';

const OPEN_WORKFLOWS = sizeFromEnv('BENCH_MEMORY_POS', 200);
const CONCURRENCY = sizeFromEnv('BENCH_CONCURRENCY', 16);
const WARMUP = 3;
const MiB = 1024 * 1024;
const RAW_MEMORY_QUEUE = 'bench-raw-memory';

class Probe {
  private constructor(private readonly child: ChildProcess) {}

  static async start(stack: BenchStack, kind: 'project' | 'raw'): Promise<Probe> {
    const child = fork(path.join(__dirname, 'memory-probe.ts'), [kind, RAW_MEMORY_QUEUE], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'error',
        DATABASE_URL: stack.database.url,
        TEMPORAL_ADDRESS: stack.config.temporal.address,
        TEMPORAL_NAMESPACE: stack.namespace,
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the ${kind} memory probe exited with ${code}`)));
    });
    return new Probe(child);
  }

  read(): Promise<ProbeReading> {
    return new Promise((resolve) => {
      this.child.once('message', (reading: ProbeReading) => resolve(reading));
      this.child.send('measure');
    });
  }

  /** Reads once the worker holds `cached` workflows (their last task may still be finishing). */
  async readWhenCached(cached: number): Promise<ProbeReading> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const reading = await this.read();
      if (reading.cachedWorkflows >= cached || Date.now() > deadline) return reading;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send('stop');
    await exited;
  }
}

/** Heap and RSS per cached workflow, with `open` opening one workflow and leaving it open. */
async function perCachedWorkflow(stack: BenchStack, kind: 'project' | 'raw', open: (index: number) => Promise<void>) {
  const probe = await Probe.start(stack, kind);
  try {
    await pool(WARMUP, WARMUP, open);
    const before = await probe.readWhenCached(WARMUP);
    await pool(OPEN_WORKFLOWS, CONCURRENCY, (i) => open(WARMUP + i));
    const after = await probe.readWhenCached(WARMUP + OPEN_WORKFLOWS);
    const cached = after.cachedWorkflows - before.cachedWorkflows;
    if (cached < OPEN_WORKFLOWS) throw new Error(`${kind}: only ${cached} of ${OPEN_WORKFLOWS} workflows stayed cached`);
    return { heap: (after.heapUsedBytes - before.heapUsedBytes) / cached / MiB, rss: (after.rssBytes - before.rssBytes) / cached / MiB, cached };
  } finally {
    await probe.stop();
  }
}

export async function memoryBenchmarks(temporal: TemporalServer, say: Say): Promise<BenchResult[]> {
  const stack = await startStack(temporal);
  try {
    say(`Opening ${OPEN_WORKFLOWS} POs (issued and acknowledged over HTTP) on a worker of their own ...`);
    const project = await perCachedWorkflow(stack, 'project', (i) => drivePurchaseOrder(stack.apiUrl, `PO-MEM-${i + 1}`, new Latencies(), 2));
    say(`Opening ${OPEN_WORKFLOWS} raw workflows (started, one Update) ...`);
    // The raw workflow waits for six Updates; after one it stays open, like the acknowledged PO.
    const raw = await perCachedWorkflow(stack, 'raw', (i) => driveRawWorkflow(stack.client, `raw-mem-${i + 1}`, new Latencies(), 1, RAW_MEMORY_QUEUE));
    const row = (name: string, unit: string, subject: number, baseline: number, maxRatio: number, note: string): BenchResult => ({
      section: 'memory',
      name,
      unit,
      subject: stats([subject]),
      baselineName: `cached raw workflow (${raw.cached} open)`,
      baseline: stats([baseline]),
      ratio: subject / baseline,
      maxRatio,
      notes: [note],
    });
    return [
      // ≤ 0.25 MiB (issue 14) against the raw workflow's 0.041 MiB (MEASUREMENTS.md): about 6×.
      row(`V8 heap per cached open PO (${project.cached} open)`, 'MiB', project.heap, raw.heap, 6, `${project.heap.toFixed(3)} MiB per PO against ${raw.heap.toFixed(3)} MiB raw (target ≤ 0.25 MiB)`),
      row(`RSS per cached open PO (${project.cached} open)`, 'MiB', project.rss, raw.rss, 6, `${project.rss.toFixed(3)} MiB per PO against ${raw.rss.toFixed(3)} MiB raw`),
    ];
  } finally {
    await stack.close();
  }
}
