/**
 * What a chaos run reports (docs/operations.md, "Fault injection"): the checks, each PASS or FAIL
 * with its detail, the printed summary and the figures, built from what the run observed.
 */
import type { RecordingSubscriber, DeliveryCheck, SinkReport } from '../../test/helpers/event-sinks';
import type { ChaosOptions } from './chaos';
import type { Check, Duplicate, TemporalFigures } from './checks';
import { quantile, type Tally } from './client';

/** The stream the NATS sink publishes to (docs/events.md). */
export const STREAM = 'P2P_EVENTS';

/**
 * Per-PO order at the stream and at the webhook, checked apart from completeness so that a report
 * says which one broke. (Both broke once together: the outbox reader sorted transaction ids as
 * text, docs/adr/0040.)
 */
export const STREAM_ORDER_CHECK = `stream ${STREAM} in order per PO`;
export const WEBHOOK_ORDER_CHECK = 'webhook subscriber in order per PO';

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

export type FaultKind = 'worker SIGKILL' | 'Temporal restart' | 'API restart' | 'DB connection drop' | 'NATS restart';

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** What a run saw, from the client, Temporal, the database, the worker logs and the subscriber. */
export interface RunObservations {
  options: Pick<ChaosOptions, 'pos' | 'seed' | 'concurrency' | 'workers' | 'apis' | 'maxInFlightStallMs' | 'maxP99Ms'>;
  runDir: string;
  started: number;
  closed: number;
  injected: Record<FaultKind, number>;
  faultsAfterLoad: number;
  loadStartedAt: number;
  tally: Tally;
  temporal: TemporalFigures;
  loggedNonDeterminism: { lines: string[]; localActivityRaces: number };
  duplicates: Duplicate[];
  ledger: Check[];
  delivery: DeliveryCheck;
  deadLetters: number;
  /** How long event delivery took to go idle once the checks began; -1: it never did. */
  idleAfterMs: number;
  /** When the webhook subscriber accepted each copy of an event, by id. */
  acceptedAt: ReadonlyMap<string, number[]>;
  /** When each worker was killed. */
  killedAt: readonly number[];
  badSignatures: number;
  subscriber: Pick<RecordingSubscriber, 'requests' | 'accepted'>;
}

export function chaosReport(run: RunObservations): ChaosReport {
  const { options, runDir, started, closed, injected, faultsAfterLoad, loadStartedAt, tally, temporal, loggedNonDeterminism, duplicates, ledger, delivery, deadLetters, idleAfterMs, acceptedAt, killedAt, badSignatures } = run;
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
  const webhookRequests = run.subscriber.requests;
  const webhookAccepted = run.subscriber.accepted.length;
  const webhook500s = webhookRequests.filter((request) => request.status === 500).length;
  const streamCount = delivery.expected - stream.missing.length + stream.duplicates.length;
  const sinkDetail = (sink: SinkReport, received: number) =>
    `${delivery.expected - sink.missing.length}/${delivery.expected} events (${received} received), ${sink.missing.length} missing, ${sink.unexpected.length} unexpected, ${sink.outOfOrderPos.length} POs out of order${sink.missing.length > 0 ? ` e.g. ${sink.missing.slice(0, 3).join(', ')}` : ''}${sink.outOfOrderPos.length > 0 ? ` (${sink.outOfOrderPos.slice(0, 3).join(', ')})` : ''}`;

  const checks: Check[] = [
    { name: 'every PO closed', ok: closed === options.pos, detail: `${closed}/${options.pos} closed (${started} started)` },
    {
      name: 'every workflow completed',
      ok: (temporal.byStatus.COMPLETED ?? 0) === closed && Object.keys(temporal.byStatus).every((status) => status === 'COMPLETED' || closed < options.pos),
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
    `POs: ${started} started, ${closed} closed`,
    `Workflows by status: ${Object.entries(temporal.byStatus).map(([status, n]) => `${status} ${n}`).join(', ') || 'none'}`,
    `Workflow tasks: ${temporal.workflowTaskTimeouts} timed out ${JSON.stringify(temporal.workflowTaskTimeoutsByType)}, failed by cause ${JSON.stringify(temporal.workflowTaskFailures)}`,
    `Duplicates: ${duplicates.map((duplicate) => `${duplicate.kind} ${duplicate.extra}`).join(', ')}`,
    `Events: ${delivery.expected} in the outbox; webhook ${webhookRequests.length} requests (${webhook500s} answered 500 while down), ${webhookAccepted} accepted, ${webhook.duplicates.length} ids accepted twice or more; stream ${streamCount} messages, ${stream.duplicates.length} duplicates; ${deadLetters} dead letters; idle ${idleAfterMs >= 0 ? `${seconds(idleAfterMs)} after the checks began` : 'never'}`,
    `HTTP answers: ${Object.entries(statuses).map(([key, n]) => `${key} ×${n}`).join(', ')}`,
    `Commands (end to end, retries included; n=${latencies.length}, ${retried.length} retried): p50 ${seconds(p50)}, p99 ${seconds(p99)}, max ${seconds(max)}; longest in-flight-claim stall ${seconds(maxStall)}`,
    `Slowest: ${[...tally.commands].sort((a, b) => b.latencyMs - a.latencyMs).slice(0, 5).map((c) => `${c.name} ${c.poNumber} at ${seconds(c.startedAt - loadStartedAt)} took ${seconds(c.latencyMs)} (${c.attempts} attempts)`).join('; ')}`,
    '',
    ...checks.map((check) => `  ${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`),
  ];
  const ok = checks.every((check) => check.ok);
  return {
    checks,
    ok,
    text: lines.join('\n'),
    runDir,
    figures: {
      posStarted: started,
      posClosed: closed,
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
        webhook500s,
        webhookAccepted,
        webhookDuplicates: webhook.duplicates.length,
        streamMessages: streamCount,
        streamDuplicates: stream.duplicates.length,
        deadLetters,
        idleAfterMs,
      },
    },
  };
}
