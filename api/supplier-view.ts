/**
 * What a supplier key sees: every successful answer to a supplier passes through `supplierView`
 * (workflows/domain/supplier-view.ts, also applied to the webhooks a supplier receives), at the
 * API's edge: the `/v1` middleware below, and the Idempotency-Key records, which store the answer
 * as sent. The schemas below describe the result in the OpenAPI document; the tests check every
 * answer a supplier key gets (test/api/supplier-view.test.ts).
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import {
  AsnRecord,
  CreditMemoRecord,
  CreditSettlement,
  ExceptionView,
  InvoiceOutcome,
  InvoiceView,
  MatchLine,
  MatchReason,
  MatchResult,
  PoPolicy,
  PurchaseOrderView,
  ReceiptRecord,
  ReturnRecord,
  Supplier,
} from '../workflows/domain/schemas';
import { supplierView } from '../workflows/domain/supplier-view';

export { supplierView };

/** The body a response to this caller carries: projected for a supplier's successful answers, as is otherwise. */
export function presentedBody(role: string | undefined, status: number, body: unknown): unknown {
  return role === 'supplier' && status < 400 ? supplierView(body) : body;
}

/** `/v1` middleware: every JSON answer to a supplier key goes through the projection. */
export const supplierResponses: RequestHandler = (req, res, next) => {
  const role = req.context.actor?.role;
  if (role === 'supplier') {
    const json = res.json.bind(res);
    res.json = (body: unknown) => json(presentedBody(role, res.statusCode, body));
  }
  next();
};

// ---------------------------------------------------------------------------------------------
// The projection's result, for the OpenAPI document
// ---------------------------------------------------------------------------------------------

const SupplierMatchReason = MatchReason.omit({ tolerance: true }).meta({
  id: 'SupplierMatchReason',
  description: 'A match reason as a supplier key sees it: no tolerance (for QTY_EXCEEDS_RECEIVED, `expected` is the received quantity).',
});
const SupplierMatchResult = MatchResult.extend({
  reasons: z.array(SupplierMatchReason),
  lines: z.array(MatchLine.extend({ reasons: z.array(SupplierMatchReason) })),
});

export const SupplierPurchaseOrderView = PurchaseOrderView.omit({ requestHash: true, policy: true, approvals: true })
  .extend({
    policy: PoPolicy.pick({ paymentTerms: true, supplierHold: true }),
    asns: z.array(AsnRecord.omit({ bodyHash: true })),
    receipts: z.array(ReceiptRecord.omit({ bodyHash: true })),
    invoices: z.array(InvoiceView.omit({ bodyHash: true }).extend({ match: SupplierMatchResult })),
    creditMemos: z.array(CreditMemoRecord.omit({ bodyHash: true }).extend({ settledBy: CreditSettlement.omit({ bodyHash: true }).optional() })),
    returns: z.array(ReturnRecord.omit({ bodyHash: true })),
    exceptions: z.array(ExceptionView.extend({ reasons: z.array(SupplierMatchReason) })),
  })
  .meta({
    id: 'SupplierPurchaseOrder',
    description:
      'A purchase order as a supplier key sees it: without the buyer\'s policy (tolerances, SLAs, discount capture), approvals, request and body hashes, or who on the buyer\'s side acted (actors are roles).',
  });

export const SupplierRecordForSupplier = Supplier.omit({ tolerances: true, slas: true }).meta({
  id: 'SupplierForSupplier',
  description: 'A supplier record as its own supplier key sees it: without the buyer\'s tolerances and SLAs.',
});

export const SupplierInvoiceOutcome = InvoiceOutcome.extend({ match: SupplierMatchResult }).meta({
  id: 'SupplierInvoiceOutcome',
  description: 'An invoice\'s outcome as a supplier key sees it: match reasons without tolerances.',
});

const AS_A_SUPPLIER_SEES_IT = new Map<z.ZodType, z.ZodType>([
  [PurchaseOrderView, SupplierPurchaseOrderView],
  [InvoiceOutcome, SupplierInvoiceOutcome],
  [Supplier, SupplierRecordForSupplier],
]);

/**
 * The response schema of an answer a supplier key may get: the full shape, or the projection's
 * (for the OpenAPI document; a schema the projection does not touch stays as it is).
 */
export function orAsASupplierSeesIt(full: z.ZodType): z.ZodType {
  const projected = AS_A_SUPPLIER_SEES_IT.get(full);
  return projected ? z.union([full, projected]) : full;
}
