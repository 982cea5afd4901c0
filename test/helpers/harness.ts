/**
 * A real stack for workflow tests: a Temporal test environment (time-skipping or dev server),
 * a fresh PostgreSQL database with the ERP schema, the real adapters and activities, and a worker
 * running the real workflow bundle. Nothing here is mocked.
 */
import { WorkflowUpdateStage, type Client, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { after, before } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, makeTelemetryFilterString, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Knex } from 'knex';
import winston from 'winston';
import { createActivities } from '../../activities';
import { incidentInterceptor } from '../../activities/incidents';
import { KnexIncidentRecorder } from '../../activities/erp/integration-incidents';
import type { Ports, ReadModelPort } from '../../activities/ports';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { createPorts } from '../../activities/wiring';
import { loadConfig } from '../../temporal-config/env';
import { workflowBundleOptions } from '../../temporal-config/workflow-bundle';
import { hashBody } from '../../api/canonical';
import { CreatePurchaseOrder, SupplierInput, type Acknowledgement, type AdvanceShipNotice, type CreditMemo, type GoodsReceipt, type Invoice, type InvoiceResolution, type PaymentStatusReport } from '../../workflows/domain/schemas';
import { Acknowledgement as AcknowledgementSchema, AdvanceShipNotice as AsnSchema, CreditMemo as CreditMemoSchema, GoodsReceipt as ReceiptSchema, Invoice as InvoiceSchema, InvoiceResolution as ResolutionSchema, PaymentStatusReport as PaymentStatusSchema } from '../../workflows/domain/schemas';
import { requireInvoice } from '../../workflows/domain/lookups';
import type { Actor, InvoiceOutcome, PoView } from '../../workflows/domain/state';
import * as definitions from '../../workflows/purchase-order/definitions';
import { createTestDatabase } from './database';
import { createTimeSkippingEnv } from './temporal';

// Worker and activity logs only when something is wrong (TEST_LOG_LEVEL=DEBUG to see them all).
const testLogLevel = (process.env.TEST_LOG_LEVEL as 'WARN' | undefined) ?? 'ERROR';
Runtime.install({
  logger: new DefaultLogger(testLogLevel),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: testLogLevel }), forward: {} } },
});

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundling takes seconds: once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger() });
  return bundle;
}

function quietLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}

export const actors = {
  procurement: { role: 'procurement', id: 'procurement#test' } satisfies Actor,
  warehouse: { role: 'warehouse', id: 'warehouse#test' } satisfies Actor,
  finance: { role: 'finance', id: 'finance#test' } satisfies Actor,
  supplier: (supplierId: string): Actor => ({ role: 'supplier', id: `supplier:${supplierId}`, supplierId }),
};

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  knex: Knex;
  ports: Ports;
  /** The ERP's read model (balances, suppliers), as the API reads it. */
  readModel: ReadModelPort;
  taskQueue: string;
  /** Runs `fn` while the harness's worker polls (it runs from creation until `close()`). */
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `adapters` swaps in another real adapter (e.g. the HTTP AP adapter against a local AP tool). */
export async function createHarness(
  env: TestWorkflowEnvironment,
  policy: Partial<ReturnType<typeof loadConfig>['policy']> = {},
  adapters: Partial<Ports> = {},
): Promise<Harness> {
  const database = await createTestDatabase();
  const config = loadConfig({ ...process.env, DATABASE_URL: database.url, NODE_ENV: 'test' });
  const logger = winston.createLogger({ silent: true });
  const ports: Ports = { ...createPorts({ config, knex: database.knex, logger }), ...adapters };
  const activities = createActivities(ports, { ...config.policy, ...policy });
  const taskQueue = definitions.TASK_QUEUE;
  // One worker for the whole file: POs of earlier tests keep their timers, and a time-skipping
  // server only skips time while no workflow task waits for a worker.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    interceptors: { activity: [incidentInterceptor(new KnexIncidentRecorder(database.knex))] },
  });
  const running = worker.run();
  return {
    env,
    client: env.client,
    knex: database.knex,
    ports,
    readModel: new KnexReadModel(database.knex),
    taskQueue,
    async withWorker(fn) {
      if (worker.getState() !== 'RUNNING') throw new Error(`The test worker is ${worker.getState()}`);
      return fn();
    },
    async close() {
      worker.shutdown();
      await running;
      await database.drop();
    },
  };
}

/** Drives one purchase order the way the API does: parsed bodies, body hashes, Updates. */
export class PurchaseOrderDriver {
  readonly handle: WorkflowHandle;
  constructor(
    harness: Harness,
    readonly poNumber: string,
    readonly supplierId: string,
  ) {
    this.handle = harness.client.workflow.getHandle(definitions.workflowId(poNumber));
  }

  static async supplier(harness: Harness, supplierId: string, input: Partial<SupplierInput> = {}): Promise<void> {
    await harness.readModel.upsertSupplier(supplierId, SupplierInput.parse({ name: `${supplierId} Ltd`, currency: 'USD', ...input }));
  }

  static async issue(harness: Harness, body: Record<string, unknown>, options?: definitions.WorkflowOptions): Promise<PurchaseOrderDriver> {
    const po = CreatePurchaseOrder.parse(body);
    const requestHash = hashBody(po);
    const handle = await harness.client.workflow.start(definitions.WORKFLOW_TYPE, {
      taskQueue: harness.taskQueue,
      workflowId: definitions.workflowId(po.poNumber),
      args: [{ kind: 'new', po, requestHash, actor: actors.procurement, issuedAt: new Date(await harness.env.currentTimeMs()).toISOString(), options } satisfies definitions.PurchaseOrderWorkflowInput],
      typedSearchAttributes: [
        { key: definitions.PO_NUMBER, value: po.poNumber },
        { key: definitions.SUPPLIER_ID, value: po.supplierId },
      ],
    });
    await handle.executeUpdate(definitions.confirmIssued, { args: [{ requestHash }] });
    return new PurchaseOrderDriver(harness, po.poNumber, po.supplierId);
  }

  state(): Promise<PoView> {
    return this.handle.query(definitions.status);
  }

  /**
   * Runs an Update as the API does (api/gateway.ts) and answers the PO as the command left it:
   * accepted first, then its result asked of the run that accepted it. (`executeUpdate` of SDK 1.24
   * asks the workflow's current run, which misses an Update completed by a run that has continued
   * as new since.)
   */
  async update<A>(update: UpdateDefinition<definitions.CommandAck, [A]>, arg: A): Promise<PoView> {
    const accepted = await this.handle.startUpdate(update, { args: [arg], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await accepted.result();
    return this.state();
  }

  private command<T>(schema: { parse(v: unknown): T }, body: unknown, actor: Actor) {
    const parsed = schema.parse(body);
    return { actor, body: parsed, bodyHash: hashBody(parsed) };
  }

  acknowledge(body: Partial<Acknowledgement> & { type: Acknowledgement['type'] }): Promise<PoView> {
    return this.update(definitions.acknowledge, this.command(AcknowledgementSchema, body, actors.supplier(this.supplierId)));
  }

  ship(body: Record<string, unknown>): Promise<PoView> {
    return this.update(definitions.submitAsn, this.command<AdvanceShipNotice>(AsnSchema, body, actors.supplier(this.supplierId)));
  }

  receive(body: Record<string, unknown>): Promise<PoView> {
    return this.update(definitions.postReceipt, this.command<GoodsReceipt>(ReceiptSchema, body, actors.warehouse));
  }

  async invoice(body: Record<string, unknown>): Promise<InvoiceOutcome> {
    const command = this.command<Invoice>(InvoiceSchema, body, actors.supplier(this.supplierId));
    const invoice = requireInvoice(await this.update(definitions.submitInvoice, command), command.body.invoiceNumber);
    return { invoiceNumber: invoice.invoiceNumber, status: invoice.status, match: invoice.match };
  }

  creditMemo(body: Record<string, unknown>): Promise<PoView> {
    return this.update(definitions.submitCreditMemo, this.command<CreditMemo>(CreditMemoSchema, body, actors.supplier(this.supplierId)));
  }

  resolve(invoiceNumber: string, body: InvoiceResolution): Promise<PoView> {
    return this.update(definitions.resolveInvoice, { ...this.command<InvoiceResolution>(ResolutionSchema, body, actors.finance), invoiceNumber });
  }

  paymentStatus(invoiceNumber: string, body: PaymentStatusReport): Promise<PoView> {
    return this.update(definitions.reportPaymentStatus, { ...this.command<PaymentStatusReport>(PaymentStatusSchema, body, actors.finance), invoiceNumber });
  }
}

/** Today's date (YYYY-MM-DD) as the workflow sees it. */
export async function today(env: TestWorkflowEnvironment): Promise<string> {
  return new Date(await env.currentTimeMs()).toISOString().slice(0, 10);
}

/**
 * Registers the file's `before`/`after` hooks for a time-skipping stack: one test server, one
 * database, one worker, with suppliers set up by `setup` (and `policy` over the configured one).
 * Read `stack.env`/`stack.harness` in tests.
 */
export function timeSkippingStack(
  setup: (harness: Harness) => Promise<void> = async () => undefined,
  adapters: () => Partial<Ports> = () => ({}),
  policy: Parameters<typeof createHarness>[1] = {},
): { readonly env: TestWorkflowEnvironment; readonly harness: Harness } {
  let env: TestWorkflowEnvironment | undefined;
  let harness: Harness | undefined;
  before(async () => {
    env = await createTimeSkippingEnv();
    harness = await createHarness(env, policy, adapters());
    await setup(harness);
  });
  after(async () => {
    await harness?.close();
    await env?.teardown();
  });
  return {
    get env() {
      if (!env) throw new Error('The time-skipping stack is not up yet (use it inside a test)');
      return env;
    },
    get harness() {
      if (!harness) throw new Error('The time-skipping stack is not up yet (use it inside a test)');
      return harness;
    },
  };
}
