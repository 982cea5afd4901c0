/**
 * Purchase orders: issue, read, list, and the buyer/supplier commands on the order itself
 * (acknowledgement, change decision, change order, cancel). Each PO is one workflow; every
 * command is an Update whose id is the command's idempotency key (docs/architecture.md, "Temporal contract").
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { WithStartWorkflowOperation, WorkflowIdReusePolicy, WorkflowUpdateStage } from '@temporalio/client';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { mul, round2, sum } from '../../workflows/domain/money';
import { z } from 'zod';
import type { EdiPort, ReadModelPort } from '../../activities/ports';
import type { Command } from '../../workflows/domain/business-events';
import {
  Acknowledgement,
  CancelPurchaseOrder,
  ChangeDecision,
  ChangeOrder,
  CreatePurchaseOrder,
  PoNumber,
  PoStatus,
  SupplierId,
} from '../../workflows/domain/schemas';
import type { Role } from '../../workflows/domain/schemas';
import type { Actor, PoView } from '../../workflows/domain/state';
import {
  HAS_OPEN_EXCEPTION,
  PO_NUMBER,
  PO_STATUS,
  PO_TOTAL,
  SUPPLIER_ID,
  TASK_QUEUE,
  WORKFLOW_TYPE,
  acknowledge,
  cancel,
  changeOrder,
  confirmIssued,
  decideChanges,
  status,
  workflowId,
} from '../../workflows/purchase-order/definitions';
import type { CommandAck, PurchaseOrderWorkflowInput } from '../../workflows/purchase-order/definitions';
import { allowRoles, assertSupplierMaySee, callerOf } from '../auth';
import { assertAmountsFit } from '../body-guards';
import { hashBody } from '../canonical';
import {
  ConflictError,
  cursorRefusal,
  ForbiddenError,
  InputError,
  isUnansweredByWorker,
  NotFoundError,
  temporalUnavailable,
  toApiError,
  UnprocessableError,
  WorkerUnavailableError,
  zodIssuesToErrors,
} from '../errors';
import type { ApiError } from '../errors';
import { WorkerAvailability } from '../worker-availability';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from '../idempotency';
import { linkNextPage, prefersCsv, sendCsv } from '../csv';

const NOT_FOUND_CODE = 'PURCHASE_ORDER_NOT_FOUND';
/** On `GET /v1/purchase-orders/{poNumber}`: `workflow`, or `snapshot` when no worker could answer. */
export const SERVED_FROM_HEADER = 'Served-From';

/**
 * How long an HTTP caller waits for a command's result. A command whose activities are retrying
 * (ERP down) keeps running in the workflow; the caller gets a 503 and retries with the same
 * request, which joins the same Update (its id is the idempotency key) instead of running twice.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/**
 * How long a call that needs a worker (the `status` query, an Update's acceptance) waits for one
 * before the caller hears 503 WORKER_UNAVAILABLE (WORKER_QUERY_TIMEOUT_MS).
 */
export const DEFAULT_WORKER_QUERY_TIMEOUT_MS = 5_000;

/** Where a PO read was answered from: the PO's workflow, or the ERP's snapshot when no worker could answer. */
export type ServedFrom = 'workflow' | 'snapshot';

export interface GatewayOptions {
  /** Deadline of a query or an Update's acceptance, which only a worker can answer. */
  workerTimeoutMs?: number;
  /** Tells "no worker" from "no Temporal"; default: a cached DescribeTaskQueue on the PO task queue. */
  workers?: Pick<WorkerAvailability, 'check'>;
}

/** How many PO → supplier pairs an API instance remembers (a PO's supplier never changes). */
const REMEMBERED_SUPPLIERS = 10_000;

/**
 * The API's door to PO workflows: reads through the `status` query, writes through Updates, and
 * makes sure a supplier can neither see nor touch another supplier's PO.
 */
export class PurchaseOrderGateway {
  private readonly workerTimeoutMs: number;
  private readonly workers: Pick<WorkerAvailability, 'check'>;
  /** PO number → its supplier, as the ERP or the PO's creation told it: saves a read per supplier command. */
  private readonly suppliers = new Map<string, string>();

  constructor(
    private readonly client: Client,
    private readonly commandTimeoutMs: number = DEFAULT_COMMAND_TIMEOUT_MS,
    /**
     * The ERP's read model: who a PO belongs to, the PO as a command left it, and finished POs
     * whose workflow history Temporal no longer retains.
     */
    private readonly readModel: Pick<ReadModelPort, 'getPurchaseOrderSnapshot' | 'purchaseOrderSupplier'>,
    options: GatewayOptions = {},
  ) {
    this.workerTimeoutMs = Math.min(options.workerTimeoutMs ?? DEFAULT_WORKER_QUERY_TIMEOUT_MS, commandTimeoutMs);
    this.workers = options.workers ?? new WorkerAvailability(client, TASK_QUEUE);
  }

  /** Runs Temporal calls with a deadline, so a stuck command cannot hold an HTTP request forever. */
  withCommandDeadline<T>(call: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.commandTimeoutMs, call);
  }

  /**
   * Runs a call only a worker can answer with the (short) worker deadline. When it fails the way a
   * call no worker answered fails, the caller hears which part is down: the workers (Temporal
   * describes the task queue) or Temporal itself (it does not answer that either).
   */
  async needingAWorker<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.client.withDeadline(Date.now() + this.workerTimeoutMs, call);
    } catch (error) {
      if (!isUnansweredByWorker(error)) throw error;
      throw await this.whichPartIsDown();
    }
  }

  private async whichPartIsDown(): Promise<ApiError> {
    const workers = await this.workers.check();
    return workers.temporalAnswered ? new WorkerUnavailableError() : temporalUnavailable();
  }

  handle(poNumber: string): WorkflowHandle {
    return this.client.workflow.getHandle(workflowId(poNumber));
  }

  async view(poNumber: string): Promise<PoView> {
    try {
      // Bounded: with no worker to answer, a query would otherwise hold the request indefinitely.
      return await this.needingAWorker(() => this.handle(poNumber).query(status));
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const snapshot = await this.readModel.getPurchaseOrderSnapshot(poNumber);
      // Only a finished PO can outlive its workflow; anything else is genuinely unknown.
      if (snapshot && (snapshot.status === 'closed' || snapshot.status === 'cancelled')) return snapshot;
      throw poNotFound(poNumber);
    }
  }

  /**
   * The PO as `actor` may see it, from its workflow; when no worker (or no Temporal) can answer,
   * from the ERP's snapshot (the PO as its last command left it), so suppliers and finance can
   * still read. A PO the ERP has not recorded yet has no snapshot: the caller hears the 503.
   * Another supplier's PO is "not found" either way (ownership from the ERP, else from Temporal).
   */
  async readFor(actor: Actor, poNumber: string): Promise<{ view: PoView; servedFrom: ServedFrom }> {
    if (actor.role === 'supplier') await this.supplierFor(actor, poNumber);
    let view: PoView;
    let servedFrom: ServedFrom = 'workflow';
    try {
      view = await this.view(poNumber);
    } catch (error) {
      const code = toApiError(error).code;
      if (code !== 'WORKER_UNAVAILABLE' && code !== 'TEMPORAL_UNAVAILABLE') throw error;
      const snapshot = await this.readModel.getPurchaseOrderSnapshot(poNumber);
      if (!snapshot) throw error;
      view = snapshot;
      servedFrom = 'snapshot';
    }
    assertSupplierMaySee(actor, view.supplierId, poNotFound(poNumber).message, NOT_FOUND_CODE);
    return { view, servedFrom };
  }

  /** The PO as `actor` may see it; another supplier's PO is "not found". */
  async viewFor(actor: Actor, poNumber: string): Promise<PoView> {
    return (await this.readFor(actor, poNumber)).view;
  }

  /**
   * Ownership from Temporal itself (the SupplierId search attribute set when the PO started), not
   * from the workflow's `status` query: a PO whose worker is down or that is still being issued
   * cannot answer a query, and a supplier must not be able to tell such a PO of another supplier
   * (a hang, a 503, a 409) from one that does not exist (404).
   */
  private async assertNotAnotherSuppliers(actor: Actor, poNumber: string): Promise<void> {
    let owner: string | undefined;
    try {
      const description = await this.withCommandDeadline(() => this.handle(poNumber).describe());
      owner = description.typedSearchAttributes.get(SUPPLIER_ID);
    } catch (error) {
      // Unknown to Temporal: `view` decides (a finished PO in the ERP, else 404).
      if (error instanceof WorkflowNotFoundError) return;
      throw error;
    }
    if (owner !== undefined) assertSupplierMaySee(actor, owner, poNotFound(poNumber).message, NOT_FOUND_CODE);
  }

  /**
   * The supplier of a PO the actor may act on: from the ERP's read model (one indexed read), or,
   * for a PO not recorded there yet, from Temporal's SupplierId search attribute. Another
   * supplier's PO is "not found".
   */
  async supplierFor(actor: Actor, poNumber: string): Promise<string | undefined> {
    const recorded = this.suppliers.get(poNumber) ?? (await this.readModel.purchaseOrderSupplier(poNumber));
    if (recorded !== undefined) {
      this.rememberSupplier(poNumber, recorded);
      assertSupplierMaySee(actor, recorded, poNotFound(poNumber).message, NOT_FOUND_CODE);
      return recorded;
    }
    if (actor.role === 'supplier') await this.assertNotAnotherSuppliers(actor, poNumber);
    return undefined;
  }

  /** Remembers a PO's supplier (PO numbers are never reused: the pair holds for good). */
  rememberSupplier(poNumber: string, supplierId: string): void {
    if (this.suppliers.has(poNumber)) return;
    if (this.suppliers.size >= REMEMBERED_SUPPLIERS) this.suppliers.delete(this.suppliers.keys().next().value!);
    this.suppliers.set(poNumber, supplierId);
  }

  /**
   * Runs a command as an Update and answers the PO as the command left it. A supplier's ownership
   * is checked first (unless the caller just did), so a command on another supplier's PO is
   * refused before it reaches the workflow. The Update answers only the PO's event count; the PO
   * itself was recorded in the ERP before the Update completed, and is read from there.
   */
  async execute<Arg>(
    actor: Actor,
    poNumber: string,
    update: UpdateDefinition<CommandAck, [Arg]>,
    arg: Arg,
    updateId: string,
    options: { ownershipChecked?: boolean } = {},
  ): Promise<PoView> {
    if (actor.role === 'supplier' && !options.ownershipChecked) await this.supplierFor(actor, poNumber);
    let ack: CommandAck;
    const deadline = Date.now() + this.commandTimeoutMs;
    try {
      // Acceptance needs a worker (it runs the validator): the short deadline says fast when none
      // answers. Once accepted, the command may wait on activities (ERP down) up to the command
      // deadline; a retry with the same update id joins it rather than running it twice.
      const accepted = await this.needingAWorker(() =>
        this.handle(poNumber).startUpdate(update, { args: [arg], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }),
      );
      ack = await this.client.withDeadline(deadline, () => accepted.result());
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        await this.refuseIfFinished(poNumber);
        throw poNotFound(poNumber);
      }
      throw error;
    }
    return this.stateAfter(ack);
  }

  /** The PO as a command left it (or later): the ERP's snapshot, else the workflow's own answer. */
  async stateAfter(ack: CommandAck): Promise<PoView> {
    const snapshot = await this.readModel.getPurchaseOrderSnapshot(ack.poNumber);
    if (snapshot && snapshot.timeline.length >= ack.sequence) return snapshot;
    return this.view(ack.poNumber);
  }

  /**
   * A cancelled or closed PO's workflow has completed, so Temporal reports its Updates as "not
   * found"; the caller must hear that the PO is finished (409), not that it never existed.
   */
  private async refuseIfFinished(poNumber: string): Promise<void> {
    let view: PoView;
    try {
      view = await this.view(poNumber);
    } catch {
      return;
    }
    const code = view.status === 'cancelled' ? 'PO_CANCELLED' : 'PO_CLOSED';
    throw new ConflictError(`Purchase order ${poNumber} is ${view.status} and takes no more commands.`, code);
  }
}

/** Config refuses supplier keys without a supplierId; this keeps a hand-built one from listing everything. */
function ownSupplierId(actor: Actor): string {
  if (!actor.supplierId) throw new ForbiddenError('This supplier key is not bound to a supplier.');
  return actor.supplierId;
}

function notFoundMessage(poNumber: string): string {
  return `No purchase order ${poNumber}.`;
}

/**
 * The one "not found" for a PO: word for word what another supplier's PO answers, so that a
 * supplier cannot tell a PO number that exists from one that does not.
 */
function poNotFound(poNumber: string): NotFoundError {
  return new NotFoundError(notFoundMessage(poNumber), NOT_FOUND_CODE);
}

/** A malformed PO number cannot name an existing PO: same answer as an unknown one. */
export function poNumberParam(req: Request): string {
  const raw = req.params.poNumber;
  const parsed = PoNumber.safeParse(raw);
  if (!parsed.success) throw poNotFound(String(raw));
  req.context.poNumber = parsed.data;
  return parsed.data;
}

/** Parses a command body with its shared schema; every Update argument carries who sent it and the body's hash. */
export function parseCommand<T>(req: Request, schema: z.ZodType<T>): Command<T> {
  return commandOf(callerOf(req), schema, req.body);
}

/** A command from any door (the API's JSON, the console's forms): validated by its shared schema, with the body's hash. */
export function commandOf<T>(actor: Actor, schema: z.ZodType<T>, input: unknown): Command<T> {
  const body = schema.parse(input);
  assertAmountsFit(body);
  return { actor, body, bodyHash: hashBody(body) };
}

/**
 * Update id of a command without a business document number: its body hash plus the caller's
 * Idempotency-Key (so a retry of the same request joins the first Update), else a fresh id (two
 * deliberate identical commands, e.g. two cancels, are two commands; the workflow decides).
 */
export function commandUpdateId(req: Request, updateName: string, bodyHash: string): string {
  const header = req.get(IDEMPOTENCY_KEY_HEADER);
  return keyedUpdateId(updateName, bodyHash, header !== undefined ? parseIdempotencyKey(header) : randomUUID());
}

/** The Update id of a command without a document number sent with an idempotency key (a header, or a console form's). */
export function keyedUpdateId(updateName: string, bodyHash: string, idempotencyKey: string): string {
  return `${updateName}:${bodyHash}:${idempotencyKey}`;
}

/** PoTotal search attribute: exact decimal sum, converted to a double only at the end. */
/** The PO's total as the workflow computes it (Σ quantity × price, half-even to cents), for PoTotal. */
function orderTotal(po: CreatePurchaseOrder): number {
  return Number(round2(sum(po.lines.map((line) => mul(line.quantity, line.unitPrice)))));
}

/**
 * The state of a PO whose number already exists, once it is issued. A finished PO no longer takes
 * Updates, but still answers queries.
 */
async function confirmExisting(gateway: PurchaseOrderGateway, poNumber: string, requestHash: string): Promise<PoView> {
  try {
    return await gateway.stateAfter(await gateway.withCommandDeadline(() => gateway.handle(poNumber).executeUpdate(confirmIssued, { args: [{ requestHash }] })));
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    return gateway.view(poNumber);
  }
}

const ListQuery = z
  .object({
    status: PoStatus.optional(),
    supplierId: SupplierId.optional(),
    hasException: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict()
  .meta({ id: 'PurchaseOrderListQuery' });

export { ListQuery as PurchaseOrderListQuery };

const PURCHASE_ORDER_CSV_COLUMNS = ['poNumber', 'supplierId', 'currency', 'status', 'total', 'hasOpenException', 'buyer', 'createdAt', 'updatedAt'];

export interface PurchaseOrderRouteDeps {
  client: Client;
  readModel: ReadModelPort;
  gateway: PurchaseOrderGateway;
  /** Idempotency-Key middleware for writes. */
  idempotent: RequestHandler;
  /** How long after its worker died a PO's workflow task is retried elsewhere (WORKFLOW_TASK_TIMEOUT_MS); Temporal's 10 s when unset. */
  workflowTaskTimeoutMs?: number;
  /** EDI traffic of a PO, joined into its view for EDI suppliers (docs/edi.md). */
  edi?: Pick<EdiPort, 'purchaseOrderEdi'>;
}

export function purchaseOrdersRouter({ client, readModel, gateway, idempotent, workflowTaskTimeoutMs, edi }: PurchaseOrderRouteDeps): Router {
  const router = Router();

  router.post('/', allowRoles('procurement'), idempotent, async (req, res) => {
    const actor = callerOf(req);
    const po = CreatePurchaseOrder.parse(req.body);
    assertAmountsFit(po, { total: true });
    req.context.poNumber = po.poNumber;
    const supplier = await readModel.getSupplier(po.supplierId);
    if (!supplier) throw new UnprocessableError(`Unknown supplier ${po.supplierId}; create it first with PUT /v1/suppliers/${po.supplierId}.`, 'UNKNOWN_SUPPLIER');

    const requestHash = hashBody(po);
    const id = workflowId(po.poNumber);
    const input: PurchaseOrderWorkflowInput = { kind: 'new', po, requestHash, actor, issuedAt: new Date().toISOString() };
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: id,
      args: [input],
      // A PO number is issued once, ever: a running PO (conflict policy) or a finished one (reuse
      // policy) of the same number refuses the start, so only the request that creates it gets 201.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // Every ERP and AP write runs as a local activity inside a workflow task: when the worker
      // running it dies, this is how soon another worker runs it again (docs/adr/0066).
      ...(workflowTaskTimeoutMs !== undefined ? { workflowTaskTimeout: workflowTaskTimeoutMs } : {}),
      typedSearchAttributes: [
        { key: PO_NUMBER, value: po.poNumber },
        { key: SUPPLIER_ID, value: po.supplierId },
        { key: PO_STATUS, value: 'issued' },
        { key: HAS_OPEN_EXCEPTION, value: false },
        { key: PO_TOTAL, value: orderTotal(po) },
      ],
    });
    // Starts the PO and answers once it is recorded in the ERP read model (so a listing right
    // after sees it), in one call.
    const { created, view } = await gateway
      .withCommandDeadline(() => client.workflow.executeUpdateWithStart(confirmIssued, { args: [{ requestHash }], startWorkflowOperation }))
      .then(
        async (issued) => ({ created: true, view: await gateway.stateAfter(issued) }),
        async (error: unknown) => {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          return { created: false, view: await confirmExisting(gateway, po.poNumber, requestHash) };
        },
      );
    if (view.requestHash !== requestHash) {
      throw new ConflictError(`Purchase order ${po.poNumber} already exists with a different body.`, 'PURCHASE_ORDER_EXISTS');
    }
    gateway.rememberSupplier(po.poNumber, view.supplierId);
    res.status(created ? 201 : 200).json({ poNumber: po.poNumber, workflowId: id, status: view.status });
  });

  router.get('/', allowRoles('procurement', 'supplier', 'warehouse', 'finance', 'operator', 'approver'), async (req, res) => {
    const actor = callerOf(req);
    const parsed = ListQuery.safeParse(req.query);
    if (!parsed.success) throw new InputError('The query parameters are invalid.', zodIssuesToErrors(parsed.error));
    const query = parsed.data;
    const page = await readModel
      .listPurchaseOrders({
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
      ...(query.hasException !== undefined ? { hasException: query.hasException } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      // A supplier key lists its own POs, whatever supplierId it asks for.
      ...(actor.role === 'supplier' ? { supplierId: ownSupplierId(actor) } : query.supplierId ? { supplierId: query.supplierId } : {}),
      })
      .catch(cursorRefusal(query.cursor));
    linkNextPage(req, res, page.nextCursor);
    if (prefersCsv(req)) {
      sendCsv(res, 'purchase-orders', page.items, PURCHASE_ORDER_CSV_COLUMNS);
      return;
    }
    res.json({ items: page.items, nextCursor: page.nextCursor });
  });

  router.get('/:poNumber', allowRoles('procurement', 'supplier', 'warehouse', 'finance', 'operator', 'approver'), async (req, res) => {
    const { view, servedFrom } = await gateway.readFor(callerOf(req), poNumberParam(req));
    const ediTraffic = await edi?.purchaseOrderEdi(view.poNumber);
    res.setHeader(SERVED_FROM_HEADER, servedFrom);
    res.json({ ...view, ...(ediTraffic ? { edi: ediTraffic } : {}), servedFrom });
  });

  /** A command that answers with the PO's state; its Update id follows the Idempotency-Key rules. */
  function stateCommand<T>(path: string, roles: Role[], schema: z.ZodType<T>, update: UpdateDefinition<CommandAck, [Command<T>]>): void {
    router.post(`/:poNumber/${path}`, allowRoles(...roles), idempotent, async (req, res) => {
      const command = parseCommand(req, schema);
      res.json(await gateway.execute(command.actor, poNumberParam(req), update, command, commandUpdateId(req, update.name, command.bodyHash)));
    });
  }

  stateCommand('acknowledgement', ['supplier'], Acknowledgement, acknowledge);
  stateCommand('change-decision', ['procurement'], ChangeDecision, decideChanges);
  stateCommand('changes', ['procurement'], ChangeOrder, changeOrder);
  stateCommand('cancel', ['procurement'], CancelPurchaseOrder, cancel);

  return router;
}
