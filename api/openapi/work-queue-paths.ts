/** Finance's work queue and a PO's journal in the OpenAPI document (docs/api.md, docs/console.md). */
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import * as wire from '../../workflows/domain/schemas';
import { AUTHENTICATED, problems } from './components';

const exampleException = {
  poNumber: 'PO-10001',
  exceptionId: 'EXC-1',
  supplierId: 'ACME',
  code: 'MATCH_EXCEPTION',
  invoiceNumber: 'INV-2026-0042',
  reasons: [{ code: 'PRICE_VARIANCE', message: 'Line 1: invoiced unit price 10.30 differs from 10.00 by more than 0.20', expected: '10.00', actual: '10.30', tolerance: '0.20' }],
  currency: 'USD',
  amount: '103.00',
  openedAt: '2026-11-27T09:30:00.000Z',
  ageDays: 3,
  escalatedAt: null,
};

/** The `Link: <…>; rel="next"` header of a paged listing, for CSV clients. */
export const nextPageLinkHeader = {
  Link: { description: 'The next page, when there is one: `</v1/…?cursor=…>; rel="next"`.', schema: { type: 'string' as const } },
};

export function workQueuePaths(): ZodOpenApiPathsObject {
  return {
    '/v1/exceptions': {
      get: {
        operationId: 'listOpenExceptions',
        tags: ['Purchase orders'],
        summary: 'Open exceptions across purchase orders (finance\'s work queue)',
        description:
          'Roles: finance, operator. Oldest first by default (`sort=-age`); `sort=-amount` largest first. `reason` filters on a match reason code or an exception code. Paged by an opaque `cursor`; `Accept: text/csv` answers the page as CSV (reasons as space-separated codes).',
        requestParams: { query: wire.ExceptionListQuery },
        responses: {
          '200': {
            description: 'One page of open exceptions.',
            headers: nextPageLinkHeader,
            content: {
              'application/json': { schema: wire.OpenExceptionPage, example: { items: [exampleException], nextCursor: null } },
              'text/csv': {
                schema: z.string(),
                example:
                  'poNumber,exceptionId,supplierId,code,invoiceNumber,reasonCodes,currency,amount,openedAt,ageDays,escalatedAt\nPO-10001,EXC-1,ACME,MATCH_EXCEPTION,INV-2026-0042,PRICE_VARIANCE,USD,103.00,2026-11-27T09:30:00.000Z,3,\n',
              },
            },
          },
          ...problems(400, ...AUTHENTICATED),
        },
      },
    },
    '/v1/purchase-orders/{poNumber}/journal': {
      get: {
        operationId: 'getPurchaseOrderJournal',
        tags: ['Purchase orders'],
        summary: 'The journal entries a purchase order posted, oldest first',
        description: 'Roles: finance, operator.',
        requestParams: { path: z.object({ poNumber: wire.PoNumber }) },
        responses: {
          '200': {
            description: 'The PO\'s journal.',
            content: {
              'application/json': {
                schema: wire.PurchaseOrderJournal,
                example: {
                  poNumber: 'PO-10001',
                  entries: [
                    {
                      entryId: '17',
                      eventType: 'goods.received',
                      description: 'Goods receipt GR-1',
                      currency: 'USD',
                      postedAt: '2026-11-28T10:00:00.000Z',
                      lines: [
                        { lineNo: 1, account: 'INVENTORY', debit: '100.00', credit: '0.00', memo: 'BOLT-M8' },
                        { lineNo: 2, account: 'GRNI', debit: '0.00', credit: '100.00', memo: 'BOLT-M8' },
                      ],
                    },
                  ],
                },
              },
            },
          },
          ...problems(...AUTHENTICATED, 404),
        },
      },
    },
  };
}
