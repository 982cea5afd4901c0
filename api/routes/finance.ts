/**
 * The finance controls on a PO (docs/api.md, "Endpoints and roles"): payment holds on an invoice
 * (finance), the approvers' decision (approver), returns to vendor (warehouse), and disputes
 * (finance opens, the supplier or finance replies). Each is an Update like every other command.
 */
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import type { ReadModelPort } from '../../activities/ports';
import { ApprovalDecision, DisputeOpening, DisputeReply, DocumentNumber, PaymentHoldRelease, PaymentHoldRequest, ReturnToVendor } from '../../workflows/domain/schemas';
import { decideApproval, holdInvoicePayment, openDispute, releaseInvoicePayment, replyToDispute, returnGoods } from '../../workflows/purchase-order/definitions';
import { allowRoles } from '../auth';
import { hashBody } from '../canonical';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors';
import { commandUpdateId, invoiceUpdateName, parseCommand, poNumberParam } from './purchase-orders';
import type { PurchaseOrderGateway } from '../gateway';

export interface FinanceRouteDeps {
  readModel: ReadModelPort;
  gateway: PurchaseOrderGateway;
  idempotent: RequestHandler;
  /** Today (UTC) as a calendar date: a hold's release date must be after it. */
  today?: () => string;
}

function invoiceNumberParam(req: Request): string {
  const parsed = DocumentNumber.safeParse(req.params.invoiceNumber);
  if (!parsed.success) throw new NotFoundError(`No invoice ${String(req.params.invoiceNumber)} on this purchase order.`, 'INVOICE_NOT_FOUND');
  return parsed.data;
}

function disputeIdParam(req: Request): string {
  const raw = String(req.params.disputeId);
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._\/-]{0,99}$/.test(raw)) throw new NotFoundError(`No dispute ${raw}.`, 'DISPUTE_NOT_FOUND');
  return raw;
}

/** A release date must be in the future: a hold that ends before it starts is a mistake. */
export function assertReleaseDateAhead(releaseOn: string | undefined, today: string): void {
  if (releaseOn !== undefined && releaseOn <= today) {
    throw new UnprocessableError(`releaseOn ${releaseOn} is not after today (${today}); omit it for a hold without end`, 'RELEASE_DATE_PASSED');
  }
}

const utcToday = () => new Date().toISOString().slice(0, 10);

/** Mounted under /v1/purchase-orders. */
export function financeRouter({ readModel, gateway, idempotent, today = utcToday }: FinanceRouteDeps): Router {
  const router = Router();

  router.post('/:poNumber/invoices/:invoiceNumber/hold', allowRoles('finance'), idempotent, async (req, res) => {
    const invoiceNumber = invoiceNumberParam(req);
    const command = parseCommand(req, PaymentHoldRequest);
    assertReleaseDateAhead(command.body.releaseOn, today());
    const updateId = commandUpdateId(req, invoiceUpdateName(holdInvoicePayment.name, invoiceNumber), command.bodyHash);
    res.json(await gateway.execute(command.actor, poNumberParam(req), holdInvoicePayment, { ...command, invoiceNumber }, updateId));
  });

  router.post('/:poNumber/invoices/:invoiceNumber/release', allowRoles('finance'), idempotent, async (req, res) => {
    const invoiceNumber = invoiceNumberParam(req);
    const command = parseCommand(req, PaymentHoldRelease);
    const updateId = commandUpdateId(req, invoiceUpdateName(releaseInvoicePayment.name, invoiceNumber), command.bodyHash);
    res.json(await gateway.execute(command.actor, poNumberParam(req), releaseInvoicePayment, { ...command, invoiceNumber }, updateId));
  });

  router.post('/:poNumber/approval', allowRoles('approver'), idempotent, async (req, res) => {
    const command = parseCommand(req, ApprovalDecision);
    // One decision per approver and request: the same approver's retry joins the first Update.
    const updateId = `${decideApproval.name}:${command.actor.id}:${command.bodyHash}:${req.get('Idempotency-Key') ?? 'once'}`;
    res.json(await gateway.execute(command.actor, poNumberParam(req), decideApproval, command, updateId));
  });

  router.post('/:poNumber/returns', allowRoles('warehouse'), idempotent, async (req, res) => {
    const command = parseCommand(req, ReturnToVendor);
    const updateId = `${returnGoods.name}:${command.body.rmaNumber}:${command.bodyHash}`;
    res.status(201).json(await gateway.execute(command.actor, poNumberParam(req), returnGoods, command, updateId));
  });

  router.post('/:poNumber/invoices/:invoiceNumber/disputes', allowRoles('finance'), idempotent, async (req, res) => {
    const invoiceNumber = invoiceNumberParam(req);
    const command = parseCommand(req, DisputeOpening);
    const updateId = commandUpdateId(req, invoiceUpdateName(openDispute.name, invoiceNumber), command.bodyHash);
    res.status(201).json(await gateway.execute(command.actor, poNumberParam(req), openDispute, { ...command, invoiceNumber }, updateId));
  });

  router.post('/:poNumber/invoices/:invoiceNumber/disputes/:disputeId/replies', allowRoles('supplier', 'finance'), idempotent, async (req, res) => {
    const invoiceNumber = invoiceNumberParam(req);
    const disputeId = disputeIdParam(req);
    const poNumber = poNumberParam(req);
    const command = parseCommand(req, DisputeReply);
    const document = command.body.creditMemo ?? command.body.correctedInvoice;
    const documentHash = document ? hashBody(document) : undefined;
    if (command.body.correctedInvoice) {
      // A corrected invoice is an invoice like any other: unique per supplier across its POs.
      const po = await gateway.viewFor(command.actor, poNumber);
      const duplicate = await readModel.checkDuplicateInvoice(po.supplierId, command.body.correctedInvoice.invoiceNumber, documentHash!);
      if (duplicate.kind === 'conflict' || (duplicate.kind === 'same' && duplicate.poNumber !== poNumber)) {
        throw new ConflictError(`Invoice ${command.body.correctedInvoice.invoiceNumber} of supplier ${po.supplierId} was already submitted.`, 'DUPLICATE_INVOICE');
      }
    }
    const updateId = document
      ? `${replyToDispute.name}:${disputeId}:${documentHash}`
      : commandUpdateId(req, `${replyToDispute.name}:${disputeId}`, command.bodyHash);
    const arg = { ...command, invoiceNumber, disputeId, ...(documentHash ? { documentHash } : {}) };
    res.status(201).json(await gateway.execute(command.actor, poNumber, replyToDispute, arg, updateId));
  });

  return router;
}
