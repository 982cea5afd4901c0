/**
 * EDI X12 over HTTP (docs/edi.md): a supplier POSTs an interchange and gets its 997; the
 * interchange log is read by operators and finance, and by each supplier for its own.
 */
import express, { Router } from 'express';
import type { EdiPort } from '../../activities/ports';
import { EDI_CONTENT_TYPE } from '../../activities/edi/x12/syntax';
import { EdiInterchangeListQuery } from '../../workflows/domain/schemas';
import { allowRoles, assertSupplierMaySee, callerOf } from '../auth';
import { ApiError, cursorRefusal, InputError, NotFoundError, zodIssuesToErrors } from '../errors';
import type { EdiInbound } from '../edi/inbound';

export interface EdiRouteDeps {
  edi: EdiPort;
  inbound: EdiInbound;
  bodyLimit: string;
}

/** Mounted at /v1/edi before the JSON body parser: the inbound body is X12 text. */
export function ediRouter({ edi, inbound, bodyLimit }: EdiRouteDeps): Router {
  const router = Router();

  router.post('/inbound', allowRoles('supplier'), express.text({ type: EDI_CONTENT_TYPE, limit: bodyLimit }), async (req, res) => {
    if (!req.is(EDI_CONTENT_TYPE)) {
      throw new ApiError(415, `Send the interchange with Content-Type: ${EDI_CONTENT_TYPE} (got ${req.headers['content-type'] ?? 'no Content-Type'}).`, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const raw = typeof req.body === 'string' ? req.body : '';
    if (raw.trim() === '') throw new InputError('The body is empty; send one X12 interchange (ISA … IEA).', undefined, 'EDI_EMPTY');
    if (raw.includes('\u0000')) throw new InputError('The interchange contains the NUL character.', undefined, 'NUL_CHARACTER');
    const answer = await inbound.receive(raw, { kind: 'api', actor: callerOf(req) });
    res
      .status(200)
      .set({ 'edi-interchange-id': answer.interchangeId, 'edi-interchange-status': answer.status, 'edi-replayed': String(answer.replayed) })
      .type(EDI_CONTENT_TYPE)
      .send(answer.acknowledgement);
  });

  const readers = allowRoles('operator', 'finance', 'supplier');

  router.get('/interchanges', readers, async (req, res) => {
    const actor = callerOf(req);
    const parsed = EdiInterchangeListQuery.safeParse(req.query);
    if (!parsed.success) throw new InputError('The query parameters are invalid.', zodIssuesToErrors(parsed.error));
    const query = parsed.data;
    // A supplier key lists its own interchanges, whatever supplierId it asks for.
    const scoped = actor.role === 'supplier' ? { ...query, supplierId: actor.supplierId ?? '\u0000none' } : query;
    const page = await edi.listInterchanges(scoped).catch(cursorRefusal(query.cursor));
    res.json(page);
  });

  router.get('/interchanges/:interchangeId', readers, async (req, res) => {
    const actor = callerOf(req);
    const id = String(req.params.interchangeId);
    const message = `No EDI interchange ${id}.`;
    const interchange = /^[0-9a-f-]{36}$/.test(id) ? await edi.getInterchange(id) : undefined;
    if (!interchange) throw new NotFoundError(message, 'EDI_INTERCHANGE_NOT_FOUND');
    assertSupplierMaySee(actor, interchange.supplierId, message, 'EDI_INTERCHANGE_NOT_FOUND');
    res.json(interchange);
  });

  return router;
}
