/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the API and the
 * workflow validate with (request bodies), plus zod descriptions of the responses. Served at
 * /v1/openapi.json and rendered at /docs.
 */
import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import {
  Acknowledgement,
  AdvanceShipNotice,
  CancelPurchaseOrder,
  ChangeDecision,
  ChangeOrder,
  CreatePurchaseOrder,
  CreditMemo,
  DocumentNumber,
  GoodsReceipt,
  Invoice,
  InvoiceResolution,
  PaymentStatusReport,
  PaymentTerms,
  PoNumber,
  SupplierId,
  SupplierInput,
  SupplierSlas,
  Tolerances,
} from '../workflows/domain/schemas';
import { PO_STATUSES, PurchaseOrderListQuery } from './routes/purchase-orders';

// ---------------------------------------------------------------------------------------------
// Response schemas. Objects are open (additional properties allowed): SPEC §7 promises "at
// least" these fields, and clients must tolerate new ones.
// ---------------------------------------------------------------------------------------------

const Decimal = z.string().meta({ description: 'Decimal string.', example: '120.00' });
const Timestamp = z.string().meta({ description: 'ISO 8601 instant.', example: '2026-11-27T09:30:00.000Z' });
const CalendarDate = z.string().meta({ description: 'YYYY-MM-DD.', example: '2026-12-01' });

export const ProblemSchema = z
  .looseObject({
    type: z.string().meta({ example: 'urn:p2p-orchestrator:problem:asn-exceeds-open-quantity' }),
    title: z.string().meta({ example: 'Unprocessable Entity' }),
    status: z.number().int().meta({ example: 422 }),
    detail: z.string().meta({ example: 'ASN quantity 12 for line 1 exceeds the open quantity 10.' }),
    code: z.string().optional().meta({ description: 'Stable machine-readable code.', example: 'ASN_EXCEEDS_OPEN_QUANTITY' }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

const ActorSchema = z
  .looseObject({
    role: z.enum(['procurement', 'supplier', 'warehouse', 'finance', 'operator', 'system']),
    id: z.string(),
    supplierId: z.string().optional(),
  })
  .meta({ id: 'Actor' });

const PoStatusSchema = z.enum(PO_STATUSES as [string, ...string[]]).meta({ id: 'PoStatus' });
const InvoiceStatusSchema = z
  .enum(['pending_receipt', 'exception', 'approved', 'scheduled', 'paid', 'rejected'])
  .meta({ id: 'InvoiceStatus' });

const MatchReasonSchema = z
  .looseObject({
    code: z.string().meta({ example: 'PRICE_VARIANCE' }),
    message: z.string(),
    expected: Decimal,
    actual: Decimal,
    tolerance: Decimal,
  })
  .meta({ id: 'MatchReason' });

const MatchResultSchema = z
  .looseObject({
    status: z.enum(['matched', 'exception', 'pending_receipt']),
    reasons: z.array(MatchReasonSchema),
    lines: z.array(
      z.looseObject({
        lineNo: z.number().int(),
        status: z.enum(['matched', 'exception', 'pending_receipt']),
        reasons: z.array(MatchReasonSchema),
      }),
    ),
    matchedAt: Timestamp,
  })
  .meta({ id: 'MatchResult' });

const PaymentSchema = z
  .looseObject({
    status: z.enum(['scheduled', 'executed', 'sent', 'cleared', 'failed']),
    dueDate: CalendarDate,
    discountDate: CalendarDate.optional(),
    scheduledFor: Timestamp,
    amount: Decimal,
    discount: Decimal,
    paymentId: z.string().optional(),
    reference: z.string().optional(),
    executedAt: Timestamp.optional(),
    attempt: z.number().int(),
  })
  .meta({ id: 'Payment' });

const PoLineSchema = z
  .looseObject({
    lineNo: z.number().int(),
    sku: z.string(),
    description: z.string().optional(),
    kind: z.enum(['goods', 'service']),
    uom: z.string(),
    quantity: Decimal,
    confirmedQuantity: Decimal,
    shippedQuantity: Decimal,
    receivedQuantity: Decimal,
    rejectedQuantity: Decimal,
    invoicedQuantity: Decimal,
    paidQuantity: Decimal,
    unitPrice: Decimal,
    agreedUnitPrice: Decimal,
    requestedDate: CalendarDate.optional(),
    promisedDate: CalendarDate.optional(),
    acknowledgementStatus: z.enum(['accepted', 'changed', 'rejected', 'backordered']).optional(),
    cancelled: z.boolean(),
  })
  .meta({ id: 'PurchaseOrderLine' });

const InvoiceStateSchema = z
  .looseObject({
    invoiceNumber: z.string(),
    invoiceDate: CalendarDate,
    currency: z.string(),
    status: InvoiceStatusSchema,
    total: Decimal,
    freight: Decimal,
    tax: Decimal,
    creditedTotal: Decimal,
    match: MatchResultSchema,
    payment: PaymentSchema.nullable(),
    submittedAt: Timestamp,
    submittedBy: ActorSchema,
    resolution: z
      .looseObject({ action: z.enum(['approve', 'reject']), reason: z.string(), by: ActorSchema, at: Timestamp })
      .optional(),
  })
  .meta({ id: 'PurchaseOrderInvoice' });

const ExceptionSchema = z
  .looseObject({
    id: z.string(),
    code: z.string().meta({ example: 'MATCH_EXCEPTION' }),
    invoiceNumber: z.string().optional(),
    status: z.enum(['open', 'approved', 'rejected', 'resolved']),
    openedAt: Timestamp,
    reasons: z.array(MatchReasonSchema),
    resolvedAt: Timestamp.optional(),
    resolvedBy: ActorSchema.optional(),
  })
  .meta({ id: 'PurchaseOrderException' });

const AcknowledgementRecordSchema = z
  .looseObject({
    type: z.enum(['accept', 'reject', 'accept_with_changes']),
    reason: z.string().optional(),
    lines: z.array(z.looseObject({ lineNo: z.number().int(), status: z.string() })).optional(),
    at: Timestamp,
    by: ActorSchema,
  })
  .meta({ id: 'AcknowledgementRecord' });

export const PurchaseOrderSchema = z
  .looseObject({
    poNumber: z.string(),
    supplierId: z.string(),
    currency: z.string(),
    buyer: z.string().optional(),
    status: PoStatusSchema,
    total: Decimal,
    hasOpenException: z.boolean(),
    requestHash: z.string(),
    createdAt: Timestamp,
    policy: z
      .looseObject({
        paymentTerms: PaymentTerms,
        tolerances: z.looseObject({ qtyOverPct: Decimal, priceVariancePct: Decimal, priceVarianceAbs: Decimal, totalVarianceAbs: Decimal }),
        slas: z.looseObject({ ackSla: z.string(), ackReminder: z.string(), lateDeliveryGrace: z.string(), exceptionSla: z.string() }),
        captureDiscounts: z.boolean(),
      })
      .meta({ id: 'PurchaseOrderPolicy', description: 'Payment terms, tolerances, timers and discount policy copied onto the PO when it was issued.' }),
    lines: z.array(PoLineSchema),
    acknowledgement: AcknowledgementRecordSchema.nullable(),
    pendingChanges: AcknowledgementRecordSchema.nullable(),
    asns: z.array(z.looseObject({ asnNumber: z.string(), shipDate: CalendarDate, lines: z.array(z.looseObject({ lineNo: z.number().int(), quantity: Decimal })) })),
    receipts: z.array(
      z.looseObject({
        receiptNumber: z.string(),
        receivedAt: Timestamp,
        location: z.string(),
        lines: z.array(z.looseObject({ lineNo: z.number().int(), quantityReceived: Decimal, quantityRejected: Decimal })),
      }),
    ),
    invoices: z.array(InvoiceStateSchema),
    creditMemos: z.array(z.looseObject({ creditMemoNumber: z.string(), invoiceNumber: z.string(), total: Decimal })),
    exceptions: z.array(ExceptionSchema),
    timeline: z.array(z.looseObject({ at: Timestamp, type: z.string(), actor: z.string(), detail: z.string().optional() })),
    cancelled: z.looseObject({ at: Timestamp, by: ActorSchema, reason: z.string() }).nullable(),
    closedAt: Timestamp.nullable(),
  })
  .meta({ id: 'PurchaseOrder', description: 'Full state of a purchase order (the `status` query of its workflow).' });

export const CreatedPurchaseOrderSchema = z
  .object({ poNumber: z.string(), workflowId: z.string(), status: PoStatusSchema })
  .meta({ id: 'PurchaseOrderCreated' });

const PurchaseOrderSummarySchema = z
  .looseObject({
    poNumber: z.string(),
    supplierId: z.string(),
    currency: z.string(),
    status: PoStatusSchema,
    total: Decimal,
    hasOpenException: z.boolean(),
    buyer: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'PurchaseOrderSummary' });

export const PurchaseOrderPageSchema = z
  .object({ items: z.array(PurchaseOrderSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'PurchaseOrderPage' });

export const InvoiceOutcomeSchema = z
  .looseObject({ invoiceNumber: z.string(), status: InvoiceStatusSchema, match: MatchResultSchema })
  .meta({ id: 'InvoiceOutcome' });

export const SupplierSchema = z
  .looseObject({
    supplierId: z.string(),
    name: z.string(),
    currency: z.string(),
    paymentTerms: PaymentTerms,
    tolerances: Tolerances,
    slas: SupplierSlas,
    webhookUrl: z.string().nullable(),
    hasWebhookSecret: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Supplier', description: 'Supplier master data; the webhook secret is never returned.' });

const Rate = z.number().min(0).max(1).nullable().meta({ description: 'Share between 0 and 1; null when there is nothing to measure.' });

export const KpisSchema = z
  .looseObject({
    generatedAt: Timestamp,
    acknowledgementCycleTime: z.object({
      acknowledgedPurchaseOrders: z.number().int(),
      averageHours: z.number().nullable(),
      medianHours: z.number().nullable(),
    }),
    invoiceMatching: z.object({
      invoices: z.number().int(),
      decidedInvoices: z.number().int(),
      firstPassMatched: z.number().int(),
      firstPassMatchRate: Rate,
      invoicesWithException: z.number().int(),
      exceptionRate: Rate,
    }),
    openExceptionsByAge: z.object({
      lessThan1Day: z.number().int(),
      from1To3Days: z.number().int(),
      from3To7Days: z.number().int(),
      moreThan7Days: z.number().int(),
      total: z.number().int(),
    }),
    daysToPay: z.object({ paidInvoices: z.number().int(), averageDays: z.number().nullable() }),
    discountsCaptured: z.array(z.object({ currency: z.string(), amount: Decimal, payments: z.number().int() })),
  })
  .meta({ id: 'Kpis' });

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      temporal: z.object({ ok: z.boolean(), error: z.string().optional() }),
      database: z.object({ ok: z.boolean(), error: z.string().optional() }),
    }),
  })
  .meta({ id: 'Readiness' });

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

const exampleSupplierInput = {
  name: 'Acme Industrial Supply',
  currency: 'USD',
  paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
  tolerances: { priceVariancePct: '0.02' },
  webhookUrl: 'https://portal.acme.example/p2p-webhooks',
};
const exampleSupplier = {
  supplierId: 'ACME',
  ...exampleSupplierInput,
  slas: {},
  hasWebhookSecret: false,
  createdAt: '2026-11-27T09:00:00.000Z',
  updatedAt: '2026-11-27T09:00:00.000Z',
};
const exampleCreatePurchaseOrder = {
  poNumber: 'PO-10001',
  supplierId: 'ACME',
  currency: 'USD',
  buyer: 'jane.buyer@distributor.example',
  lines: [{ lineNo: 1, sku: 'BOLT-M8', description: 'Hex bolt M8x40', quantity: '100', unitPrice: '0.45', requestedDate: '2026-12-10' }],
};
const matchedExample = {
  status: 'matched',
  reasons: [],
  lines: [{ lineNo: 1, status: 'matched', reasons: [] }],
  matchedAt: '2026-12-11T10:00:00.000Z',
};
const examplePurchaseOrder = {
  poNumber: 'PO-10001',
  supplierId: 'ACME',
  currency: 'USD',
  buyer: 'jane.buyer@distributor.example',
  status: 'acknowledged',
  total: '45.00',
  hasOpenException: false,
  requestHash: '5d41402abc4b2a76b9719d911017c592ae0f1b0c3e4f5a6b7c8d9e0f1a2b3c4d',
  createdAt: '2026-11-27T09:30:00.000Z',
  policy: {
    paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
    tolerances: { qtyOverPct: '0', priceVariancePct: '0.02', priceVarianceAbs: '0.00', totalVarianceAbs: '0.05' },
    slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '1d', exceptionSla: '72h' },
    captureDiscounts: true,
  },
  lines: [
    {
      lineNo: 1,
      sku: 'BOLT-M8',
      kind: 'goods',
      uom: 'EA',
      quantity: '100',
      confirmedQuantity: '100',
      shippedQuantity: '0',
      receivedQuantity: '0',
      rejectedQuantity: '0',
      invoicedQuantity: '0',
      paidQuantity: '0',
      unitPrice: '0.45',
      agreedUnitPrice: '0.45',
      requestedDate: '2026-12-10',
      promisedDate: '2026-12-09',
      acknowledgementStatus: 'accepted',
      cancelled: false,
    },
  ],
  acknowledgement: { type: 'accept', at: '2026-11-27T11:00:00.000Z', by: { role: 'supplier', id: 'supplier#a1b2c3', supplierId: 'ACME' } },
  pendingChanges: null,
  asns: [],
  receipts: [],
  invoices: [],
  creditMemos: [],
  exceptions: [],
  timeline: [
    { at: '2026-11-27T09:30:00.000Z', type: 'po.issued', actor: 'procurement#3f2a9c' },
    { at: '2026-11-27T11:00:00.000Z', type: 'po.acknowledged', actor: 'supplier#a1b2c3' },
  ],
  cancelled: null,
  closedAt: null,
};
const exampleInvoice = {
  invoiceNumber: 'INV-2026-0042',
  invoiceDate: '2026-12-11',
  currency: 'USD',
  lines: [{ lineNo: 1, quantity: '100', unitPrice: '0.45' }],
  freight: '5.00',
  tax: '0.00',
  total: '50.00',
};

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid body or parameters (the zod issues are listed in `errors`), a URL that is not valid percent-encoding (MALFORMED_URL), text with a NUL character (NUL_CHARACTER), a body nested too deeply (BODY_TOO_DEEP), or an amount larger than the ERP records (AMOUNT_OUT_OF_RANGE).',
  401: 'No API key, or an unknown one.',
  403: 'The key\'s role may not do this.',
  404: 'Unknown, or (for a supplier key) not this supplier\'s.',
  409: 'Conflicts with the current state, a duplicate with a different body, an Idempotency-Key still in flight, or (on reads) a purchase order still being issued (PO_NOT_READY; retry shortly).',
  413: 'Body larger than the configured limit (1 MB by default).',
  415: 'The body is not UTF-8 JSON, or its Content-Encoding is not supported.',
  422: 'A business rule refused the request, or an Idempotency-Key reused for another request.',
  429: 'Rate limit of this key exceeded; see Retry-After.',
  503: 'Temporal or the ERP database is unavailable; retry later.',
};

function problems(...statuses: number[]): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: PROBLEM_DESCRIPTIONS[status]!, content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
}

const AUTHENTICATED = [401, 403, 429, 503];
const WRITE_PROBLEMS = [400, ...AUTHENTICATED, 404, 409, 413, 415, 422];

const IdempotencyKeyHeader = z.string().min(1).max(255).optional().meta({
  description:
    'IETF httpapi Idempotency-Key: the same key and body replay the first response (with `Idempotent-Replayed: true`); the same key with another body is 422; while the first request runs, 409.',
  example: '"6f1c2f0e-4a9b-4b8e-9d43-8c7f0a3e5b21"',
});

function json(schema: z.ZodType, example: unknown) {
  return { 'application/json': { schema, example } };
}

interface CommandSpec {
  summary: string;
  roles: string;
  body: z.ZodType;
  example: unknown;
  status: 200 | 201;
  response: z.ZodType;
  responseExample: unknown;
  invoicePath?: boolean;
}

function command(spec: CommandSpec, operationId: string): ZodOpenApiOperationObject {
  return {
    operationId,
    tags: ['Purchase orders'],
    summary: spec.summary,
    description: `Roles: ${spec.roles}.`,
    requestParams: {
      path: spec.invoicePath ? z.object({ poNumber: PoNumber, invoiceNumber: DocumentNumber }) : z.object({ poNumber: PoNumber }),
      header: z.object({ 'Idempotency-Key': IdempotencyKeyHeader }),
    },
    requestBody: { required: true, content: json(spec.body, spec.example) },
    responses: {
      [String(spec.status)]: { description: 'Accepted by the purchase order.', content: json(spec.response, spec.responseExample) },
      ...problems(...WRITE_PROBLEMS),
    },
  };
}

function paths(): ZodOpenApiPathsObject {
  const poPath = z.object({ poNumber: PoNumber });
  return {
    '/v1/suppliers/{supplierId}': {
      put: {
        operationId: 'upsertSupplier',
        tags: ['Suppliers'],
        summary: 'Create or update a supplier',
        description: 'Roles: procurement.',
        requestParams: { path: z.object({ supplierId: SupplierId }), header: z.object({ 'Idempotency-Key': IdempotencyKeyHeader }) },
        requestBody: { required: true, content: json(SupplierInput, exampleSupplierInput) },
        responses: { '200': { description: 'The supplier as stored.', content: json(SupplierSchema, exampleSupplier) }, ...problems(400, ...AUTHENTICATED, 409, 413, 415, 422) },
      },
      get: {
        operationId: 'getSupplier',
        tags: ['Suppliers'],
        summary: 'Read a supplier',
        description: 'Roles: procurement, finance, operator, and that supplier.',
        requestParams: { path: z.object({ supplierId: SupplierId }) },
        responses: { '200': { description: 'The supplier.', content: json(SupplierSchema, exampleSupplier) }, ...problems(400, ...AUTHENTICATED, 404) },
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
        requestBody: { required: true, content: json(CreatePurchaseOrder, exampleCreatePurchaseOrder) },
        responses: {
          '201': {
            description: 'Issued.',
            content: json(CreatedPurchaseOrderSchema, { poNumber: 'PO-10001', workflowId: 'purchase-order:PO-10001', status: 'issued' }),
          },
          '200': {
            description: 'Already issued with this same body.',
            content: json(CreatedPurchaseOrderSchema, { poNumber: 'PO-10001', workflowId: 'purchase-order:PO-10001', status: 'acknowledged' }),
          },
          ...problems(400, ...AUTHENTICATED, 409, 413, 415, 422),
        },
      },
      get: {
        operationId: 'listPurchaseOrders',
        tags: ['Purchase orders'],
        summary: 'List purchase orders, newest first',
        description: 'Roles: all. A supplier key lists only its own POs.',
        requestParams: { query: PurchaseOrderListQuery },
        responses: {
          '200': {
            description: 'One page.',
            content: json(PurchaseOrderPageSchema, {
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
          ...problems(400, ...AUTHENTICATED),
        },
      },
    },
    '/v1/purchase-orders/{poNumber}': {
      get: {
        operationId: 'getPurchaseOrder',
        tags: ['Purchase orders'],
        summary: 'Full state of a purchase order',
        description: 'Roles: all (a supplier: its own POs only; others are 404).',
        requestParams: { path: poPath },
        responses: { '200': { description: 'The PO.', content: json(PurchaseOrderSchema, examplePurchaseOrder) }, ...problems(400, ...AUTHENTICATED, 404, 409) },
      },
    },
    '/v1/purchase-orders/{poNumber}/acknowledgement': {
      post: command(
        {
          summary: 'Supplier acknowledgement (accept, reject, or accept with changes)',
          roles: 'supplier (own POs)',
          body: Acknowledgement,
          example: { type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: '2026-12-09' }] },
          status: 200,
          response: PurchaseOrderSchema,
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
          body: ChangeDecision,
          example: { decision: 'approve', reason: 'Later date is acceptable' },
          status: 200,
          response: PurchaseOrderSchema,
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
          body: ChangeOrder,
          example: { lines: [{ lineNo: 1, action: 'change', quantity: '120' }], reason: 'Demand increase' },
          status: 200,
          response: PurchaseOrderSchema,
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
          body: CancelPurchaseOrder,
          example: { reason: 'Customer order cancelled' },
          status: 200,
          response: PurchaseOrderSchema,
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
          body: AdvanceShipNotice,
          example: { asnNumber: 'ASN-7781', shipDate: '2026-12-05', carrier: 'UPS', trackingNumber: '1Z999', lines: [{ lineNo: 1, quantity: '100' }] },
          status: 201,
          response: PurchaseOrderSchema,
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
          body: GoodsReceipt,
          example: { receiptNumber: 'GR-5521', location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '98', quantityRejected: '2' }] },
          status: 201,
          response: PurchaseOrderSchema,
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
          body: Invoice,
          example: exampleInvoice,
          status: 201,
          response: InvoiceOutcomeSchema,
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
          body: CreditMemo,
          example: { creditMemoNumber: 'CM-0007', invoiceNumber: 'INV-2026-0042', lines: [{ lineNo: 1, quantity: '2', unitPrice: '0.45' }], total: '0.90' },
          status: 201,
          response: PurchaseOrderSchema,
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
          body: InvoiceResolution,
          example: { action: 'approve', reason: 'Price increase agreed by phone with the buyer' },
          status: 200,
          response: PurchaseOrderSchema,
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
          body: PaymentStatusReport,
          example: { status: 'cleared', reference: 'BANK-REF-88121' },
          status: 200,
          response: PurchaseOrderSchema,
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
        responses: {
          '200': {
            description: 'KPIs computed from the ERP database now.',
            content: json(KpisSchema, {
              generatedAt: '2026-11-27T12:00:00.000Z',
              acknowledgementCycleTime: { acknowledgedPurchaseOrders: 42, averageHours: 7.5, medianHours: 4.25 },
              invoiceMatching: { invoices: 40, decidedInvoices: 38, firstPassMatched: 33, firstPassMatchRate: 0.8684, invoicesWithException: 5, exceptionRate: 0.125 },
              openExceptionsByAge: { lessThan1Day: 1, from1To3Days: 1, from3To7Days: 0, moreThan7Days: 0, total: 2 },
              daysToPay: { paidInvoices: 30, averageDays: 12.4 },
              discountsCaptured: [{ currency: 'USD', amount: '1234.50', payments: 12 }],
            }),
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
          '200': { description: 'Ready.', content: json(ReadinessSchema, { status: 'ready', checks: { temporal: { ok: true }, database: { ok: true } } }) },
          '503': {
            description: 'Not ready; says which dependency failed.',
            content: json(ReadinessSchema, {
              status: 'not_ready',
              checks: { temporal: { ok: false, error: 'UNAVAILABLE' }, database: { ok: true } },
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

let cached: ReturnType<typeof createDocument> | undefined;

type ResponseObject = { headers?: Record<string, unknown> };
type OperationObject = { responses?: Record<string, ResponseObject>; parameters?: { in?: string; name?: string }[] };

/**
 * Response headers the API sends on every response (x-request-id) or on every replayed write
 * (Idempotent-Replayed), declared once and referenced from each response.
 */
function withResponseHeaders(document: ReturnType<typeof createDocument>): ReturnType<typeof createDocument> {
  document.components ??= {};
  document.components.headers = {
    ...document.components.headers,
    RequestId: {
      description: 'The id of this request (the caller\'s own x-request-id when it is sane, else a new UUID); quote it when reporting a problem.',
      schema: { type: 'string' },
    },
    IdempotentReplayed: {
      description: '`true` when this response is the stored response of an earlier request with the same Idempotency-Key.',
      schema: { type: 'string', enum: ['true'] },
    },
  };
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item as Record<string, OperationObject>)) {
      const idempotent = operation.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'Idempotency-Key') ?? false;
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        response.headers = {
          ...response.headers,
          'x-request-id': { $ref: '#/components/headers/RequestId' },
          ...(idempotent && !status.startsWith('5') ? { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } } : {}),
        };
      }
    }
  }
  return document;
}

/** Built once per process: the schemas are static. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  cached ??= withResponseHeaders(createDocument({
    openapi: '3.1.0',
    info: {
      title: 'P2P Orchestrator API',
      version: '1.0.0',
      description:
        'Procure-to-pay on Temporal: every purchase order is a durable workflow. Errors are application/problem+json (RFC 9457); every response carries x-request-id.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'This API' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'Suppliers', description: 'Supplier master data' },
      { name: 'Purchase orders', description: 'Issue, track and act on purchase orders' },
      { name: 'Operations', description: 'Health, readiness, metrics and KPIs' },
    ],
    paths: paths(),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'API key configured in API_KEYS (key:role or key:supplier:<supplierId>).',
        },
      },
    },
  }));
  return cached;
}
