/**
 * The building blocks of the OpenAPI document that are the API's own (problems, health, paging,
 * headers); every business shape comes from the domain's zod schemas (`workflows/domain/schemas/`).
 */
import { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { DocumentNumber, PoNumber, PurchaseOrderSummary, PurchaseOrderView } from '../../workflows/domain/schemas';
import { SupplierPurchaseOrderView, orAsASupplierSeesIt } from '../supplier-view';

export const ProblemSchema = z
  .looseObject({
    type: z.string().meta({ example: 'urn:p2p-orchestrator:problem:asn-exceeds-open-quantity' }),
    title: z.string().meta({ example: 'Unprocessable Entity' }),
    status: z.number().int().meta({ example: 422 }),
    detail: z.string().meta({ example: 'ASN quantity 12 for line 1 exceeds the open quantity 10.' }),
    code: z.string().optional().meta({ description: 'Stable machine-readable code.', example: 'ASN_EXCEEDS_OPEN_QUANTITY' }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .optional()
      .meta({ description: 'The OpenTelemetry trace id of the request, when tracing is on.', example: '4bf92f3577b34da6a3ce929d0e0e4736' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      temporal: z.object({ ok: z.boolean(), error: z.string().optional() }),
      database: z.object({ ok: z.boolean(), error: z.string().optional() }),
      workers: z
        .object({ ok: z.boolean(), pollers: z.number().int().min(0).optional(), error: z.string().optional() })
        .meta({
          description:
            'Whether any worker polls the purchase orders\' task queue (Temporal\'s DescribeTaskQueue, cached a few seconds). Reported, not required: without workers, PO reads come from the ERP snapshot and commands answer 503 WORKER_UNAVAILABLE.',
        }),
    }),
  })
  .meta({ id: 'Readiness' });

export const ServedFromSchema = z.enum(['workflow', 'snapshot']).meta({
  description: '`workflow`: the PO\'s workflow answered. `snapshot`: no worker could answer; the ERP\'s snapshot, the PO as its last command left it.',
});

/** GET /v1/purchase-orders/{poNumber}: the PO (as a supplier key sees it, for a supplier), and where the answer came from. */
export const PurchaseOrderReadSchema = z.union([
  PurchaseOrderView.extend({ servedFrom: ServedFromSchema }).meta({
    id: 'PurchaseOrderRead',
    description: 'Full state of a purchase order, and whether its workflow or the ERP snapshot answered.',
  }),
  SupplierPurchaseOrderView.extend({ servedFrom: ServedFromSchema }).meta({
    id: 'SupplierPurchaseOrderRead',
    description: 'A purchase order as a supplier key sees it, and whether its workflow or the ERP snapshot answered.',
  }),
]);

export const PurchaseOrderPageSchema = z
  .object({ items: z.array(PurchaseOrderSummary), nextCursor: z.string().nullable() })
  .meta({ id: 'PurchaseOrderPage' });

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
  503: 'A part is down; retry later (see Retry-After). `code` says which: TEMPORAL_UNAVAILABLE (the workflow service), DATABASE_UNAVAILABLE (the ERP database), WORKER_UNAVAILABLE (Temporal is up, but no worker answered for the PO in time), COMMAND_TIMEOUT (accepted, but not finished in time; retry the same request).',
};

export function problems(...statuses: number[]): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: PROBLEM_DESCRIPTIONS[status]!, content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
}

export const AUTHENTICATED = [401, 403, 429, 503];
export const WRITE_PROBLEMS = [400, ...AUTHENTICATED, 404, 409, 413, 415, 422];

export const IdempotencyKeyHeader = z.string().min(1).max(255).optional().meta({
  description:
    'IETF httpapi Idempotency-Key: the same key and body replay the first response (with `Idempotent-Replayed: true`); the same key with another body is 422; while the first request runs, 409.',
  example: '"6f1c2f0e-4a9b-4b8e-9d43-8c7f0a3e5b21"',
});

export function json(schema: z.ZodType, example: unknown) {
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

export function command(spec: CommandSpec, operationId: string): ZodOpenApiOperationObject {
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
      [String(spec.status)]: {
        description: 'Accepted by the purchase order.',
        // A supplier key's answer is projected (api/supplier-view.ts).
        content: json(/\bsupplier\b/.test(spec.roles) ? orAsASupplierSeesIt(spec.response) : spec.response, spec.responseExample),
      },
      ...problems(...WRITE_PROBLEMS),
    },
  };
}
