/**
 * CPU time by tier, read from /proc (Linux only; elsewhere the figures are empty): what a round
 * of the lifecycle benchmark cost each process kind and the machine as a whole. Throughput on a
 * busy machine follows CPU time per PO, not waiting, so this says where a lifecycle's cost lies.
 */
import fs from 'node:fs';

/** Process kinds, by what their command line contains (first match wins). */
const KINDS: [kind: string, test: (cmdline: string, comm: string) => boolean][] = [
  ['project worker', (cmdline) => cmdline.includes('workers/main.ts')],
  ['api', (cmdline) => cmdline.includes('api/main.ts')],
  ['raw worker', (cmdline) => cmdline.includes('raw/worker-main.ts')],
  ['raw api', (cmdline) => cmdline.includes('raw/api-main.ts')],
  ['temporal', (cmdline) => cmdline.includes('temporal') && cmdline.includes('start-dev')],
  ['postgres', (_cmdline, comm) => comm === 'postgres'],
  ['bench driver', (cmdline) => cmdline.includes('bench/run.ts')],
];

export type CpuSample = Map<string, number>;

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Cumulative CPU milliseconds by kind, and `machine` for every CPU of the machine. */
export function cpuSample(): CpuSample {
  const sample: CpuSample = new Map();
  if (process.platform !== 'linux') return sample;
  try {
    const [user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    sample.set('machine', (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS);
  } catch {
    return sample;
  }
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const kind = KINDS.find(([, test]) => test(cmdline, comm))?.[0];
      // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
      if (kind) sample.set(kind, (sample.get(kind) ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // the process ended meanwhile
    }
  }
  return sample;
}

/** What was spent between two samples, by kind (processes that ended in between are not counted). */
export function cpuSpent(before: CpuSample, after: CpuSample): CpuSample {
  const spent: CpuSample = new Map();
  for (const [kind, value] of after) spent.set(kind, Math.max(0, value - (before.get(kind) ?? 0)));
  return spent;
}

/** Adds `more` into `total`. */
export function addCpu(total: CpuSample, more: CpuSample): void {
  for (const [kind, value] of more) total.set(kind, (total.get(kind) ?? 0) + value);
}

/** "machine 180 ms, project worker 70 ms, …" per unit of work. */
export function describeCpu(spent: CpuSample, units: number): string {
  return [...spent]
    .filter(([, value]) => value > 0)
    .sort((a, b) => (a[0] === 'machine' ? -1 : b[0] === 'machine' ? 1 : b[1] - a[1]))
    .map(([kind, value]) => `${kind} ${(value / units).toFixed(0)} ms`)
    .join(', ');
}
