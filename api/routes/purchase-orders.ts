/**
 * Purchase orders: issue, read, list, and the buyer/supplier commands on the order itself
 * (acknowledgement, change decision, change order, cancel). Each PO is one workflow; every
 * command is an Update whose id is the command's idempotency key (docs/architecture.md, "Temporal contract").
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { WithStartWorkflowOperation, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { normaliseDocumentNumber } from '../../workflows/domain/lookups';
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
  workflowId,
} from '../../workflows/purchase-order/definitions';
import type { CommandAck, PurchaseOrderWorkflowInput } from '../../workflows/purchase-order/definitions';
import { allowRoles, callerOf } from '../auth';
import { assertAmountsFit } from '../body-guards';
import { hashBody } from '../canonical';
import {
  ConflictError,
  cursorRefusal,
  ForbiddenError,
  InputError,
  UnprocessableError,
  zodIssuesToErrors,
} from '../errors';
import { PurchaseOrderGateway, poNotFound, SERVED_FROM_HEADER } from '../gateway';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from '../idempotency';
import { linkNextPage, prefersCsv, sendCsv } from '../csv';

/** Config refuses supplier keys without a supplierId; this keeps a hand-built one from listing everything. */
function ownSupplierId(actor: Actor): string {
  if (!actor.supplierId) throw new ForbiddenError('This supplier key is not bound to a supplier.');
  return actor.supplierId;
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

/** The Update name of a decision on one invoice of a PO: its Update ids are keyed within it (`commandUpdateId`, `keyedUpdateId`). */
export function invoiceUpdateName(updateName: string, invoiceNumber: string): string {
  return `${updateName}:${normaliseDocumentNumber(invoiceNumber)}`;
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
 * How a PO's workflow is started, with the Update that answers once the PO is issued: one PO
 * number is issued once, ever. Shared by the create route and the benchmark that sends the API's
 * Updates without its HTTP tier (bench/stack.ts).
 */
export function issueOperation(input: Extract<PurchaseOrderWorkflowInput, { kind: 'new' }>, workflowTaskTimeoutMs?: number) {
  const { po } = input;
  return new WithStartWorkflowOperation(WORKFLOW_TYPE, {
    taskQueue: TASK_QUEUE,
    workflowId: workflowId(po.poNumber),
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
    const startWorkflowOperation = issueOperation(input, workflowTaskTimeoutMs);
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
