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
import type { Check } from './checks';
import type { SinkReport } from '../../test/helpers/event-sinks';
import { ChaosClient, quantile, seededRandom, Tally } from './client';
import { verifyWebhook } from '../../activities/supplier-portal/webhook';
import { relayIsIdle } from '../../test/activities/event-fixtures';
import { verifyEventDelivery } from '../../test/helpers/event-sinks';
import { ChaosStack, NAMESPACE, waitUntil } from './stack';
import type { Role, Say } from './stack';


/**
 * Per-PO order at the stream and at the webhook, checked apart from completeness so that a report
 * says which one broke. (Both broke once together: the outbox reader sorted transaction ids as
 * text, docs/adr/0040.)
 */
export const STREAM_ORDER_CHECK = 'stream P2P_EVENTS in order per PO';
export const WEBHOOK_ORDER_CHECK = 'webhook subscriber in order per PO';
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

export interface ChaosReport {
  checks: Check[];
  ok: boolean;
  /** The printed summary. */
  text: string;
  figures: {
    posStarted: number;
    posClosed: number;
    faults: Record<FaultKind, number>;
    commands: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    maxInFlightStallMs: number;
    workflowsByStatus: Record<string, number>;
    workflowTaskTimeouts: number;
    duplicates: Record<string, number>;
    statuses: Record<string, number>;
    events: {
      expected: number;
      webhookRequests: number;
      webhook500s: number;
      webhookAccepted: number;
      webhookDuplicates: number;
      streamMessages: number;
      streamDuplicates: number;
      deadLetters: number;
      idleAfterMs: number;
    };
  };
  runDir: string;
}

type FaultKind = 'worker SIGKILL' | 'Temporal restart' | 'API restart' | 'DB connection drop' | 'NATS restart';

/** The stream the NATS sink publishes to (docs/events.md). */
const STREAM = 'P2P_EVENTS';

const KEYS = { procurement: 'chaos-proc-0123456789', warehouse: 'chaos-wh-0123456789', finance: 'chaos-fin-0123456789', acme: 'chaos-acme-0123456789' };
const API_KEYS = [`${KEYS.procurement}:procurement`, `${KEYS.warehouse}:warehouse`, `${KEYS.finance}:finance`, `${KEYS.acme}:supplier:ACME`].join(',');
const SKUS = [
  { sku: 'BOLT-M8', unitPrice: '1.25' },
  { sku: 'NUT-M8', unitPrice: '0.40' },
  { sku: 'WASHER-M8', unitPrice: '0.15' },
  { sku: 'SCREW-M6', unitPrice: '2.10' },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

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
      // a worker killed mid-pass holds its subscription's lease until it runs out (about a minute).
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

    const latencies = tally.commands.map((command) => command.latencyMs).sort((a, b) => a - b);
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    const max = latencies[latencies.length - 1] ?? 0;
    const maxStall = Math.max(0, ...tally.commands.map((command) => command.inFlightStallMs));
    const retried = tally.commands.filter((command) => command.attempts > 1);
    const serverErrors = tally.serverErrorCount();
    const duplicateCount = duplicates.reduce((total, duplicate) => total + duplicate.extra, 0);
    const [webhook, stream] = delivery.sinks as [SinkReport, SinkReport];
    // At least once to a webhook: a copy accepted again is fine when a worker was killed between
    // the first copy and the last (the pass delivered and died before committing its cursor).
    const redeliveries = webhook.duplicates.filter((id) => {
      const times = acceptedAt.get(id) ?? [];
      return killedAt.some((at) => at >= times[0]! - 1_000 && at <= times[times.length - 1]!);
    });
    const strayDuplicates = webhook.duplicates.filter((id) => !redeliveries.includes(id));
    const webhookRequests = stack.subscriber.requests;
    const webhookAccepted = stack.subscriber.accepted.length;
    const streamCount = delivery.expected - stream.missing.length + stream.duplicates.length;
    const sinkDetail = (sink: SinkReport, received: number) =>
      `${delivery.expected - sink.missing.length}/${delivery.expected} events (${received} received), ${sink.missing.length} missing, ${sink.unexpected.length} unexpected, ${sink.outOfOrderPos.length} POs out of order${sink.missing.length > 0 ? ` e.g. ${sink.missing.slice(0, 3).join(', ')}` : ''}${sink.outOfOrderPos.length > 0 ? ` (${sink.outOfOrderPos.slice(0, 3).join(', ')})` : ''}`;

    const checks: Check[] = [
      { name: 'every PO closed', ok: closed.size === options.pos, detail: `${closed.size}/${options.pos} closed (${started} started)` },
      {
        name: 'every workflow completed',
        ok: (temporal.byStatus.COMPLETED ?? 0) === closed.size && Object.keys(temporal.byStatus).every((status) => status === 'COMPLETED' || closed.size < options.pos),
        detail: JSON.stringify(temporal.byStatus),
      },
      {
        name: 'no duplicates',
        ok: duplicateCount === 0,
        detail: duplicateCount === 0 ? 'none' : duplicates.filter((duplicate) => duplicate.extra > 0).map((d) => `${d.kind} +${d.extra} (${d.examples.join(', ')})`).join('; '),
      },
      ...ledger,
      {
        name: 'no non-determinism',
        ok: temporal.nonDeterminism === 0 && loggedNonDeterminism.lines.length === 0,
        detail: `${temporal.nonDeterminism} in histories, ${loggedNonDeterminism.lines.length} in worker logs (besides ${loggedNonDeterminism.localActivityRaces} local-activity result(s) dropped for an evicted run, which fail nothing)${[...temporal.examples, ...loggedNonDeterminism.lines.slice(0, 3)].map((line) => `\n      ${line.slice(0, 300)}`).join('')}`,
      },
      { name: 'no 5xx other than 503', ok: serverErrors === 0, detail: serverErrors === 0 ? 'none' : `${serverErrors}:${tally.serverErrors.slice(0, 5).map((line) => `\n      ${line}`).join('')}` },
      {
        name: 'every command got its expected answer',
        ok: tally.unexpected.length === 0,
        detail: tally.unexpected.length === 0 ? `${tally.commands.length} commands` : `${tally.unexpected.length}:${tally.unexpected.slice(0, 5).map((line) => `\n      ${line}`).join('')}`,
      },
      { name: 'event delivery went idle', ok: idleAfterMs >= 0, detail: idleAfterMs >= 0 ? `after ${seconds(idleAfterMs)}` : 'still busy after 10 min' },
      { name: 'every event reached the webhook subscriber', ok: delivery.expected > 0 && webhook.missing.length === 0 && webhook.unexpected.length === 0, detail: sinkDetail(webhook, webhookAccepted) },
      { name: WEBHOOK_ORDER_CHECK, ok: webhook.outOfOrderPos.length === 0, detail: `${webhook.outOfOrderPos.length} POs out of order${webhook.outOfOrderPos.length > 0 ? ` (${webhook.outOfOrderPos.slice(0, 5).join(', ')})` : ''}` },
      {
        name: 'webhook copies beyond the first are redeliveries after a worker kill',
        ok: strayDuplicates.length === 0,
        detail: `${redeliveries.length} redelivered after a kill, ${strayDuplicates.length} otherwise${strayDuplicates.length > 0 ? ` (${strayDuplicates.slice(0, 3).join(', ')})` : ''}`,
      },
      {
        name: `every event in stream ${STREAM} exactly once`,
        ok: stream.missing.length === 0 && stream.unexpected.length === 0 && stream.duplicates.length === 0,
        detail: `${sinkDetail(stream, streamCount)}, ${stream.duplicates.length} duplicates`,
      },
      { name: STREAM_ORDER_CHECK, ok: stream.outOfOrderPos.length === 0, detail: `${stream.outOfOrderPos.length} POs out of order${stream.outOfOrderPos.length > 0 ? ` (${stream.outOfOrderPos.slice(0, 5).join(', ')})` : ''}` },
      { name: 'every webhook request signed with EVENT_SIGNING_SECRET', ok: badSignatures === 0, detail: `${badSignatures} of ${webhookRequests.length} not` },
      { name: 'no dead letters', ok: deadLetters === 0, detail: String(deadLetters) },
      ...(options.maxInFlightStallMs !== undefined
        ? [{ name: `no command stalled > ${seconds(options.maxInFlightStallMs)} by an in-flight claim`, ok: maxStall <= options.maxInFlightStallMs, detail: `longest ${seconds(maxStall)}` }]
        : []),
      ...(options.maxP99Ms !== undefined ? [{ name: `command p99 ≤ ${seconds(options.maxP99Ms)}`, ok: p99 <= options.maxP99Ms, detail: `p99 ${seconds(p99)}` }] : []),
    ];

    const statuses = Object.fromEntries([...tally.statuses.entries()].sort());
    const lines = [
      '',
      `Chaos run, seed ${options.seed}: ${options.pos} POs (${options.concurrency} at a time), ${options.workers} workers, ${options.apis} APIs`,
      `Faults injected: ${Object.entries(injected).map(([kind, n]) => `${kind} ×${n}`).join(', ')}${faultsAfterLoad > 0 ? ` (${faultsAfterLoad} after the last PO closed)` : ''}`,
      `POs: ${started} started, ${closed.size} closed`,
      `Workflows by status: ${Object.entries(temporal.byStatus).map(([status, n]) => `${status} ${n}`).join(', ') || 'none'}`,
      `Workflow tasks: ${temporal.workflowTaskTimeouts} timed out ${JSON.stringify(temporal.workflowTaskTimeoutsByType)}, failed by cause ${JSON.stringify(temporal.workflowTaskFailures)}`,
      `Duplicates: ${duplicates.map((duplicate) => `${duplicate.kind} ${duplicate.extra}`).join(', ')}`,
      `Events: ${delivery.expected} in the outbox; webhook ${webhookRequests.length} requests (${webhookRequests.filter((r) => r.status === 500).length} answered 500 while down), ${webhookAccepted} accepted, ${webhook.duplicates.length} ids accepted twice or more; stream ${streamCount} messages, ${stream.duplicates.length} duplicates; ${deadLetters} dead letters; idle ${idleAfterMs >= 0 ? `${seconds(idleAfterMs)} after the checks began` : 'never'}`,
      `HTTP answers: ${Object.entries(statuses).map(([key, n]) => `${key} ×${n}`).join(', ')}`,
      `Commands (end to end, retries included; n=${latencies.length}, ${retried.length} retried): p50 ${seconds(p50)}, p99 ${seconds(p99)}, max ${seconds(max)}; longest in-flight-claim stall ${seconds(maxStall)}`,
      `Slowest: ${[...tally.commands].sort((a, b) => b.latencyMs - a.latencyMs).slice(0, 5).map((c) => `${c.name} ${c.poNumber} at ${seconds(c.startedAt - loadStartedAt)} took ${seconds(c.latencyMs)} (${c.attempts} attempts)`).join('; ')}`,
      '',
      ...checks.map((check) => `  ${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`),
    ];
    const ok = checks.every((check) => check.ok);
    report = {
      checks,
      ok,
      text: lines.join('\n'),
      runDir,
      figures: {
        posStarted: started,
        posClosed: closed.size,
        faults: injected,
        commands: latencies.length,
        p50Ms: p50,
        p99Ms: p99,
        maxMs: max,
        maxInFlightStallMs: maxStall,
        workflowsByStatus: temporal.byStatus,
        workflowTaskTimeouts: temporal.workflowTaskTimeouts,
        duplicates: Object.fromEntries(duplicates.map((duplicate) => [duplicate.kind, duplicate.extra])),
        statuses,
        events: {
          expected: delivery.expected,
          webhookRequests: webhookRequests.length,
          webhook500s: webhookRequests.filter((r) => r.status === 500).length,
          webhookAccepted,
          webhookDuplicates: webhook.duplicates.length,
          streamMessages: streamCount,
          streamDuplicates: stream.duplicates.length,
          deadLetters,
          idleAfterMs,
        },
      },
    };
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
