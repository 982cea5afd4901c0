/**
 * The business documents that arrive against a PO: ASNs (supplier), goods receipts (warehouse),
 * invoices and credit memos (supplier or finance), and finance's decisions on invoices
 * (resolution, payment status). Documents with a number are idempotent on it: the Update id is
 * `update:number:bodyHash`, so the same document again returns the first result and the same
 * number with another body reaches the workflow, which refuses it with 409.
 */
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import type { ErpPort } from '../../activities/ports';
import {
  AdvanceShipNotice,
  CreditMemo,
  DocumentNumber,
  GoodsReceipt,
  Invoice,
  InvoiceResolution,
  PaymentStatusReport,
  normaliseDocumentNumber,
} from '../../workflows/domain/schemas';
import {
  postReceipt,
  reportPaymentStatus,
  resolveInvoice,
  submitAsn,
  submitCreditMemo,
  submitInvoice,
} from '../../workflows/purchase-order/definitions';
import { allowRoles, callerOf } from '../auth';
import { hashBody } from '../canonical';
import { ConflictError, NotFoundError } from '../errors';
import { commandUpdateId, poNumberParam } from './purchase-orders';
import type { PurchaseOrderGateway } from './purchase-orders';

export interface DocumentRouteDeps {
  erp: ErpPort;
  gateway: PurchaseOrderGateway;
  idempotent: RequestHandler;
}

function invoiceNumberParam(req: Request): string {
  const parsed = DocumentNumber.safeParse(req.params.invoiceNumber);
  if (!parsed.success) throw new NotFoundError(`No invoice ${String(req.params.invoiceNumber)} on this purchase order.`, 'INVOICE_NOT_FOUND');
  return parsed.data;
}

/** Mounted under /v1/purchase-orders. */
export function documentsRouter({ erp, gateway, idempotent }: DocumentRouteDeps): Router {
  const router = Router();

  router.post('/:poNumber/asns', allowRoles('supplier'), idempotent, async (req, res) => {
    const actor = callerOf(req);
    const poNumber = poNumberParam(req);
    const body = AdvanceShipNotice.parse(req.body);
    const bodyHash = hashBody(body);
    const view = await gateway.execute(actor, poNumber, submitAsn, { actor, body, bodyHash }, `submitAsn:${body.asnNumber}:${bodyHash}`);
    res.status(201).json(view);
  });

  router.post('/:poNumber/receipts', allowRoles('warehouse'), idempotent, async (req, res) => {
    const actor = callerOf(req);
    const poNumber = poNumberParam(req);
    const body = GoodsReceipt.parse(req.body);
    const bodyHash = hashBody(body);
    const view = await gateway.execute(actor, poNumber, postReceipt, { actor, body, bodyHash }, `postReceipt:${body.receiptNumber}:${bodyHash}`);
    res.status(201).json(view);
  });

  router.post('/:poNumber/invoices', allowRoles('supplier', 'finance'), idempotent, async (req, res) => {
    const actor = callerOf(req);
    const poNumber = poNumberParam(req);
    const body = Invoice.parse(req.body);
    const bodyHash = hashBody(body);
    // The supplier of record, not the caller's claim: finance may key in a supplier's invoice.
    const po = await gateway.viewFor(actor, poNumber);
    // Invoice numbers are unique per supplier across ALL its POs (SPEC §3): only the ERP sees that.
    const duplicate = await erp.checkDuplicateInvoice(po.supplierId, body.invoiceNumber, bodyHash);
    if (duplicate.kind === 'conflict' || (duplicate.kind === 'same' && duplicate.poNumber !== poNumber)) {
      throw new ConflictError(
        `Invoice ${body.invoiceNumber} of supplier ${po.supplierId} was already submitted${
          duplicate.kind === 'conflict' ? ' with a different body' : ` against purchase order ${duplicate.poNumber}`
        }.`,
        'DUPLICATE_INVOICE',
      );
    }
    const updateId = `submitInvoice:${normaliseDocumentNumber(body.invoiceNumber)}:${bodyHash}`;
    const outcome = await gateway.execute(actor, poNumber, submitInvoice, { actor, body, bodyHash }, updateId);
    res.status(201).json(outcome);
  });

  router.post('/:poNumber/credit-memos', allowRoles('supplier', 'finance'), idempotent, async (req, res) => {
    const actor = callerOf(req);
    const poNumber = poNumberParam(req);
    const body = CreditMemo.parse(req.body);
    const bodyHash = hashBody(body);
    const updateId = `submitCreditMemo:${body.creditMemoNumber}:${bodyHash}`;
    const view = await gateway.execute(actor, poNumber, submitCreditMemo, { actor, body, bodyHash }, updateId);
    res.status(201).json(view);
  });

  router.post('/:poNumber/invoices/:invoiceNumber/resolution', allowRoles('finance'), idempotent, async (req, res) => {
    const actor = callerOf(req);
    const poNumber = poNumberParam(req);
    const invoiceNumber = invoiceNumberParam(req);
    const body = InvoiceResolution.parse(req.body);
    const bodyHash = hashBody(body);
    const updateId = commandUpdateId(req, `resolveInvoice:${normaliseDocumentNumber(invoiceNumber)}`, bodyHash);
    const view = await gateway.execute(actor, poNumber, resolveInvoice, { actor, body, bodyHash, invoiceNumber }, updateId);
    res.json(view);
  });

  router.post('/:poNumber/invoices/:invoiceNumber/payment-status', allowRoles('finance'), idempotent, async (req, res) => {
    const actor = callerOf(req);
    const poNumber = poNumberParam(req);
    const invoiceNumber = invoiceNumberParam(req);
    const body = PaymentStatusReport.parse(req.body);
    const bodyHash = hashBody(body);
    const updateId = commandUpdateId(req, `reportPaymentStatus:${normaliseDocumentNumber(invoiceNumber)}`, bodyHash);
    const view = await gateway.execute(actor, poNumber, reportPaymentStatus, { actor, body, bodyHash, invoiceNumber }, updateId);
    res.json(view);
  });

  return router;
}
