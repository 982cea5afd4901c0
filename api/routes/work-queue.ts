/**
 * Finance's work queue over HTTP (docs/api.md): open exceptions across POs, paged and filtered,
 * as JSON or CSV; and the journal entries one PO posted. The console reads the same port.
 */
import { Router } from 'express';
import type { WorkQueuePort } from '../../activities/ports';
import { ExceptionListQuery } from '../../workflows/domain/schemas';
import { allowRoles } from '../auth';
import { linkNextPage, prefersCsv, sendCsv } from '../csv';
import { cursorRefusal, InputError, NotFoundError, zodIssuesToErrors } from '../errors';
import { poNumberParam } from './purchase-orders';

export const EXCEPTION_CSV_COLUMNS = ['poNumber', 'exceptionId', 'supplierId', 'code', 'invoiceNumber', 'reasonCodes', 'currency', 'amount', 'openedAt', 'ageDays', 'escalatedAt'] as const;

/** Mounted under /v1. */
export function workQueueRouter({ workQueue }: { workQueue: WorkQueuePort }): Router {
  const router = Router();
  const readers = allowRoles('finance', 'operator');

  router.get('/exceptions', readers, async (req, res) => {
    const parsed = ExceptionListQuery.safeParse(req.query);
    if (!parsed.success) throw new InputError('The query parameters are invalid.', zodIssuesToErrors(parsed.error));
    const { cursor, ...filter } = parsed.data;
    const page = await workQueue.listOpenExceptions({ ...filter, ...(cursor ? { cursor } : {}) }).catch(cursorRefusal(cursor));
    linkNextPage(req, res, page.nextCursor);
    if (prefersCsv(req)) {
      const rows = page.items.map((item) => ({ ...item, reasonCodes: [...new Set(item.reasons.map((reason) => reason.code))].join(' ') }));
      sendCsv(res, 'open-exceptions', rows, EXCEPTION_CSV_COLUMNS);
      return;
    }
    res.json(page);
  });

  router.get('/purchase-orders/:poNumber/journal', readers, async (req, res) => {
    const poNumber = poNumberParam(req);
    const entries = await workQueue.journal(poNumber);
    if (!entries) throw new NotFoundError(`No purchase order ${poNumber}.`, 'PURCHASE_ORDER_NOT_FOUND');
    res.json({ poNumber, entries });
  });

  return router;
}
