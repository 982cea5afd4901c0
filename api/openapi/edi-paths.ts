/** The EDI X12 operations of the HTTP API (docs/edi.md): inbound interchanges and the interchange log. */
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import * as wire from '../../workflows/domain/schemas/edi';
import { AUTHENTICATED, json, problems } from './components';

const example997 = [
  'ISA*00*          *00*          *ZZ*P2PORCH        *ZZ*ACMEEDI        *261201*0900*U*00401*000000017*0*P*>~',
  'GS*FA*P2PORCH*ACMEEDI*20261201*0900*17*X*004010~',
  'ST*997*0017~',
  'AK1*IN*5004~',
  'AK2*810*0001~',
  'AK5*A~',
  'AK9*A*1*1*1~',
  'SE*6*0017~',
  'GE*1*17~',
  'IEA*1*000000017~',
].join('\n');

const example810 = [
  'ISA*00*          *00*          *ZZ*ACMEEDI        *ZZ*P2PORCH        *261201*0900*U*00401*000005004*0*P*>~',
  'GS*IN*ACMEEDI*P2PORCH*20261201*0900*5004*X*004010~',
  'ST*810*0001~',
  'BIG*20261205*INV-2026-0042**PO-10001~',
  'IT1*1*10*EA*12.5*PE*BP*BOLT-M8~',
  'TDS*12500~',
  'SE*5*0001~',
  'GE*1*5004~',
  'IEA*1*000005004~',
].join('\n');

const exampleInterchange: wire.EdiInterchange = {
  id: '3c1f52d7-8a0b-4d6e-9c3a-1b2e4f6a8c0d',
  direction: 'inbound',
  supplierId: 'ACME',
  controlNumber: '000005004',
  groupControlNumbers: ['5004'],
  setIds: ['810'],
  documentType: null,
  purpose: null,
  status: 'accepted',
  poNumbers: ['PO-10001'],
  sets: [{ setId: '810', controlNumber: '0001', status: 'accepted', documentKey: 'INV-2026-0042', poNumber: 'PO-10001', codes: [], segmentErrors: [] }],
  acknowledgementRaw: example997,
  acknowledgement: null,
  deliveryUrl: null,
  attempts: 0,
  lastError: null,
  deliveredAt: null,
  createdAt: '2026-12-01T09:00:01.000Z',
  raw: example810,
};

const READERS = 'Roles: operator, finance; a supplier key sees its own interchanges only.';
const ediHeaders = {
  'edi-interchange-id': { description: 'The interchange in the log (GET /v1/edi/interchanges/{interchangeId}).', schema: { type: 'string' as const } },
  'edi-interchange-status': { description: 'accepted, partially_accepted or rejected.', schema: { type: 'string' as const } },
  'edi-replayed': { description: '`true` when the same interchange was processed before and its 997 is answered again.', schema: { type: 'string' as const, enum: ['true', 'false'] } },
};

export function ediPaths(): ZodOpenApiPathsObject {
  return {
    '/v1/edi/inbound': {
      post: {
        operationId: 'receiveEdiInterchange',
        tags: ['EDI'],
        summary: 'Send an X12 interchange (855, 856, 810, 997); the answer is its 997',
        description:
          'Roles: supplier (its own trading-partner identity in ISA05/ISA06). One interchange per request. Each transaction set is applied as the API command it maps to (855 → acknowledgement, 856 → ASN, 810 → invoice or credit memo, 997 → recorded on our 850/860); a bad set is rejected in the 997 (AK5 R with AK3/AK4) and changes nothing while the other sets apply. The same interchange again answers the same 997. An interchange that cannot be read or names another partner is a problem+json and applies nothing.',
        requestBody: { required: true, content: { 'application/edi-x12': { schema: z.string(), example: example810 } } },
        responses: {
          '200': { description: 'The 997 functional acknowledgement of the interchange.', headers: ediHeaders, content: { 'application/edi-x12': { schema: z.string(), example: example997 } } },
          ...problems(400, ...AUTHENTICATED, 409, 413, 415, 422),
        },
      },
    },
    '/v1/edi/interchanges': {
      get: {
        operationId: 'listEdiInterchanges',
        tags: ['EDI'],
        summary: 'The interchange log, newest first: inbound and outbound, raw X12 and 997 outcome',
        description: `${READERS} \`direction=outbound\` lists every 850/860 we wrote, for pickup, delivered or not.`,
        requestParams: { query: wire.EdiInterchangeListQuery },
        responses: { '200': { description: 'A page of interchanges.', content: json(wire.EdiInterchangePage, { items: [exampleInterchange], nextCursor: null }) }, ...problems(400, ...AUTHENTICATED) },
      },
    },
    '/v1/edi/interchanges/{interchangeId}': {
      get: {
        operationId: 'getEdiInterchange',
        tags: ['EDI'],
        summary: 'One interchange of the log',
        description: READERS,
        requestParams: { path: z.object({ interchangeId: z.string() }) },
        responses: { '200': { description: 'The interchange.', content: json(wire.EdiInterchange, exampleInterchange) }, ...problems(...AUTHENTICATED, 404) },
      },
    },
  };
}
