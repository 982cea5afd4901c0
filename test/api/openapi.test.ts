import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validate } from '@readme/openapi-parser';
import { openApiDocument } from '../../api/openapi';
import { openApiValidator, startApi } from './api-harness';
import type { ApiUnderTest } from './api-harness';

/** Every endpoint of docs/api.md: the document must describe each of them. */
const ENDPOINTS: [string, string][] = [
  ['put', '/v1/suppliers/{supplierId}'],
  ['get', '/v1/suppliers/{supplierId}'],
  ['post', '/v1/purchase-orders'],
  ['get', '/v1/purchase-orders'],
  ['get', '/v1/purchase-orders/{poNumber}'],
  ['post', '/v1/purchase-orders/{poNumber}/acknowledgement'],
  ['post', '/v1/purchase-orders/{poNumber}/change-decision'],
  ['post', '/v1/purchase-orders/{poNumber}/changes'],
  ['post', '/v1/purchase-orders/{poNumber}/cancel'],
  ['post', '/v1/purchase-orders/{poNumber}/asns'],
  ['post', '/v1/purchase-orders/{poNumber}/receipts'],
  ['post', '/v1/purchase-orders/{poNumber}/invoices'],
  ['post', '/v1/purchase-orders/{poNumber}/credit-memos'],
  ['post', '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/resolution'],
  ['post', '/v1/purchase-orders/{poNumber}/invoices/{invoiceNumber}/payment-status'],
  ['get', '/v1/kpis'],
  ['get', '/v1/exceptions'],
  ['get', '/v1/purchase-orders/{poNumber}/journal'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
  ['post', '/v1/edi/inbound'],
  ['get', '/v1/edi/interchanges'],
  ['get', '/v1/edi/interchanges/{interchangeId}'],
];

type Operation = {
  security?: unknown[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { example?: unknown }> }>;
};

describe('OpenAPI 3.1 document', () => {
  let api: ApiUnderTest;
  let served: any;

  before(async () => {
    api = await startApi();
    served = (await api.request('GET', '/v1/openapi.json')).body;
  });
  after(async () => {
    await api.close();
  });

  it('is a valid OpenAPI 3.1 document according to a standard validator', async () => {
    assert.equal(served.openapi, '3.1.0');
    const result = await validate(structuredClone(served));
    assert.equal(result.valid, true, JSON.stringify(result));
    assert.deepEqual(served, JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('describes every endpoint with bearer security, problem+json errors and an example', () => {
    assert.deepEqual(served.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      description: served.components.securitySchemes.bearerAuth.description,
    });
    for (const [method, path] of ENDPOINTS) {
      const operation = served.paths[path]?.[method] as Operation | undefined;
      assert.ok(operation, `${method.toUpperCase()} ${path} missing`);
      const isPublic = ['/healthz', '/readyz', '/metrics'].includes(path);
      if (isPublic) assert.deepEqual(operation.security, []);
      else {
        assert.equal(operation.security, undefined, 'inherits the document-wide bearer security');
        assert.ok(operation.responses['401']?.content?.['application/problem+json'], `${path} documents 401 problem+json`);
      }
      if (method !== 'get') {
        // JSON everywhere, X12 text for EDI interchanges.
        const request = operation.requestBody?.content['application/json'] ?? operation.requestBody?.content['application/edi-x12'];
        assert.ok(request?.example, `${method} ${path} has a request example`);
      }
      const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'));
      assert.ok(success, `${path} has a success response`);
      const media = Object.values(success[1].content ?? {})[0];
      assert.ok(media?.example !== undefined, `${method} ${path} has a response example`);
    }
  });

  it('has examples that satisfy its own request and response schemas', () => {
    const validator = openApiValidator(served);
    for (const [method, path] of ENDPOINTS) {
      const operation = served.paths[path][method] as Operation;
      const requestExample = operation.requestBody?.content['application/json']?.example;
      if (requestExample !== undefined) {
        assert.equal(validator.requestBody(method, path, requestExample), null, `request example of ${method} ${path}`);
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [mediaType, content] of Object.entries(response.content ?? {})) {
          if (content.example === undefined || mediaType === 'text/plain') continue;
          assert.equal(validator.response(method, path, Number(status), mediaType, content.example), null, `${status} example of ${method} ${path}`);
        }
      }
    }
  });

  it('generates request schemas from the shared zod schemas (what the API accepts, the workflow accepts)', () => {
    const schemas = served.components.schemas;
    for (const id of ['CreatePurchaseOrder', 'Acknowledgement', 'AdvanceShipNotice', 'GoodsReceipt', 'Invoice', 'CreditMemo', 'InvoiceResolution', 'PaymentStatusReport', 'SupplierInput', 'Problem', 'PurchaseOrder']) {
      assert.ok(schemas[id], `component ${id}`);
    }
    assert.deepEqual(schemas.Invoice.required.sort(), ['currency', 'invoiceDate', 'invoiceNumber', 'lines', 'total']);
    assert.equal(schemas.Invoice.additionalProperties, false);
  });

  it('renders the docs offline from locally served Swagger UI assets', async () => {
    const page = await api.request('GET', '/docs');
    assert.equal(page.status, 200);
    assert.match(page.text, /swagger-ui-bundle\.js/);
    assert.doesNotMatch(page.text, /https?:\/\//, 'no asset from the internet');
    for (const asset of ['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/p2p-initializer.js', '/docs/swagger-ui-standalone-preset.js']) {
      const response = await api.request('GET', asset);
      assert.equal(response.status, 200, asset);
    }
    assert.match((await api.request('GET', '/docs/p2p-initializer.js')).text, /\/v1\/openapi\.json/);
  });

  it('tells an integrator everything a response can be: x-request-id on every response, 415 on writes, its own and the docs URL', async () => {
    const openapi = served.paths['/v1/openapi.json']?.get as Operation | undefined;
    assert.ok(openapi, 'GET /v1/openapi.json is documented');
    assert.deepEqual(openapi.security, []);
    assert.ok(openapi.responses['200']?.content?.['application/json']);
    const docs = served.paths['/docs']?.get as Operation | undefined;
    assert.ok(docs, 'GET /docs is documented');
    assert.deepEqual(docs.security, []);
    assert.ok(docs.responses['200']?.content?.['text/html']);

    for (const [path, item] of Object.entries(served.paths as Record<string, Record<string, Operation & { responses: Record<string, { headers?: Record<string, unknown> }> }>>)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          assert.ok(response.headers?.['x-request-id'], `${method.toUpperCase()} ${path} ${status} documents x-request-id`);
        }
        if (method !== 'get' && operation.requestBody) {
          assert.ok(operation.responses['415']?.content?.['application/problem+json'], `${method.toUpperCase()} ${path} documents 415 (a body that is not UTF-8 JSON)`);
        }
      }
    }
    // A mangled URL (`/v1/purchase-orders/%E0%A4%A`) is a 400 MALFORMED_URL on reads too.
    assert.ok(served.paths['/v1/purchase-orders/{poNumber}'].get.responses['400']);
    assert.ok(served.paths['/v1/suppliers/{supplierId}'].get.responses['400']);
    // A PO just issued answers its reads with 409 PO_NOT_READY for a moment.
    assert.ok(served.paths['/v1/purchase-orders/{poNumber}'].get.responses['409']);
    // PUT creates: an id that is not allowed is 400, never "not found".
    assert.equal(served.paths['/v1/suppliers/{supplierId}'].put.responses['404'], undefined);
    // The full PO state names every field the README promises, `policy` included.
    assert.ok(served.components.schemas.PurchaseOrder.required.includes('policy'));
    // A replayed write says so.
    assert.ok(served.paths['/v1/purchase-orders/{poNumber}/asns'].post.responses['201'].headers['Idempotent-Replayed']);
  });
});
