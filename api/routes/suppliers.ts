/**
 * Supplier master data: procurement maintains it; finance and operators read it; a supplier key
 * reads its own record only. The webhook secret is write-only.
 */
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import type { ReadModelPort, SupplierRecord } from '../../activities/ports';
import { SupplierId, SupplierInput } from '../../workflows/domain/schemas';
import type { Supplier } from '../../workflows/domain/state';
import { allowRoles, assertSupplierMaySee, callerOf } from '../auth';
import { AdapterRefusal } from '../../activities/errors';
import { ConflictError, InputError, NotFoundError, zodIssuesToErrors } from '../errors';

const NOT_FOUND_CODE = 'SUPPLIER_NOT_FOUND';

function supplierIdParam(req: Request): string {
  const parsed = SupplierId.safeParse(req.params.supplierId);
  if (!parsed.success) throw new NotFoundError(`No supplier ${String(req.params.supplierId)}.`, NOT_FOUND_CODE);
  return parsed.data;
}

/** What callers see: never the webhook secret itself. */
export function publicSupplier(record: Supplier | SupplierRecord): Supplier {
  return {
    supplierId: record.supplierId,
    name: record.name,
    currency: record.currency,
    paymentTerms: record.paymentTerms,
    tolerances: record.tolerances,
    slas: record.slas,
    webhookUrl: record.webhookUrl,
    hasWebhookSecret: record.hasWebhookSecret,
    paymentHold: record.paymentHold,
    edi: record.edi ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function suppliersRouter({ readModel, idempotent }: { readModel: ReadModelPort; idempotent: RequestHandler }): Router {
  const router = Router();

  router.put('/:supplierId', allowRoles('procurement'), idempotent, async (req, res) => {
    // Creating under an id that is not allowed is a bad request, not an unknown supplier.
    const parsedId = SupplierId.safeParse(req.params.supplierId);
    if (!parsedId.success) {
      throw new InputError('The supplier id in the URL is invalid.', zodIssuesToErrors(parsedId.error).map((issue) => ({ ...issue, path: 'supplierId' })));
    }
    const supplierId = parsedId.data;
    const input = SupplierInput.parse(req.body);
    const { supplier } = await readModel.upsertSupplier(supplierId, input).catch((error: unknown) => {
      if (error instanceof AdapterRefusal) throw new ConflictError(error.message, error.code);
      throw error;
    });
    res.json(publicSupplier(supplier));
  });

  router.get('/:supplierId', allowRoles('procurement', 'finance', 'operator', 'supplier'), async (req, res) => {
    const actor = callerOf(req);
    const supplierId = supplierIdParam(req);
    const message = `No supplier ${supplierId}.`;
    // Checked before the lookup, so another supplier's id answers the same whether it exists or not.
    assertSupplierMaySee(actor, supplierId, message, NOT_FOUND_CODE);
    const record = await readModel.getSupplier(supplierId);
    if (!record) throw new NotFoundError(message, NOT_FOUND_CODE);
    res.json(publicSupplier(record));
  });

  return router;
}
