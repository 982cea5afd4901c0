/**
 * The stack the lifecycle and memory benchmarks drive: one Temporal namespace, one migrated ERP
 * database (with the raw baseline's table), a Temporal client, the API (createApp, in-process,
 * over real HTTP) and the drivers for a PO over HTTP and for the raw baseline workflow.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import winston from 'winston';
import type { Knex } from 'knex';
import { createApp } from '../api/app';
import { actorForKey } from '../api/auth';
import { hashBody } from '../api/canonical';
import { documentUpdateId } from '../api/routes/documents';
import { commandOf, invoiceUpdateName, issueOperation, keyedUpdateId } from '../api/routes/purchase-orders';
import { normaliseDocumentNumber } from '../workflows/domain/lookups';
import { Acknowledgement, AdvanceShipNotice, CreatePurchaseOrder, GoodsReceipt, Invoice, PaymentStatusReport } from '../workflows/domain/schemas';
import { acknowledge, confirmIssued, postReceipt, reportPaymentStatus, submitAsn, submitInvoice, workflowId, type CommandAck } from '../workflows/purchase-order/definitions';
import { createKnex } from '../activities/erp/database';
import { loadConfig, type AppConfig } from '../temporal-config/env';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database';
import { createTestNamespace } from '../test/helpers/temporal';
import { createRawTable } from './raw/activities';
import { rawStartOperation } from './raw/start';
import { step } from './raw/workflows';
import type { TemporalServer } from './services';
import { timeOnce } from './measure';

export const RAW_TASK_QUEUE = 'bench-raw';
export const SUPPLIER_ID = 'BENCH';
const KEYS = { procurement: 'bench-proc-key-01234', supplier: 'bench-supp-key-01234', warehouse: 'bench-wh-key-012345', finance: 'bench-fin-key-012345' };

/**
 * Worker and activity logs only when something is wrong: a log line per activity written to the
 * terminal would be measured too, on the project's side only. (test/helpers/harness.ts installs
 * the same when the e2e section ran first; the Runtime is installed once per process.)
 */
export function quietTemporalRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    });
  } catch {
    // Already installed by an earlier section.
  }
}

/** Sizes come from the environment so a run can be made longer or shorter (bench/README.md). */
export function sizeFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export interface BenchStack {
  config: AppConfig;
  /** The environment the config was loaded from: for the API and worker processes of the `lifecycle` benchmark. */
  env: Record<string, string>;
  database: TestDatabase;
  namespace: string;
  client: Client;
  apiUrl: string;
  /**
   * A connection pool of its own (DATABASE_POOL_MAX connections), as a worker process has in
   * production: the API, the project's worker and the raw worker each get one, so no side waits
   * for a connection another tier holds.
   */
  newPool(): Knex;
  close(): Promise<void>;
}

export async function startStack(temporal: TemporalServer): Promise<BenchStack> {
  quietTemporalRuntime();
  // On a shared server a namespace of our own keeps our workflows away from any test's.
  const namespace = temporal.shared ? await createTestNamespace(temporal.address, 'p2p-bench') : 'default';
  const database = await createTestDatabase();
  await createRawTable(database.knex);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: namespace,
    API_KEYS: `${KEYS.procurement}:procurement,${KEYS.supplier}:supplier:${SUPPLIER_ID},${KEYS.warehouse}:warehouse,${KEYS.finance}:finance`,
    // The benchmark is one caller sending many requests: no rate limit in its way.
    API_RATE_LIMIT_MAX: '1000000',
    LOG_LEVEL: 'error',
  };
  const config = loadConfig(env);
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }), namespace });
  const pools: Knex[] = [];
  const newPool = () => {
    const knex = createKnex(database.url, config.database.poolMax);
    pools.push(knex);
    return knex;
  };
  const app = createApp({ config, client, knex: newPool(), logger: winston.createLogger({ silent: true }) });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const supplier = await fetch(`${apiUrl}/v1/suppliers/${SUPPLIER_ID}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${KEYS.procurement}`, 'content-type': 'application/json' },
    // Net 0: the invoice is paid as soon as it matches, so a PO closes within its six commands.
    body: JSON.stringify({ name: 'Bench Fasteners Ltd', currency: 'USD', paymentTerms: { netDays: 0 } }),
  });
  if (!supplier.ok) throw new Error(`Registering the bench supplier failed: ${supplier.status} ${await supplier.text()}`);
  return {
    config,
    env,
    database,
    namespace,
    client,
    apiUrl,
    newPool,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.connection.close();
      await Promise.all(pools.map((knex) => knex.destroy()));
      await database.drop();
    },
  };
}

/** What the drivers waited, every call and per step (the n-th command of a PO, the n-th Update of a raw workflow). */
export class Latencies {
  readonly all: number[] = [];
  readonly byStep: number[][] = [];

  add(step: number, ms: number): void {
    this.all.push(ms);
    (this.byStep[step] ??= []).push(ms);
  }
}

/** The six commands of a happy 2-line PO over HTTP, as MEASUREMENTS.md drives them. */
export function poCommands(poNumber: string) {
  const po = `/v1/purchase-orders/${poNumber}`;
  const lines = [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }, { lineNo: 2, sku: 'GADGET-2', quantity: '5', unitPrice: '4.25' }];
  return [
    { path: '/v1/purchase-orders', key: KEYS.procurement, status: 201, body: { poNumber, supplierId: SUPPLIER_ID, currency: 'USD', lines } },
    { path: `${po}/acknowledgement`, key: KEYS.supplier, status: 200, body: { type: 'accept' } },
    { path: `${po}/asns`, key: KEYS.supplier, status: 201, body: { asnNumber: 'ASN-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: '10' }, { lineNo: 2, quantity: '5' }] } },
    { path: `${po}/receipts`, key: KEYS.warehouse, status: 201, body: { receiptNumber: 'GR-1', lines: [{ lineNo: 1, quantityReceived: '10' }, { lineNo: 2, quantityReceived: '5' }] } },
    {
      path: `${po}/invoices`,
      key: KEYS.supplier,
      status: 201,
      body: { invoiceNumber: `INV-${poNumber}`, invoiceDate: '2026-11-27', currency: 'USD', total: '121.25', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }, { lineNo: 2, quantity: '5', unitPrice: '4.25' }] },
    },
    { path: `${po}/invoices/INV-${poNumber}/payment-status`, key: KEYS.finance, status: 200, body: { status: 'cleared', reference: `BANK-${poNumber}` } },
  ];
}

/**
 * Runs the first `commands` commands of a PO over HTTP as a careful integrator does: each with an
 * Idempotency-Key, sent again on a 5xx (a busy machine makes some). The time recorded for a
 * command includes its retries: what the caller waited.
 */
export async function drivePurchaseOrder(apiUrl: string, poNumber: string, latencies: Latencies, commands = 6): Promise<void> {
  for (const [index, command] of poCommands(poNumber).slice(0, commands).entries()) {
    let status = 0;
    let attempts = 0;
    latencies.add(
      index,
      await timeOnce(async () => {
        do {
          if (attempts++ > 0) await new Promise((resolve) => setTimeout(resolve, 500));
          const response = await fetch(`${apiUrl}${command.path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${command.key}`, 'content-type': 'application/json', 'idempotency-key': `${poNumber}-${index}` },
            body: JSON.stringify(command.body),
          });
          await response.arrayBuffer();
          status = response.status;
        } while (status >= 500 && attempts < 10);
      }),
    );
    if (status !== command.status) throw new Error(`${command.path} answered ${status} after ${attempts} attempt(s), expected ${command.status}`);
  }
}

/**
 * The baseline: the same number of Updates with the same bodies, the first sent with the workflow's
 * start (update-with-start), as the API's create starts a PO with its first Update
 * (`confirmIssued`). So each side makes six calls, and each side's first timed call includes the
 * start of its workflow.
 */
export async function driveRawWorkflow(client: Client, workflowId: string, latencies: Latencies, updates = 6, taskQueue = RAW_TASK_QUEUE): Promise<void> {
  const bodies = poCommands(workflowId).map((command) => command.body);
  const startWorkflowOperation = rawStartOperation(workflowId, taskQueue);
  // The workflow waits for all six; sent fewer, it stays open (the memory benchmark wants that).
  const [first, ...rest] = bodies.slice(0, Math.max(1, updates));
  latencies.add(0, await timeOnce(() => client.workflow.executeUpdateWithStart(step, { args: [{ name: workflowId, payload: first! }], startWorkflowOperation })));
  const handle = await startWorkflowOperation.workflowHandle();
  for (const [index, body] of rest.entries()) {
    latencies.add(index + 1, await timeOnce(() => handle.executeUpdate(step, { args: [{ name: workflowId, payload: body }] })));
  }
}

/**
 * The same six commands as `drivePurchaseOrder`, sent as the API sends them to the PO workflow
 * (the same start, Update arguments and Update ids, accepted then awaited as the gateway does)
 * but without the HTTP tier: no Express, key check, rate limit, Idempotency-Key claim or ERP read
 * of the PO after each command. What this side costs against the HTTP side is what the HTTP tier
 * costs; against the raw side, what the PO workflow and its ERP records cost.
 */
export async function drivePurchaseOrderUpdates(client: Client, poNumber: string, latencies: Latencies, workflowTaskTimeoutMs?: number): Promise<void> {
  const actor = (role: keyof typeof KEYS) => actorForKey({ key: KEYS[role], role, ...(role === 'supplier' ? { supplierId: SUPPLIER_ID } : {}) });
  const [create, acknowledgement, asn, receipt, invoice, paymentStatus] = poCommands(poNumber).map((command) => command.body);
  const po = CreatePurchaseOrder.parse(create);
  const requestHash = hashBody(po);
  const startWorkflowOperation = issueOperation({ kind: 'new', po, requestHash, actor: actor('procurement'), issuedAt: new Date().toISOString() }, workflowTaskTimeoutMs);
  latencies.add(0, await timeOnce(() => client.workflow.executeUpdateWithStart(confirmIssued, { args: [{ requestHash }], startWorkflowOperation })));
  const handle = client.workflow.getHandle(workflowId(poNumber));
  const send = async <Arg>(step: number, update: UpdateDefinition<CommandAck, [Arg]>, arg: Arg, updateId: string) => {
    latencies.add(step, await timeOnce(async () => (await handle.startUpdate(update, { args: [arg], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED })).result()));
  };
  const ack = commandOf(actor('supplier'), Acknowledgement, acknowledgement);
  await send(1, acknowledge, ack, keyedUpdateId(acknowledge.name, ack.bodyHash, `${poNumber}-1`));
  const shipped = commandOf(actor('supplier'), AdvanceShipNotice, asn);
  await send(2, submitAsn, shipped, documentUpdateId(submitAsn.name, shipped.body.asnNumber, shipped.bodyHash));
  const received = commandOf(actor('warehouse'), GoodsReceipt, receipt);
  await send(3, postReceipt, received, documentUpdateId(postReceipt.name, received.body.receiptNumber, received.bodyHash));
  const invoiced = commandOf(actor('supplier'), Invoice, invoice);
  const invoiceNumber = normaliseDocumentNumber(invoiced.body.invoiceNumber);
  await send(4, submitInvoice, invoiced, documentUpdateId(submitInvoice.name, invoiceNumber, invoiced.bodyHash));
  const cleared = commandOf(actor('finance'), PaymentStatusReport, paymentStatus);
  await send(5, reportPaymentStatus, { ...cleared, invoiceNumber: invoiced.body.invoiceNumber }, keyedUpdateId(invoiceUpdateName(reportPaymentStatus.name, invoiced.body.invoiceNumber), cleared.bodyHash, `${poNumber}-5`));
}

/**
 * The raw baseline behind a thin HTTP tier (`raw/api-main.ts`): the same six Update bodies as
 * `driveRawWorkflow`, each one POST to one Express route that sends the Update and answers its
 * result. Against the raw side it says what HTTP alone costs raw Temporal.
 */
export async function driveRawWorkflowOverHttp(apiUrl: string, workflowId: string, latencies: Latencies): Promise<void> {
  for (const [index, command] of poCommands(workflowId).entries()) {
    latencies.add(
      index,
      await timeOnce(async () => {
        const response = await fetch(`${apiUrl}/raw/${encodeURIComponent(workflowId)}/steps/${index}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(command.body),
        });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`raw step ${index} of ${workflowId} answered ${response.status}`);
      }),
    );
  }
}

/** Runs `count` jobs with at most `concurrency` at a time. */
export async function pool(count: number, concurrency: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** A workflow's history: its number of events and its size as the server stores it (protobuf). */
export async function historySize(client: Client, workflowId: string): Promise<{ events: number; bytes: number }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return { events: history.events?.length ?? 0, bytes: proto.api.history.v1.History.encode(history).finish().length };
}
