/**
 * One trace per command, end to end: the API's HTTP span, the Update sent by the Temporal client,
 * the workflow task that handles it, the activity it schedules and that activity's SQL share one
 * trace id, each span's parent in the same trace. The spans go to an in-memory exporter; the
 * worker, the workflow, Temporal and PostgreSQL are real.
 */
// First: the instrumentations must patch http, express and pg before anything loads them.
import { finishedSpans, tracing } from '../helpers/in-memory-tracing';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import winston from 'winston';
import { createLogger, installTemporalRuntime } from '../../temporal-config/logging';
import { UNTRACED_SINKS } from '../../temporal-config/tracing';
import { workflowBundleOptions } from '../../temporal-config/workflow-bundle';
import { startWorker } from '../../workers/main';
import type { RunningWorker } from '../../workers/main';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';
import { problemShape, stackConfig, startApi } from './api-harness';
import type { ApiUnderTest } from './api-harness';

const logLines: Record<string, unknown>[] = [];
const quiet = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined };

/** Every finished span, one per line, for a failure message. */
function spanDump(): string {
  return finishedSpans()
    .map((span) => `${traceOf(span).slice(0, 8)} ${idOf(span)} ← ${span.parentSpanContext?.spanId ?? '(root)'} ${span.name} ${JSON.stringify(span.attributes)}`)
    .join('\n');
}

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; spans so far:\n${spanDump()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

/** The chain from `span` up to its root, each step through the parent recorded on the span. */
function ancestry(span: ReadableSpan, spans: ReadableSpan[]): ReadableSpan[] {
  const chain = [span];
  for (let parentId = span.parentSpanContext?.spanId; parentId; ) {
    const parent = spans.find((candidate) => idOf(candidate) === parentId);
    assert.ok(parent, `span "${chain.at(-1)!.name}" has parent ${parentId}, which is not in the trace`);
    chain.push(parent);
    parentId = parent.parentSpanContext?.spanId;
  }
  return chain;
}

const isSql = (span: ReadableSpan) => (span.attributes['db.system.name'] ?? span.attributes['db.system']) === 'postgresql';

/**
 * The trace of the successful request to `route`: its HTTP server span is the only root, every
 * other span hangs under it, and a SQL statement run by an activity leads back to it through the
 * activity, its scheduling in the workflow and the client's Update call.
 */
async function commandTrace(route: string, clientSpan: string): Promise<{ traceId: string; names: string[] }> {
  const server = await eventually(`the HTTP span of ${route}`, () =>
    finishedSpans().find(
      (span) => span.kind === SpanKind.SERVER && span.attributes['http.route'] === route && Number(span.attributes['http.response.status_code']) < 400,
    ),
  );
  const traceId = traceOf(server);
  // Workflow spans leave the sandbox after their activation; wait until the activity's SQL connects.
  const { spans, sql } = await eventually(`SQL under an activity of ${route}, connected to the request`, () => {
    const inTrace = finishedSpans().filter((span) => traceOf(span) === traceId);
    const connected = (span: ReadableSpan) => {
      try {
        return ancestry(span, inTrace);
      } catch {
        return undefined;
      }
    };
    const found = inTrace.find((span) => isSql(span) && connected(span)?.some((s) => s.name.startsWith('RunActivity:')));
    return found ? { spans: inTrace, sql: found } : undefined;
  });
  assert.deepEqual(spans.filter((span) => !span.parentSpanContext).map((span) => span.name), [server.name], 'one root: the HTTP request');
  for (const span of spans) ancestry(span, spans);

  const path = ancestry(sql, spans).map((span) => span.name);
  const position = (prefix: string) => path.findIndex((name) => name.startsWith(prefix));
  const steps = ['RunActivity:', 'StartActivity:', clientSpan];
  for (const step of steps) assert.ok(position(step) > 0, `"${step}" is on the path from the SQL to the request: ${path.join(' ← ')}`);
  assert.deepEqual(steps.map(position), [...steps.map(position)].sort((a, b) => a - b), `SQL ← activity ← scheduling ← client: ${path.join(' ← ')}`);
  assert.equal(path.at(-1), server.name);
  return { traceId, names: spans.map((span) => span.name) };
}

describe('tracing a command from the HTTP request to its SQL', { timeout: 240_000 }, () => {
  let database: TestDatabase;
  let worker: RunningWorker;
  let api: ApiUnderTest;

  before(async () => {
    const address = await testTemporalAddress();
    const namespace = await createTestNamespace(address, 'p2p-tracing');
    database = await createTestDatabase();
    const config = stackConfig(database, address, namespace, { LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    // The worker's log lines as production writes them (temporal-config/logging.ts), captured.
    const logger = createLogger(config, { service: 'worker' });
    logger.clear().add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer, _encoding, callback) {
            logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
            callback();
          },
        }),
      }),
    );
    installTemporalRuntime(logger);
    worker = await startWorker(config, { knex: database.knex, logger, tracing });
    const client = new Client({ connection: await Connection.connect({ address }), namespace, interceptors: tracing.clientInterceptors });
    api = await startApi({ client, database, env: { TEMPORAL_NAMESPACE: namespace } });
    // Paid as soon as an invoice matches (net 0), so the PO closes within the test.
    const supplier = await api.request('PUT', '/v1/suppliers/ACME', {
      key: 'procurement',
      body: { name: 'Acme Industrial', currency: 'USD', paymentTerms: { netDays: 0 } },
    });
    assert.equal(supplier.status, 200, supplier.text);
  });

  after(async () => {
    await api?.close();
    await api?.client.connection.close();
    await worker?.shutdown();
    await tracing.shutdown();
    await database?.drop();
  });

  it('follows PO-TRACE-1 from issue to close, each command in one connected trace, into the log lines and problems', async () => {
    const send = async (path: string, key: 'procurement' | 'acme' | 'warehouse' | 'finance', body: unknown, expected: number) => {
      const response = await api.request('POST', path, { key, body });
      assert.equal(response.status, expected, `${path}: ${response.text}`);
      return response;
    };
    const po = '/v1/purchase-orders/PO-TRACE-1';
    await send('/v1/purchase-orders', 'procurement', { poNumber: 'PO-TRACE-1', supplierId: 'ACME', currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT-M8', quantity: '10', unitPrice: '1.25' }] }, 201);
    await send(`${po}/acknowledgement`, 'acme', { type: 'accept' }, 200);
    // A refused command's problem+json names its trace, so a support ticket leads to it.
    const overShipped = await send(`${po}/asns`, 'acme', { asnNumber: 'ASN-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: '11' }] }, 422);
    problemShape(overShipped);
    const refused = await eventually('the refused request span', () =>
      finishedSpans().find((span) => span.kind === SpanKind.SERVER && Number(span.attributes['http.response.status_code']) === 422),
    );
    assert.equal(overShipped.body.traceId, traceOf(refused));
    await send(`${po}/asns`, 'acme', { asnNumber: 'ASN-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: '10' }] }, 201);
    await send(`${po}/receipts`, 'warehouse', { receiptNumber: 'GR-1', lines: [{ lineNo: 1, quantityReceived: '10' }] }, 201);
    await send(`${po}/invoices`, 'acme', { invoiceNumber: 'INV-T1', invoiceDate: '2026-11-27', currency: 'USD', total: '12.50', lines: [{ lineNo: 1, quantity: '10', unitPrice: '1.25' }] }, 201);
    const cleared = await send(`${po}/invoices/INV-T1/payment-status`, 'finance', { status: 'cleared', reference: 'BANK-1' }, 200);
    assert.equal(cleared.body.status, 'closed');

    const traces = new Map<string, { traceId: string; names: string[] }>();
    for (const [route, clientSpan] of [
      ['/v1/purchase-orders/:poNumber/acknowledgement', 'StartWorkflowUpdate:acknowledge'],
      ['/v1/purchase-orders/:poNumber/asns', 'StartWorkflowUpdate:submitAsn'],
      ['/v1/purchase-orders/:poNumber/receipts', 'StartWorkflowUpdate:postReceipt'],
      ['/v1/purchase-orders/:poNumber/invoices', 'StartWorkflowUpdate:submitInvoice'],
      ['/v1/purchase-orders/:poNumber/invoices/:invoiceNumber/payment-status', 'StartWorkflowUpdate:reportPaymentStatus'],
      // The PO's own work (its first record) runs in the workflow's main loop, under the span of
      // the run, which is exported when the PO closes: the issuing trace is complete only now.
      ['/v1/purchase-orders', 'UpdateWithStartWorkflow:confirmIssued'],
    ] as const) {
      traces.set(route, await commandTrace(route, clientSpan));
    }
    assert.equal(new Set([...traces.values()].map((trace) => trace.traceId)).size, traces.size, 'each command is a trace of its own');
    const ack = traces.get('/v1/purchase-orders/:poNumber/acknowledgement')!;
    for (const name of ['ValidateUpdate:acknowledge', 'HandleUpdate:acknowledge']) assert.ok(ack.names.includes(name), `${name} in the acknowledgement's trace`);
    assert.ok(traces.get('/v1/purchase-orders')!.names.includes('RunWorkflow:purchaseOrderWorkflow'));

    // The request log line and the activities' log lines carry the command's trace id.
    const requestLine = api.logLines.find((line) => line.message === 'request' && line.route === '/v1/purchase-orders/:poNumber/acknowledgement');
    assert.equal(requestLine?.traceId, ack.traceId);
    const activityLines = logLines.filter((line) => line.activityType !== undefined && line.workflowId === 'purchase-order:PO-TRACE-1');
    assert.ok(activityLines.length > 0, 'the activities logged');
    for (const line of activityLines) assert.match(String(line.traceId), /^[0-9a-f]{32}$/, `"${String(line.message)}" carries a trace id`);
    const commandTraceIds = new Set([...traces.values()].map((trace) => trace.traceId));
    for (const line of activityLines) assert.ok(commandTraceIds.has(String(line.traceId)), `"${String(line.message)}" names one of the commands' traces`);
  });

  it('replays the traced PO-TRACE-1 history with the workflow bundle as recorded (tracing interceptors loaded from its headers)', async () => {
    const history = await api.client.workflow.getHandle('purchase-order:PO-TRACE-1').fetchHistory();
    assert.ok(
      history.events?.some((event) => event.workflowExecutionStartedEventAttributes?.header?.fields?.['_tracer-data']),
      'the start carries the trace context',
    );
    // Bundled as scripts/build-workflow-bundle.ts does (test/helpers/harness.ts would install a second Runtime).
    const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quiet });
    await Worker.runReplayHistory({ workflowBundle: bundle, sinks: UNTRACED_SINKS }, history, 'purchase-order:PO-TRACE-1');
  });

  it('leaves health probes untraced', async () => {
    assert.equal((await api.request('GET', '/healthz')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!finishedSpans().some((span) => String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? '').startsWith('/healthz')));
  });
});
