/** The finance controls and reports in the OpenAPI document (docs/api.md). */
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import * as wire from '../../workflows/domain/schemas';
import { AUTHENTICATED, IdempotencyKeyHeader, command, json, problems } from './components';
import { examplePurchaseOrder } from './examples';

const hold = { reason: 'Quality complaint under review', releaseOn: '2026-12-20' };
const placedHold = { holdId: 'SH-ACME-1', ...hold, placedAt: '2026-12-01T09:00:00.000Z', placedBy: { role: 'finance', id: 'finance#9c1d2e' } };

const SupplierHoldAnswer = z
  .object({
    supplierId: z.string(),
    hold: wire.PaymentHold.optional(),
    releasedHold: wire.PaymentHold.optional(),
    purchaseOrders: z.object({ reached: z.array(z.string()), finished: z.array(z.string()) }),
  })
  .meta({ id: 'SupplierPaymentHoldAnswer' });

const csvOr = (schema: z.ZodType, example: unknown, csvExample: string) => ({
  'application/json': { schema, example },
  'text/csv': { schema: z.string(), example: csvExample },
});

function report(operationId: string, summary: string, query: z.ZodObject, schema: z.ZodType, example: unknown, csvExample: string) {
  return {
    get: {
      operationId,
      tags: ['Reports'],
      summary,
      description: 'Roles: finance, operator. Computed in SQL from the journals. `Accept: text/csv` answers the rows as CSV.',
      requestParams: { query },
      responses: { '200': { description: 'The report.', content: csvOr(schema, example, csvExample) }, ...problems(400, ...AUTHENTICATED) },
    },
  };
}

export function financePaths(): ZodOpenApiPathsObject {
  return {
    '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/hold': {
      post: command({ summary: 'Hold an invoice\'s payment (never paid while held)', roles: 'finance', body: wire.PaymentHoldRequest, example: hold, status: 200, response: wire.PurchaseOrderView, responseExample: examplePurchaseOrder, invoicePath: true }, 'holdInvoicePayment'),
    },
    '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/release': {
      post: command({ summary: 'Release an invoice\'s payment hold (a payment date passed meanwhile pays now)', roles: 'finance', body: wire.PaymentHoldRelease, example: { reason: 'Complaint settled' }, status: 200, response: wire.PurchaseOrderView, responseExample: examplePurchaseOrder, invoicePath: true }, 'releaseInvoicePayment'),
    },
    '/v1/purchase-orders/{poNumber}/approval': {
      post: command({ summary: 'Approve or reject a PO (or a change order) waiting in an approval tier', roles: 'approver (never the requester)', body: wire.ApprovalDecision, example: { decision: 'approve', reason: 'Within the Q4 budget' }, status: 200, response: wire.PurchaseOrderView, responseExample: examplePurchaseOrder }, 'decideApproval'),
    },
    '/v1/purchase-orders/{poNumber}/returns': {
      post: command({ summary: 'Return received goods to the supplier (RMA); a debit note for goods already invoiced', roles: 'warehouse', body: wire.ReturnToVendor, example: { rmaNumber: 'RMA-7781', reason: 'Damaged in transit', replacement: true, lines: [{ lineNo: 1, quantity: '4' }] }, status: 201, response: wire.PurchaseOrderView, responseExample: examplePurchaseOrder }, 'returnGoods'),
    },
    '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/disputes': {
      post: command({ summary: 'Dispute an invoice in exception with the supplier', roles: 'finance', body: wire.DisputeOpening, example: { message: 'We received 98, you billed 100: please credit 2' }, status: 201, response: wire.PurchaseOrderView, responseExample: examplePurchaseOrder, invoicePath: true }, 'openDispute'),
    },
    '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/disputes/{disputeId}/replies': {
      post: {
        ...command({ summary: 'Answer a dispute: a message, with a credit memo or a corrected invoice', roles: 'supplier (own POs), finance', body: wire.DisputeReply, example: { message: 'Agreed, credit attached', creditMemo: { creditMemoNumber: 'CM-0008', invoiceNumber: 'INV-2026-0042', lines: [{ lineNo: 1, quantity: '2', unitPrice: '0.45' }], total: '0.90' } }, status: 201, response: wire.PurchaseOrderView, responseExample: examplePurchaseOrder }, 'replyToDispute'),
        requestParams: {
          path: z.object({ poNumber: wire.PoNumber, invoiceNumber: wire.DocumentNumber, disputeId: z.string().meta({ example: 'DSP-INV-2026-0042-1' }) }),
          header: z.object({ 'Idempotency-Key': IdempotencyKeyHeader }),
        },
      },
    },
    '/v1/suppliers/{supplierId}/payment-hold': {
      post: {
        operationId: 'holdSupplierPayments',
        tags: ['Suppliers'],
        summary: 'Hold every unpaid invoice of a supplier, future ones included',
        description: 'Roles: finance. Recorded, then sent to each open PO of the supplier. The same body again answers 200 (and reaches POs a failed attempt missed); another hold while one is in force is 409 PAYMENT_HOLD_EXISTS; 503 HOLD_NOT_YET_EVERYWHERE asks for a retry.',
        requestParams: { path: z.object({ supplierId: wire.SupplierId }), header: z.object({ 'Idempotency-Key': IdempotencyKeyHeader }) },
        requestBody: { required: true, content: json(wire.PaymentHoldRequest, hold) },
        responses: {
          '201': { description: 'Held.', content: json(SupplierHoldAnswer, { supplierId: 'ACME', hold: placedHold, purchaseOrders: { reached: ['PO-10001'], finished: [] } }) },
          '200': { description: 'Already held with this body.', content: json(SupplierHoldAnswer, { supplierId: 'ACME', hold: placedHold, purchaseOrders: { reached: ['PO-10001'], finished: [] } }) },
          ...problems(400, ...AUTHENTICATED, 404, 409, 413, 415, 422),
        },
      },
      delete: {
        operationId: 'releaseSupplierPayments',
        tags: ['Suppliers'],
        summary: 'Release the supplier\'s payment hold (payment dates passed meanwhile pay now)',
        description: 'Roles: finance. Again after a release, it sends the release to POs that missed it.',
        requestParams: { path: z.object({ supplierId: wire.SupplierId }), header: z.object({ 'Idempotency-Key': IdempotencyKeyHeader }) },
        responses: {
          '200': { description: 'Released.', content: json(SupplierHoldAnswer, { supplierId: 'ACME', releasedHold: placedHold, purchaseOrders: { reached: ['PO-10001'], finished: [] } }) },
          ...problems(...AUTHENTICATED, 404),
        },
      },
    },
    '/v1/reports/grni-accrual': report('grniAccrualReport', 'GRNI accrual: received not invoiced, per PO line, with age', wire.AsOfQuery, wire.GrniAccrualReport,
      { asOf: '2026-11-30', generatedAt: '2026-12-01T08:00:00.000Z', rows: [{ poNumber: 'PO-10001', supplierId: 'ACME', lineNo: 1, sku: 'BOLT-M8', currency: 'USD', amount: '45.00', oldestReceiptAt: '2026-11-20T10:00:00.000Z', ageDays: 10 }], totals: [{ currency: 'USD', amount: '45.00' }] },
      'poNumber,supplierId,lineNo,sku,currency,amount,oldestReceiptAt,ageDays\nPO-10001,ACME,1,BOLT-M8,USD,45.00,2026-11-20T10:00:00.000Z,10\n'),
    '/v1/reports/ap-aging': report('apAgingReport', 'AP aging: open invoices by due-date bucket', wire.AsOfQuery, wire.ApAgingReport,
      { asOf: '2026-11-30', generatedAt: '2026-12-01T08:00:00.000Z', rows: [{ poNumber: 'PO-10001', supplierId: 'ACME', invoiceNumber: 'INV-2026-0042', currency: 'USD', dueDate: '2026-11-10', daysOverdue: 20, bucket: '1-30', amount: '50.00' }], buckets: [{ currency: 'USD', bucket: '1-30', amount: '50.00', invoices: 1 }] },
      'poNumber,supplierId,invoiceNumber,currency,dueDate,daysOverdue,bucket,amount\nPO-10001,ACME,INV-2026-0042,USD,2026-11-10,20,1-30,50.00\n'),
    '/v1/reports/ppv': report('ppvReport', 'Purchase price variance by supplier, for a period', wire.PeriodQuery, wire.PpvReport,
      { from: '2026-11-01', to: '2026-11-30', generatedAt: '2026-12-01T08:00:00.000Z', rows: [{ supplierId: 'ACME', currency: 'USD', amount: '3.00', entries: 1 }], totals: [{ currency: 'USD', amount: '3.00' }] },
      'supplierId,currency,amount,entries\nACME,USD,3.00,1\n'),
    '/v1/reports/trial-balance': report('trialBalanceReport', 'Trial balance per account and currency', wire.AsOfQuery, wire.TrialBalanceReport,
      { asOf: '2026-11-30', generatedAt: '2026-12-01T08:00:00.000Z', rows: [{ account: 'AP', name: 'Accounts payable', category: 'liability', currency: 'USD', debit: '50.00', credit: '50.00', balance: '0.00' }], totals: [{ currency: 'USD', debit: '50.00', credit: '50.00' }] },
      'account,name,category,currency,debit,credit,balance\nAP,Accounts payable,liability,USD,50.00,50.00,0.00\n'),
  };
}
