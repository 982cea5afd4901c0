import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, withDatabase } from '../activities/erp/database';
import type { OpenDatabase } from '../activities/erp/database';
import { freePort, resolveTemporalCli, resolveTestServer, startDevServer } from '../temporal-config/dev-server';
import type { RunningDevServer } from '../temporal-config/dev-server';
import { projectRoot } from '../temporal-config/env';

/**
 * `npm test` (after typecheck): starts the services the suites share, once for the whole run, on
 * free ports (never 7233/8233/54329, so a running `npm start` is untouched), then runs node's test
 * runner over test/**\/*.test.ts. `npm test -- test/unit` runs only files whose path matches.
 */

const say = (line: string) => process.stdout.write(`[run-tests] ${line}\n`);

function findTestFiles(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) return findTestFiles(full);
      return entry.isFile() && entry.name.endsWith('.test.ts') ? [full] : [];
    })
    .sort();
}

function selectTestFiles(filters: string[]): string[] {
  const all = findTestFiles(path.join(projectRoot, 'test')).map((file) => path.relative(projectRoot, file));
  if (filters.length === 0) return all;
  const normalised = filters.map((filter) => path.normalize(path.relative(projectRoot, path.resolve(filter))));
  return all.filter((file) => normalised.some((filter) => file === filter || file.startsWith(filter) || file.includes(filter)));
}

async function main(): Promise<number> {
  const files = selectTestFiles(process.argv.slice(2));
  if (files.length === 0) {
    say(`No test files match ${process.argv.slice(2).join(' ') || 'test/**/*.test.ts'}.`);
    return 1;
  }

  let temporal: RunningDevServer | undefined;
  let database: OpenDatabase | undefined;
  let scratchDir: string | undefined;
  const teardown = async () => {
    await temporal?.stop().catch((error: unknown) => say(`Stopping Temporal failed: ${String(error)}`));
    temporal = undefined;
    await database?.close().catch((error: unknown) => say(`Stopping PostgreSQL failed: ${String(error)}`));
    database = undefined;
    if (scratchDir) fs.rmSync(scratchDir, { recursive: true, force: true });
    scratchDir = undefined;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    say(`${signal}: tearing down test servers ...`);
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const childEnv: NodeJS.ProcessEnv = { ...process.env };

    const cli = await resolveTemporalCli({ log: say });
    const testServer = await resolveTestServer({ log: say });
    if (testServer) childEnv.TEMPORAL_TEST_SERVER_PATH = testServer;
    if (cli) childEnv.TEMPORAL_CLI = cli;
    else say('No Temporal CLI available: tests fall back to the Temporal SDK download.');

    if (process.env.DATABASE_URL?.trim()) {
      childEnv.TEST_DATABASE_ADMIN_URL = process.env.DATABASE_URL.trim();
      say('Test databases are created on DATABASE_URL.');
    } else {
      scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-test-pg-'));
      // mkdtemp makes it private to root; the embedded server runs as the postgres user.
      fs.chmodSync(scratchDir, 0o755);
      say('Starting a throwaway embedded PostgreSQL ...');
      database = await openDatabase(
        { dataDir: scratchDir, database: { embeddedPort: await freePort(), poolMax: 1 } },
        { info: () => undefined, warn: (message, meta) => say(`${message} ${JSON.stringify(meta ?? {})}`) },
      );
      childEnv.TEST_DATABASE_ADMIN_URL = withDatabase(database.url, 'postgres');
    }

    say('Starting a headless in-memory Temporal dev server ...');
    temporal = await startDevServer({ port: await freePort(), uiPort: await freePort(), headless: true, log: () => undefined });
    childEnv.TEST_TEMPORAL_ADDRESS = temporal.address;
    say(`Temporal at ${temporal.address}; running ${files.length} test file(s).`);

    // Spec output for people; a TAP copy to a file so the run ends with the runner's own
    // `# tests / # pass / # fail` totals and a plain "N passed, N failed" line for CI to read.
    const tapFile = path.join(scratchDir ?? os.tmpdir(), `p2p-tests-${process.pid}.tap`);
    const exitCode = await new Promise<number>((resolve) => {
      const runner = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--test',
          '--test-concurrency=2',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          '--test-reporter=tap',
          `--test-reporter-destination=${tapFile}`,
          ...files,
        ],
        { cwd: projectRoot, env: childEnv, stdio: 'inherit' },
      );
      runner.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
    printTotals(tapFile);
    return exitCode;
  } finally {
    await teardown();
  }
}

function printTotals(tapFile: string): void {
  let tap: string;
  try {
    tap = fs.readFileSync(tapFile, 'utf8');
    fs.rmSync(tapFile, { force: true });
  } catch {
    return;
  }
  const totals = new Map<string, number>();
  for (const match of tap.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
    totals.set(match[1]!, Number(match[2]));
  }
  if (totals.size === 0) return;
  process.stdout.write('\n');
  for (const [name, count] of totals) process.stdout.write(`# ${name} ${count}\n`);
  const failed = (totals.get('fail') ?? 0) + (totals.get('cancelled') ?? 0);
  process.stdout.write(`${totals.get('pass') ?? 0} passed, ${failed} failed, ${totals.get('skipped') ?? 0} skipped\n`);
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    say(`Test run failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
