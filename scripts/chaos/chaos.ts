/**
 * A chaos run (docs/operations.md, "Fault injection"): the stack as separate processes, N POs
 * driven through full lifecycles over HTTP by a client that retries as integrators are told to,
 * while workers are SIGKILLed, the Temporal server is killed and restarted on its database file,
 * the database's connections are terminated, an API instance is killed and restarted, the NATS
 * server is restarted, and the webhook subscriber answers 500 for the first part of the load. Then
 * the checks: every PO closed, no duplicate of any kind, the ledger's invariants, no
 * non-determinism, no 5xx other than 503, every event at the subscriber and in the stream once by
 * id and in order per PO, no dead letter, and the latency of commands as the client saw them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../temporal-config/workflow-bundle';
import { findDuplicates, ledgerChecks, nonDeterminismInLogs, temporalFigures } from './checks';
import { ChaosClient, seededRandom, Tally } from './client';
import { chaosReport, seconds, STREAM, type ChaosReport, type FaultKind } from './report';
import { verifyWebhook } from '../../activities/supplier-portal/webhook';
import { relayIsIdle } from '../../test/activities/event-fixtures';
import { verifyEventDelivery } from '../../test/helpers/event-sinks';
import { ChaosStack, NAMESPACE, waitUntil } from './stack';
import type { Role, Say } from './stack';

export { STREAM_ORDER_CHECK, WEBHOOK_ORDER_CHECK, type ChaosReport } from './report';

export interface ChaosOptions {
  pos: number;
  /** Lifecycles driven at the same time. */
  concurrency: number;
  workerKills: number;
  temporalRestarts: number;
  apiRestarts: number;
  dbDrops: number;
  /** Stops (SIGTERM) and restarts of the NATS server, same port and store. */
  natsRestarts: number;
  /** The webhook subscriber answers 500 for this long after the load starts, then 200. */
  subscriberDownMs: number;
  /** Pause between two faults. */
  faultIntervalMs: number;
  /** The run stops driving POs after this long, whatever is left. */
  durationMs: number;
  seed: number;
  workers: number;
  apis: number;
  /** Command p99 above this fails the run; undefined: reported only. */
  maxP99Ms?: number;
  /** Longest wait of a retried command on another request's in-flight claim; undefined: reported only. */
  maxInFlightStallMs?: number;
  /** Keep the run's database and logs (they are removed after a run whose checks all pass). */
  keep: boolean;
  adminDatabaseUrl: string;
  /** Extra environment for workers and APIs. */
  env?: NodeJS.ProcessEnv;
  say: Say;
}


const KEYS = { procurement: 'chaos-proc-0123456789', warehouse: 'chaos-wh-0123456789', finance: 'chaos-fin-0123456789', acme: 'chaos-acme-0123456789' };
const API_KEYS = [`${KEYS.procurement}:procurement`, `${KEYS.warehouse}:warehouse`, `${KEYS.finance}:finance`, `${KEYS.acme}:supplier:ACME`].join(',');
const SKUS = [
  { sku: 'BOLT-M8', unitPrice: '1.25' },
  { sku: 'NUT-M8', unitPrice: '0.40' },
  { sku: 'WASHER-M8', unitPrice: '0.15' },
  { sku: 'SCREW-M6', unitPrice: '2.10' },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { say } = options;
  const random = seededRandom(options.seed);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-chaos-'));
  say(`Run ${path.basename(runDir)} (seed ${options.seed}); logs in ${runDir}`);

  // One bundle for every worker start: a restart then takes seconds, not a webpack build.
  const bundlePath = path.join(runDir, 'workflow-bundle.js');
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet, log: quiet } });
  fs.writeFileSync(bundlePath, code);

  const stack = await ChaosStack.create({
    runDir,
    workers: options.workers,
    apis: options.apis,
    adminDatabaseUrl: options.adminDatabaseUrl,
    apiKeys: API_KEYS,
    bundlePath,
    ...(options.env ? { env: options.env } : {}),
    say,
  });
  const tally = new Tally();
  let report: ChaosReport | undefined;
  try {
    say(`Starting PostgreSQL database ${stack.databaseName}, Temporal on ${stack.temporalAddress}, NATS on ${stack.nats.url}, ${options.workers} workers, ${options.apis} APIs ...`);
    // The subscriber fails (500) until the load has run for subscriberDownMs; arrival times of the
    // accepted copies tell a redelivery after a worker kill from any other duplicate.
    let subscriberDownUntil = Number.POSITIVE_INFINITY;
    const acceptedAt = new Map<string, number[]>();
    let badSignatures = 0;
    stack.subscriber.answer = (delivery) => {
      if (!verifyWebhook(ChaosStack.SIGNING_SECRET, delivery.id, delivery.timestamp, delivery.body, delivery.signature)) badSignatures++;
      if (Date.now() < subscriberDownUntil) return 500;
      acceptedAt.set(delivery.id, [...(acceptedAt.get(delivery.id) ?? []), Date.now()]);
      return 200;
    };
    const killedAt: number[] = [];
    await stack.start();
    const client = new ChaosClient(stack.apiUrls, KEYS, tally, random, Math.max(60_000, options.durationMs));
    const supplier = await client.call('PUT', '/v1/suppliers/ACME', 'procurement', { name: 'Acme Industrial', currency: 'USD', paymentTerms: { netDays: 0 } });
    if (supplier.status !== 200) throw new Error(`Creating the supplier answered ${supplier.status}: ${JSON.stringify(supplier.body)}`);

    const loadStartedAt = Date.now();
    subscriberDownUntil = loadStartedAt + options.subscriberDownMs;
    const deadline = loadStartedAt + options.durationMs;
    const closed = new Set<string>();
    let started = 0;
    const injected: Record<FaultKind, number> = { 'worker SIGKILL': 0, 'Temporal restart': 0, 'API restart': 0, 'DB connection drop': 0, 'NATS restart': 0 };

    let loadDone = false;
    let faultsAfterLoad = 0;
    const faultCount = options.workerKills + options.temporalRestarts + options.apiRestarts + options.dbDrops + options.natsRestarts;
    // POs arrive at a steady pace over the time the faults take, so every fault meets a load.
    const arrivalGapMs = (faultCount * options.faultIntervalMs) / options.pos;
    const load = (async () => {
      let next = 0;
      const lane = async () => {
        while (next < options.pos && Date.now() < deadline) {
          const index = ++next;
          await sleep(loadStartedAt + (index - 1) * arrivalGapMs - Date.now());
          started++;
          const poNumber = `PO-CHAOS-${String(index).padStart(4, '0')}`;
          if (await lifecycle(client, poNumber, random, deadline)) closed.add(poNumber);
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, options.pos) }, lane));
      loadDone = true;
    })();

    const faults = (async () => {
      const plan: FaultKind[] = [
        ...Array<FaultKind>(options.workerKills).fill('worker SIGKILL'),
        ...Array<FaultKind>(options.temporalRestarts).fill('Temporal restart'),
        ...Array<FaultKind>(options.apiRestarts).fill('API restart'),
        ...Array<FaultKind>(options.dbDrops).fill('DB connection drop'),
        ...Array<FaultKind>(options.natsRestarts).fill('NATS restart'),
      ];
      // Seeded shuffle; the first fault comes after the load is under way.
      for (let i = plan.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [plan[i], plan[j]] = [plan[j]!, plan[i]!];
      }
      const restarts: Promise<void>[] = [];
      const restartLater = (role: Role, afterMs: number) =>
        restarts.push(
          (async () => {
            await sleep(afterMs);
            await role.start().catch((error: unknown) => say(`Restarting ${role.name} failed: ${String(error)}`));
          })(),
        );
      for (const fault of plan) {
        await sleep(options.faultIntervalMs);
        if (Date.now() > deadline) break;
        // Faults still fire after the last PO closed (a slow machine can start workers slower than
        // the POs close); they are counted apart, and the checks run once all is back up.
        if (loadDone) faultsAfterLoad++;
        const at = `${seconds(options.durationMs - (deadline - Date.now()))}`;
        switch (fault) {
          case 'worker SIGKILL': {
            // A worker dies while the others poll: what is measured is how soon a survivor takes
            // over, not how long a process takes to start. (With one worker, it just dies.)
            const victim = await workerToKill(stack.workers, random, deadline, options.faultIntervalMs);
            if (!victim) continue;
            killedAt.push(Date.now());
            await victim.kill();
            restartLater(victim, 0);
            break;
          }
          case 'NATS restart': {
            // Same port, same store: the stream survives; publishes meanwhile fail and are retried.
            restarts.push(stack.nats.restart(2_000).catch((error: unknown) => say(`Restarting NATS failed: ${String(error)}`)));
            break;
          }
          case 'Temporal restart': {
            if (!stack.temporal.running) continue;
            await stack.temporal.kill();
            restartLater(stack.temporal, 2_000);
            break;
          }
          case 'API restart': {
            const running = stack.apis.filter((api) => api.running);
            const victim = running[Math.floor(random() * running.length)];
            if (!victim || running.length < 2) continue;
            await victim.kill();
            restartLater(victim, 2_000);
            break;
          }
          case 'DB connection drop': {
            const terminated = await stack.dropDatabaseConnections();
            say(`  ${at}: terminated ${terminated} database connections`);
            break;
          }
        }
        injected[fault]++;
        if (fault !== 'DB connection drop') say(`  ${at}: ${fault}`);
      }
      await Promise.all(restarts);
    })();

    const progress = setInterval(() => say(`  ${seconds(Date.now() - loadStartedAt)}: ${closed.size}/${options.pos} closed, ${started} started, ${tally.commands.length} commands answered`), 15_000);
    await Promise.all([load, faults]).finally(() => clearInterval(progress));
    say(`Load finished after ${seconds(Date.now() - loadStartedAt)}: ${closed.size}/${options.pos} POs closed. Checking ...`);

    // Everything back up before the checks, so Temporal can be asked.
    await stack.temporal.start();
    for (const role of [...stack.workers, ...stack.apis]) await role.start();

    const knex = stack.knex();
    let duplicates, ledger, delivery, deadLetters;
    const idleWaitStartedAt = Date.now();
    let idleAfterMs = -1;
    try {
      duplicates = await findDuplicates(knex);
      ledger = await ledgerChecks(knex);
      // Delivery idle twice, a few seconds apart (a workflow may still be writing its last event);
      // a worker killed mid-pass holds its subscription's lease until it runs out (up to 30 s).
      say('Waiting for event delivery to be idle ...');
      await waitUntil(async () => (await relayIsIdle(knex)) && (await sleep(3_000).then(() => relayIsIdle(knex))), 'event delivery to be idle', 600_000).then(
        () => (idleAfterMs = Date.now() - idleWaitStartedAt),
        (error: unknown) => say(String(error)),
      );
      delivery = await verifyEventDelivery({ knex, subscribers: { webhook: stack.subscriber }, nats: { url: stack.nats.url, stream: STREAM } });
      deadLetters = Number((await knex('dead_letters').count<{ count: string }[]>({ count: '*' }))[0]!.count);
    } finally {
      await knex.destroy();
    }
    const temporal = await temporalFigures(stack.temporalAddress, NAMESPACE);
    const loggedNonDeterminism = nonDeterminismInLogs(stack.workers.map((worker) => worker.logFile));

    report = chaosReport({
      options,
      runDir,
      started,
      closed: closed.size,
      injected,
      faultsAfterLoad,
      loadStartedAt,
      tally,
      temporal,
      loggedNonDeterminism,
      duplicates,
      ledger,
      delivery,
      deadLetters,
      idleAfterMs,
      acceptedAt,
      killedAt,
      badSignatures,
      subscriber: stack.subscriber,
    });
    return report;
  } finally {
    await stack.stop().catch((error: unknown) => say(`Stopping the stack failed: ${String(error)}`));
    if (report?.ok && !options.keep) {
      await stack.dropDatabase().catch(() => undefined);
      fs.rmSync(runDir, { recursive: true, force: true });
    } else {
      say(`Kept for inspection: database ${stack.databaseName}, logs in ${runDir}`);
    }
    await stack.close();
  }
}

/**
 * A worker to kill, once every worker has polled for at least `settledMs`: the one that took over
 * the last victim's POs has had time to do so, and a fresh one to warm up. (Killing the moment a
 * restarted worker answers leaves one worker in two dead most of the time on a machine where a
 * start takes longer than the fault interval, and measures start-up, not takeover.)
 */
async function workerToKill(workers: Role[], random: () => number, deadline: number, settledMs: number): Promise<Role | undefined> {
  while (Date.now() < deadline) {
    const settled = workers.filter((worker) => worker.isReady && Date.now() - worker.readySince! >= settledMs);
    if (settled.length === workers.length) return settled[Math.floor(random() * settled.length)];
    await sleep(250);
  }
  return undefined;
}

/** One PO from issue to close, as a buyer, a supplier, a warehouse and finance would drive it. Answers whether it closed. */
async function lifecycle(client: ChaosClient, poNumber: string, random: () => number, deadline: number): Promise<boolean> {
  const lineCount = 1 + Math.floor(random() * 2);
  const lines = Array.from({ length: lineCount }, (_, i) => {
    const item = SKUS[Math.floor(random() * SKUS.length)]!;
    return { lineNo: i + 1, sku: item.sku, quantity: String(1 + Math.floor(random() * 20)), unitPrice: item.unitPrice };
  });
  const total = lines.reduce((sum, line) => sum + Number(line.quantity) * Math.round(Number(line.unitPrice) * 100), 0) / 100;
  const base = `/v1/purchase-orders/${poNumber}`;
  const steps: [string, string, string, unknown, number[]][] = [
    ['create', '/v1/purchase-orders', 'procurement', { poNumber, supplierId: 'ACME', currency: 'USD', lines }, [201, 200]],
    ['acknowledge', `${base}/acknowledgement`, 'acme', { type: 'accept' }, [200]],
    ['ship', `${base}/asns`, 'acme', { asnNumber: `ASN-${poNumber}`, shipDate: '2026-11-27', lines: lines.map((line) => ({ lineNo: line.lineNo, quantity: line.quantity })) }, [201, 200]],
    ['receive', `${base}/receipts`, 'warehouse', { receiptNumber: `GR-${poNumber}`, lines: lines.map((line) => ({ lineNo: line.lineNo, quantityReceived: line.quantity })) }, [201, 200]],
    [
      'invoice',
      `${base}/invoices`,
      'acme',
      {
        invoiceNumber: `INV-${poNumber}`,
        invoiceDate: '2026-11-27',
        currency: 'USD',
        total: total.toFixed(2),
        lines: lines.map((line) => ({ lineNo: line.lineNo, quantity: line.quantity, unitPrice: line.unitPrice })),
      },
      [201, 200],
    ],
  ];
  let paid = false;
  for (const [name, url, key, body, expected] of steps) {
    if (Date.now() > deadline) return false;
    const answer = await client.command(name, poNumber, url, key, body, `${name}-${poNumber}`, expected);
    if (!expected.includes(answer.status)) return false;
    if (name === 'invoice') paid = answer.body?.status === 'paid';
  }
  // Net 0: the invoice is paid on approval; should the payment still be on its way, wait for it.
  while (!paid && Date.now() < deadline) {
    const po = await client.call('GET', base, 'finance');
    if (po.status === 200 && po.body?.invoices?.[0]?.status === 'paid') break;
    await sleep(1_000);
  }
  const cleared = await client.command('clear payment', poNumber, `${base}/invoices/INV-${poNumber}/payment-status`, 'finance', { status: 'cleared', reference: `BANK-${poNumber}` }, `clear-${poNumber}`, [200]);
  return cleared.status === 200 && cleared.body?.status === 'closed';
}
