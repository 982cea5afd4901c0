/**
 * `npm run chaos [-- --pos 100 --worker-kills 20 --duration 600 --seed 7]`: a fault-injection run
 * against the whole stack as separate processes (scripts/chaos/chaos.ts); prints its figures and
 * checks and exits non-zero when a check fails. docs/operations.md, "Fault injection".
 */
import { parseArgs } from 'node:util';
import { runChaos } from './chaos';

const USAGE = `Usage: npm run chaos -- [options]
  --pos N                POs driven through full lifecycles (default 100)
  --concurrency N        lifecycles at a time (default min(pos, 20))
  --worker-kills N       worker SIGKILLs (default max(5, pos / 6))
  --temporal-restarts N  Temporal server kills and restarts (default 1)
  --api-restarts N       API instance kills and restarts (default 1)
  --db-drops N           terminations of every database connection (default 1)
  --nats-restarts N      NATS server stops and restarts, same port and store (default 1)
  --subscriber-down S    the webhook subscriber answers 500 for the first S seconds (default: a third of the faults' span)
  --fault-interval S     seconds between two faults (default 4)
  --duration S           the run stops driving POs after S seconds (default 120 + 3 × pos)
  --seed N               seed of the run's choices (default: from the clock)
  --workers N / --apis N processes of each (default 2 / 2)
  --max-p99 S            fail when command p99 exceeds S seconds (default 20; 0 = report only)
  --keep                 keep the database and logs even when every check passes
Database: DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database per run.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      pos: { type: 'string' },
      concurrency: { type: 'string' },
      'worker-kills': { type: 'string' },
      'temporal-restarts': { type: 'string' },
      'api-restarts': { type: 'string' },
      'db-drops': { type: 'string' },
      'nats-restarts': { type: 'string' },
      'subscriber-down': { type: 'string' },
      'fault-interval': { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      workers: { type: 'string' },
      apis: { type: 'string' },
      'max-p99': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const int = (name: keyof typeof values, fallback: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: expected a number, got ${String(raw)}\n${USAGE}`);
    return value;
  };
  const pos = int('pos', 100);
  const maxP99 = int('max-p99', 20);
  const workerKills = int('worker-kills', Math.max(5, Math.round(pos / 6)));
  const temporalRestarts = int('temporal-restarts', 1);
  const apiRestarts = int('api-restarts', 1);
  const dbDrops = int('db-drops', 1);
  const natsRestarts = int('nats-restarts', 1);
  const faultIntervalMs = int('fault-interval', 4) * 1000;
  const faultSpanMs = (workerKills + temporalRestarts + apiRestarts + dbDrops + natsRestarts) * faultIntervalMs;
  const report = await runChaos({
    pos,
    concurrency: int('concurrency', Math.min(pos, 20)),
    workerKills,
    temporalRestarts,
    apiRestarts,
    dbDrops,
    natsRestarts,
    subscriberDownMs: values['subscriber-down'] === undefined ? Math.round(faultSpanMs / 3) : int('subscriber-down', 0) * 1000,
    faultIntervalMs,
    durationMs: int('duration', 120 + 3 * pos) * 1000,
    seed: int('seed', Date.now() % 2 ** 31),
    workers: int('workers', 2),
    apis: int('apis', 2),
    ...(maxP99 > 0 ? { maxP99Ms: maxP99 * 1000 } : {}),
    maxInFlightStallMs: 30_000,
    keep: values.keep ?? false,
    adminDatabaseUrl: process.env.DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres',
    say: (line) => process.stdout.write(`[chaos] ${line}\n`),
  });
  process.stdout.write(`${report.text}\n\n${report.ok ? 'All checks passed.' : 'Some checks FAILED.'}\n`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
