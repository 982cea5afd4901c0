/**
 * The gateway to PO workflows and what it answers with: the not-found problem every route shares,
 * where a read was served from, and the options of `PurchaseOrderGateway` (described on the class).
 * Used by the PO routes, the documents, finance and supplier-hold routes, the console and inbound EDI.
 */
import { WorkflowUpdateStage } from '@temporalio/client';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { ReadModelPort } from '../activities/ports';
import type { Actor, PoView } from '../workflows/domain/state';
import { SUPPLIER_ID, TASK_QUEUE, status, workflowId } from '../workflows/purchase-order/definitions';
import type { CommandAck } from '../workflows/purchase-order/definitions';
import { assertSupplierMaySee } from './auth';
import { ConflictError, isUnansweredByWorker, NotFoundError, temporalUnavailable, toApiError, WorkerUnavailableError } from './errors';
import type { ApiError } from './errors';
import { WorkerAvailability } from './worker-availability';

export const NOT_FOUND_CODE = 'PURCHASE_ORDER_NOT_FOUND';
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
 * The API's door to PO workflows: reads through the `status` query or the ERP's snapshot, writes
 * through Updates, and makes sure a supplier can neither see nor touch another supplier's PO.
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

function notFoundMessage(poNumber: string): string {
  return `No purchase order ${poNumber}.`;
}

/**
 * The one "not found" for a PO: word for word what another supplier's PO answers, so that a
 * supplier cannot tell a PO number that exists from one that does not.
 */
export function poNotFound(poNumber: string): NotFoundError {
  return new NotFoundError(notFoundMessage(poNumber), NOT_FOUND_CODE);
}

