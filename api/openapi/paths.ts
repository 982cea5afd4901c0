/** Every operation of the HTTP API, with its roles, parameters, bodies, answers and examples. */
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import * as wire from '../../workflows/domain/schemas';
import { PurchaseOrderListQuery } from '../routes/purchase-orders';
import { KpiQuery } from '../routes/ops';
import { financePaths } from './finance-paths';
import { eventPaths } from './event-paths';
import { ediPaths } from './edi-paths';
import {
  AUTHENTICATED,
  HealthSchema,
  IdempotencyKeyHeader,
  PurchaseOrderPageSchema,
  PurchaseOrderReadSchema,
  ReadinessSchema,
  ServedFromSchema,
  command,
  json,
  problems,
} from './components';
import { orAsASupplierSeesIt } from '../supplier-view';
import { nextPageLinkHeader, workQueuePaths } from './work-queue-paths';
import {
  exampleCreatePurchaseOrder,
  exampleInvoice,
  exampleKpis,
  examplePurchaseOrder,
  exampleSupplier,
  exampleSupplierInput,
  matchedExample,
} from './examples';

export function paths(): ZodOpenApiPathsObject {
  const poPath = z.object({ poNumber: wire.PoNumber });
  return {
    ...financePaths(),
    ...eventPaths(),
    ...ediPaths(),
    ...workQueuePaths(),
    '/v1/suppliers/{supplierId}': {
      put: {
        operationId: 'upsertSupplier',
        tags: ['Suppliers'],
        summary: 'Create or update a supplier',
        description: 'Roles: procurement.',
        requestParams: { path: z.object({ supplierId: wire.SupplierId }), header: z.object({ 'Idempotency-Key': IdempotencyKeyHeader }) },
        requestBody: { required: true, content: json(wire.SupplierInput, exampleSupplierInput) },
        responses: { '200': { description: 'The supplier as stored.', content: json(wire.Supplier, exampleSupplier) }, ...problems(400, ...AUTHENTICATED, 409, 413, 415, 422) },
      },
      get: {
        operationId: 'getSupplier',
        tags: ['Suppliers'],
        summary: 'Read a supplier',
        description: 'Roles: procurement, finance, operator, and that supplier (without the buyer\'s tolerances and SLAs).',
        requestParams: { path: z.object({ supplierId: wire.SupplierId }) },
        responses: { '200': { description: 'The supplier.', content: json(orAsASupplierSeesIt(wire.Supplier), exampleSupplier) }, ...problems(400, ...AUTHENTICATED, 404) },
      },
    },
    '/v1/purchase-orders': {
      post: {
        operationId: 'createPurchaseOrder',
        tags: ['Purchase orders'],
        summary: 'Issue a purchase order',
        description:
          'Roles: procurement. Starts the PO workflow. The same body again answers 200 with the same result; another body under the same poNumber is 409; an unknown supplier is 422.',
        requestParams: { header: z.object({ 'Idempotency-Key': IdempotencyKeyHeader }) },
        requestBody: { required: true, content: json(wire.CreatePurchaseOrder, exampleCreatePurchaseOrder) },
        responses: {
          '201': {
            description: 'Issued.',
            content: json(wire.PurchaseOrderCreated, { poNumber: 'PO-10001', workflowId: 'purchase-order:PO-10001', status: 'issued' }),
          },
          '200': {
            description: 'Already issued with this same body.',
            content: json(wire.PurchaseOrderCreated, { poNumber: 'PO-10001', workflowId: 'purchase-order:PO-10001', status: 'acknowledged' }),
          },
          ...problems(400, ...AUTHENTICATED, 409, 413, 415, 422),
        },
      },
      get: {
        operationId: 'listPurchaseOrders',
        tags: ['Purchase orders'],
        summary: 'List purchase orders, newest first',
        description: 'Roles: all. A supplier key lists only its own POs. `Accept: text/csv` answers the page as CSV.',
        requestParams: { query: PurchaseOrderListQuery },
        responses: {
          '200': {
            description: 'One page.',
            headers: nextPageLinkHeader,
            content: {
              'text/csv': {
                schema: z.string(),
                example: 'poNumber,supplierId,currency,status,total,hasOpenException,buyer,createdAt,updatedAt\nPO-10001,ACME,USD,issued,45.00,false,jane.buyer@distributor.example,2026-11-27T09:30:00.000Z,2026-11-27T09:30:00.000Z\n',
              },
              ...json(PurchaseOrderPageSchema, {
              items: [
                {
                  poNumber: 'PO-10001',
                  supplierId: 'ACME',
                  currency: 'USD',
                  status: 'issued',
                  total: '45.00',
                  hasOpenException: false,
                  buyer: 'jane.buyer@distributor.example',
                  createdAt: '2026-11-27T09:30:00.000Z',
                  updatedAt: '2026-11-27T09:30:00.000Z',
                },
              ],
              nextCursor: null,
              }),
            },
          },
          ...problems(400, ...AUTHENTICATED),
        },
      },
    },
    '/v1/purchase-orders/{poNumber}': {
      get: {
        operationId: 'getPurchaseOrder',
        tags: ['Purchase orders'],
        summary: 'Full state of a purchase order',
        description:
          'Roles: all (a supplier: its own POs only; others are 404). Answered by the PO\'s workflow; when no worker answers within WORKER_QUERY_TIMEOUT_MS, from the ERP\'s snapshot (the PO as its last command left it), marked `Served-From: snapshot` and `servedFrom: "snapshot"`. A PO the ERP has not recorded yet then answers 503 WORKER_UNAVAILABLE.',
        requestParams: { path: poPath },
        responses: {
          '200': {
            description: 'The PO.',
            headers: z.object({ 'Served-From': ServedFromSchema }),
            content: json(PurchaseOrderReadSchema, { ...examplePurchaseOrder, servedFrom: 'workflow' }),
          },
          ...problems(400, ...AUTHENTICATED, 404, 409),
        },
      },
    },
    '/v1/purchase-orders/{poNumber}/acknowledgement': {
      post: command(
        {
          summary: 'Supplier acknowledgement (accept, reject, or accept with changes)',
          roles: 'supplier (own POs)',
          body: wire.Acknowledgement,
          example: { type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: '2026-12-09' }] },
          status: 200,
          response: wire.PurchaseOrderView,
          responseExample: examplePurchaseOrder,
        },
        'acknowledgePurchaseOrder',
      ),
    },
    '/v1/purchase-orders/{poNumber}/change-decision': {
      post: command(
        {
          summary: 'Buyer decision on supplier-proposed changes',
          roles: 'procurement',
          body: wire.ChangeDecision,
          example: { decision: 'approve', reason: 'Later date is acceptable' },
          status: 200,
          response: wire.PurchaseOrderView,
          responseExample: examplePurchaseOrder,
        },
        'decideChanges',
      ),
    },
    '/v1/purchase-orders/{poNumber}/changes': {
      post: command(
        {
          summary: 'Buyer change order (needs a new supplier acknowledgement)',
          roles: 'procurement',
          body: wire.ChangeOrder,
          example: { lines: [{ lineNo: 1, action: 'change', quantity: '120' }], reason: 'Demand increase' },
          status: 200,
          response: wire.PurchaseOrderView,
          responseExample: { ...examplePurchaseOrder, status: 'issued' },
        },
        'changePurchaseOrder',
      ),
    },
    '/v1/purchase-orders/{poNumber}/cancel': {
      post: command(
        {
          summary: 'Cancel a purchase order (until the first receipt; 409 after)',
          roles: 'procurement',
          body: wire.CancelPurchaseOrder,
          example: { reason: 'Customer order cancelled' },
          status: 200,
          response: wire.PurchaseOrderView,
          responseExample: { ...examplePurchaseOrder, status: 'cancelled' },
        },
        'cancelPurchaseOrder',
      ),
    },
    '/v1/purchase-orders/{poNumber}/asns': {
      post: command(
        {
          summary: 'Advance ship notice',
          roles: 'supplier (own POs)',
          body: wire.AdvanceShipNotice,
          example: { asnNumber: 'ASN-7781', shipDate: '2026-12-05', carrier: 'UPS', trackingNumber: '1Z999', lines: [{ lineNo: 1, quantity: '100' }] },
          status: 201,
          response: wire.PurchaseOrderView,
          responseExample: { ...examplePurchaseOrder, status: 'in_transit' },
        },
        'submitAsn',
      ),
    },
    '/v1/purchase-orders/{poNumber}/receipts': {
      post: command(
        {
          summary: 'Goods receipt',
          roles: 'warehouse',
          body: wire.GoodsReceipt,
          example: { receiptNumber: 'GR-5521', location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '98', quantityRejected: '2' }] },
          status: 201,
          response: wire.PurchaseOrderView,
          responseExample: { ...examplePurchaseOrder, status: 'partially_received' },
        },
        'postReceipt',
      ),
    },
    '/v1/purchase-orders/{poNumber}/invoices': {
      post: command(
        {
          summary: 'Supplier invoice (three-way matched on arrival)',
          roles: 'supplier (own POs), finance',
          body: wire.Invoice,
          example: exampleInvoice,
          status: 201,
          response: wire.InvoiceOutcome,
          responseExample: { invoiceNumber: 'INV-2026-0042', status: 'scheduled', match: matchedExample },
        },
        'submitInvoice',
      ),
    },
    '/v1/purchase-orders/{poNumber}/credit-memos': {
      post: command(
        {
          summary: 'Credit memo against an invoice',
          roles: 'supplier (own POs), finance',
          body: wire.CreditMemo,
          example: { creditMemoNumber: 'CM-0007', invoiceNumber: 'INV-2026-0042', lines: [{ lineNo: 1, quantity: '2', unitPrice: '0.45' }], total: '0.90' },
          status: 201,
          response: wire.PurchaseOrderView,
          responseExample: examplePurchaseOrder,
        },
        'submitCreditMemo',
      ),
    },
    '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/resolution': {
      post: command(
        {
          summary: 'Resolve a match exception (approve with override, or reject)',
          roles: 'finance',
          body: wire.InvoiceResolution,
          example: { action: 'approve', reason: 'Price increase agreed by phone with the buyer' },
          status: 200,
          response: wire.PurchaseOrderView,
          responseExample: examplePurchaseOrder,
          invoicePath: true,
        },
        'resolveInvoice',
      ),
    },
    '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/payment-status': {
      post: command(
        {
          summary: 'Payment status reported by the AP tool or the bank',
          roles: 'finance',
          body: wire.PaymentStatusReport,
          example: { status: 'cleared', reference: 'BANK-REF-88121' },
          status: 200,
          response: wire.PurchaseOrderView,
          responseExample: examplePurchaseOrder,
          invoicePath: true,
        },
        'reportPaymentStatus',
      ),
    },
    '/v1/kpis': {
      get: {
        operationId: 'getKpis',
        tags: ['Operations'],
        summary: 'Procure-to-pay KPIs',
        description: 'Roles: finance, operator.',
        requestParams: { query: KpiQuery },
        responses: {
          '200': {
            description: 'KPIs computed from the ERP database now.',
            content: json(wire.Kpis, exampleKpis),
          },
          ...problems(...AUTHENTICATED),
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'liveness',
        tags: ['Operations'],
        summary: 'Liveness: the process is up',
        security: [],
        responses: { '200': { description: 'Up.', content: json(HealthSchema, { status: 'ok' }) } },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readiness',
        tags: ['Operations'],
        summary: 'Readiness: Temporal and the ERP database answer',
        security: [],
        responses: {
          '200': {
            description: 'Ready.',
            content: json(ReadinessSchema, { status: 'ready', checks: { temporal: { ok: true }, database: { ok: true }, workers: { ok: true, pollers: 2 } } }),
          },
          '503': {
            description: 'Not ready; says which dependency failed.',
            content: json(ReadinessSchema, {
              status: 'not_ready',
              checks: { temporal: { ok: false, error: 'UNAVAILABLE' }, database: { ok: true }, workers: { ok: false, error: 'grpc code 14' } },
            }),
          },
        },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        tags: ['Operations'],
        summary: 'This OpenAPI 3.1 document',
        security: [],
        responses: { '200': { description: 'The document.', content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }), example: { openapi: '3.1.0' } } } } },
      },
    },
    '/docs': {
      get: {
        operationId: 'apiDocs',
        tags: ['Operations'],
        summary: 'This document rendered (Swagger UI, served locally)',
        security: [],
        responses: { '200': { description: 'An HTML page.', content: { 'text/html': { schema: z.string(), example: '<!doctype html>' } } } },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: ['Operations'],
        summary: 'Prometheus metrics',
        security: [],
        responses: {
          '200': {
            description: 'Prometheus text format.',
            content: { 'text/plain': { schema: z.string(), example: 'http_requests_total{method="GET",route="/healthz",status="200"} 3\n' } },
          },
        },
      },
    },
  };
}
