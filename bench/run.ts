/**
 * `npm run bench`: performance targets as ratios against a baseline measured in the same run
 * (see bench/README.md). `npm run bench -- domain erp` runs only the named sections.
 *
 * Exits non-zero only when a benchmark could not run; a ratio over its target is reported as
 * FAIL in the table, not as an error.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { domainBenchmarks } from './domain';
import { erpBenchmarks } from './erp';
import { reportBenchmarks } from './reports';
import { eventBenchmarks } from './events';
import { ediBenchmarks } from './edi';
import type { BenchResult } from './measure';
import { renderTable, withinTarget } from './report';
import { ensureDatabaseServer, ensureTemporalServer, redact, type BenchServices, type TemporalServer } from './services';

const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

/** How busy the machine was: the 1-minute load average against the number of cores (bench/README.md). */
const machineLoad = () => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;

const SECTIONS = ['domain', 'erp', 'e2e', 'events', 'lifecycle', 'memory', 'reads', 'edi', 'console'] as const;
type Section = (typeof SECTIONS)[number];

function selectedSections(args: string[]): Section[] {
  if (args.length === 0) return [...SECTIONS];
  const unknown = args.filter((arg) => !(SECTIONS as readonly string[]).includes(arg));
  if (unknown.length > 0) throw new Error(`Unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
  return SECTIONS.filter((section) => args.includes(section));
}

async function main(): Promise<number> {
  let sections: Section[];
  try {
    sections = selectedSections(process.argv.slice(2));
  } catch (error) {
    say((error as Error).message);
    return 2;
  }
  const startedAt = performance.now();
  const results: BenchResult[] = [];
  const failures: string[] = [];
  let database: BenchServices | undefined;
  let temporal: TemporalServer | undefined;

  const teardown = async () => {
    await temporal?.close().catch((error: unknown) => say(`Stopping Temporal failed: ${String(error)}`));
    temporal = undefined;
    await database?.close().catch((error: unknown) => say(`Stopping PostgreSQL failed: ${String(error)}`));
    database = undefined;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the servers this run started ...`);
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const run = async (section: Section, fn: () => Promise<BenchResult[]>) => {
    if (!sections.includes(section)) return;
    const sectionStart = performance.now();
    say(`${section}: running ... (${machineLoad()})`);
    try {
      results.push(...(await fn()));
      say(`${section}: done in ${((performance.now() - sectionStart) / 1000).toFixed(1)} s (${machineLoad()})`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${section}: ${message}`);
      say(`${section}: could not run: ${message}`);
    }
  };

  try {
    await run('domain', domainBenchmarks);
    await run('edi', ediBenchmarks);
    if (sections.some((section) => section !== 'domain' && section !== 'edi')) {
      database = await ensureDatabaseServer(say);
      say(`PostgreSQL: ${database.databaseSource} at ${redact(database.databaseAdminUrl)}`);
    }
    await run('erp', async () => [...(await erpBenchmarks()), ...(await reportBenchmarks())]);
    await run('events', () => eventBenchmarks(say));
    await run('e2e', async () => {
      temporal ??= await ensureTemporalServer(say);
      say(`Temporal: ${temporal.shared ? 'shared server (TEST_TEMPORAL_ADDRESS)' : 'private dev server'} at ${temporal.address}`);
      // Loaded only when needed: it installs the Temporal worker runtime as it loads.
      const { endToEndBenchmarks } = await import('./end-to-end');
      return endToEndBenchmarks(temporal, say);
    });
    const withTemporal = async () => {
      temporal ??= await ensureTemporalServer(say);
      return temporal;
    };
    await run('lifecycle', async () => (await import('./lifecycle')).lifecycleBenchmarks(await withTemporal(), say));
    await run('memory', async () => (await import('./memory')).memoryBenchmarks(await withTemporal(), say));
    await run('reads', async () => (await import('./reads')).readSideBenchmarks(say));
    await run('console', async () => (await import('./console')).consoleBenchmarks());
  } catch (error) {
    failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    await teardown();
  }

  process.stdout.write('\n');
  if (results.length > 0) process.stdout.write(`${renderTable(results)}\n\n`);
  const passed = results.filter(withinTarget).length;
  say(
    `${passed} of ${results.length} within target, ${results.length - passed} over` +
      `${failures.length > 0 ? `, ${failures.length} section(s) could not run` : ''}; ` +
      `total ${((performance.now() - startedAt) / 1000).toFixed(1)} s on node ${process.version}, ${machineLoad()} at the end.`,
  );
  for (const failure of failures) say(`ERROR ${failure.split('\n')[0]}`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    say(`Benchmark run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
