/**
 * The business documents that arrive against a PO: ASNs (supplier), goods receipts (warehouse),
 * invoices and credit memos (supplier or finance), and finance's decisions on invoices
 * (resolution, payment status). Documents with a number are idempotent on it: the Update id is
 * `update:number:bodyHash`, so the same document again returns the first result and the same
 * number with another body reaches the workflow, which refuses it with 409.
 */
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import type { ReadModelPort } from '../../activities/ports';
import type { Command } from '../../workflows/domain/business-events';
import type { PoView } from '../../workflows/domain/state';
import { normaliseDocumentNumber } from '../../workflows/domain/lookups';
import {
  AdvanceShipNotice,
  CreditMemo,
  DocumentNumber,
  GoodsReceipt,
  Invoice,
  InvoiceResolution,
  PaymentStatusReport,
} from '../../workflows/domain/schemas';
import {
  postReceipt,
  reportPaymentStatus,
  resolveInvoice,
  submitAsn,
  submitCreditMemo,
  submitInvoice,
} from '../../workflows/purchase-order/definitions';
import type { CommandAck } from '../../workflows/purchase-order/definitions';
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import type { Role } from '../../workflows/domain/schemas';
import { requireInvoice } from '../../workflows/domain/lookups';
import { allowRoles } from '../auth';
import { ConflictError, NotFoundError } from '../errors';
import { commandUpdateId, invoiceUpdateName, parseCommand, poNumberParam } from './purchase-orders';
import type { PurchaseOrderGateway } from '../gateway';

export interface DocumentRouteDeps {
  readModel: ReadModelPort;
  gateway: PurchaseOrderGateway;
  idempotent: RequestHandler;
}

function invoiceNumberParam(req: Request): string {
  const parsed = DocumentNumber.safeParse(req.params.invoiceNumber);
  if (!parsed.success) throw new NotFoundError(`No invoice ${String(req.params.invoiceNumber)} on this purchase order.`, 'INVOICE_NOT_FOUND');
  return parsed.data;
}

/** The Update id of a numbered document: the same document again joins the first Update. */
export function documentUpdateId(updateName: string, documentNumber: string, bodyHash: string): string {
  return `${updateName}:${documentNumber}:${bodyHash}`;
}

/**
 * Submits an invoice, from the API or the console. Invoice numbers are unique per supplier across
 * ALL its POs (docs/domain.md, "Document numbers and duplicates"): only the ERP sees that, so it
 * is checked here before the Update.
 */
export async function submitInvoiceCommand(
  gateway: PurchaseOrderGateway,
  readModel: Pick<ReadModelPort, 'checkDuplicateInvoice'>,
  poNumber: string,
  { actor, body, bodyHash }: Command<Invoice>,
): Promise<PoView> {
  // The supplier of record, not the caller's claim: finance may key in a supplier's invoice.
  const supplierId = (await gateway.supplierFor(actor, poNumber)) ?? (await gateway.viewFor(actor, poNumber)).supplierId;
  const duplicate = await readModel.checkDuplicateInvoice(supplierId, body.invoiceNumber, bodyHash);
  if (duplicate.kind === 'conflict' || (duplicate.kind === 'same' && duplicate.poNumber !== poNumber)) {
    throw new ConflictError(
      `Invoice ${body.invoiceNumber} of supplier ${supplierId} was already submitted${
        duplicate.kind === 'conflict' ? ' with a different body' : ` against purchase order ${duplicate.poNumber}`
      }.`,
      'DUPLICATE_INVOICE',
    );
  }
  const updateId = documentUpdateId(submitInvoice.name, normaliseDocumentNumber(body.invoiceNumber), bodyHash);
  return gateway.execute(actor, poNumber, submitInvoice, { actor, body, bodyHash }, updateId, { ownershipChecked: true });
}

/** Mounted under /v1/purchase-orders. */
export function documentsRouter({ readModel, gateway, idempotent }: DocumentRouteDeps): Router {
  const router = Router();

  /** A numbered document: the Update id is the document number and the body hash. */
  function documentCommand<T>(path: string, roles: Role[], schema: z.ZodType<T>, update: UpdateDefinition<CommandAck, [Command<T>]>, documentNumber: (body: T) => string): void {
    router.post(`/:poNumber/${path}`, allowRoles(...roles), idempotent, async (req, res) => {
      const command = parseCommand(req, schema);
      const updateId = documentUpdateId(update.name, documentNumber(command.body), command.bodyHash);
      res.status(201).json(await gateway.execute(command.actor, poNumberParam(req), update, command, updateId));
    });
  }

  /** A finance decision on one invoice of the PO. */
  function invoiceDecision<T>(path: string, schema: z.ZodType<T>, update: UpdateDefinition<CommandAck, [Command<T> & { invoiceNumber: string }]>): void {
    router.post(`/:poNumber/invoices/:invoiceNumber/${path}`, allowRoles('finance'), idempotent, async (req, res) => {
      const invoiceNumber = invoiceNumberParam(req);
      const command = parseCommand(req, schema);
      const updateId = commandUpdateId(req, invoiceUpdateName(update.name, invoiceNumber), command.bodyHash);
      res.json(await gateway.execute(command.actor, poNumberParam(req), update, { ...command, invoiceNumber }, updateId));
    });
  }

  documentCommand('asns', ['supplier'], AdvanceShipNotice, submitAsn, (asn) => asn.asnNumber);
  documentCommand('receipts', ['warehouse'], GoodsReceipt, postReceipt, (receipt) => receipt.receiptNumber);
  documentCommand('credit-memos', ['supplier', 'finance'], CreditMemo, submitCreditMemo, (memo) => memo.creditMemoNumber);

  router.post('/:poNumber/invoices', allowRoles('supplier', 'finance'), idempotent, async (req, res) => {
    const poNumber = poNumberParam(req);
    const command = parseCommand(req, Invoice);
    const po = await submitInvoiceCommand(gateway, readModel, poNumber, command);
    const invoice = requireInvoice(po, command.body.invoiceNumber);
    res.status(201).json({ invoiceNumber: invoice.invoiceNumber, status: invoice.status, match: invoice.match });
  });

  invoiceDecision('resolution', InvoiceResolution, resolveInvoice);
  invoiceDecision('payment-status', PaymentStatusReport, reportPaymentStatus);

  return router;
}
