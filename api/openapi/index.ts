/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the API validates
 * requests with and the workflow's state is typed by. Served at /v1/openapi.json, rendered at /docs.
 */
import { createDocument } from 'zod-openapi';
import { paths } from './paths';

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
      { name: 'Events', description: 'Event subscriptions, dead letters and redrive, the AsyncAPI event catalog' },
      { name: 'EDI', description: 'EDI X12 with trading partners: inbound 855/856/810/997, the interchange log' },
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
