/**
 * Supplier-wide payment holds (docs/api.md; docs/adr/0051-supplier-holds-reach-open-pos.md):
 * finance holds every unpaid invoice of a supplier, future ones included, and releases them. The
 * hold is recorded in the ERP first (so new POs start held, and the payment activity refuses to pay
 * whatever the PO knows), then sent to each open PO of the supplier as an Update, which is a no-op
 * on a PO that already has it: a retried request finishes what a failed one started.
 */
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { FinancePort, SupplierHold } from '../../activities/ports';
import { PaymentHoldRequest, SupplierId } from '../../workflows/domain/schemas';
import type { Actor } from '../../workflows/domain/state';
import { placeSupplierHold, releaseSupplierHold } from '../../workflows/purchase-order/definitions';
import { allowRoles, callerOf } from '../auth';
import { hashBody } from '../canonical';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../errors';
import { assertReleaseDateAhead } from './finance';
import type { PurchaseOrderGateway } from '../gateway';

/** Updates sent at once; a supplier with thousands of open POs is reached in waves. */
const FAN_OUT_CONCURRENCY = 8;

function supplierIdParam(req: Request): string {
  const parsed = SupplierId.safeParse(req.params.supplierId);
  if (!parsed.success) throw new NotFoundError(`No supplier ${String(req.params.supplierId)}.`, 'SUPPLIER_NOT_FOUND');
  return parsed.data;
}

interface FanOutResult {
  /** POs that now follow the hold (or its release). */
  reached: string[];
  /** POs that finished meanwhile: nothing left to hold. */
  finished: string[];
}

export function supplierHoldsRouter({ finance, gateway, idempotent }: { finance: FinancePort; gateway: PurchaseOrderGateway; idempotent: RequestHandler }): Router {
  const router = Router();

  /** Sends one Update to every open PO of the supplier; a PO that cannot be reached now fails the request (503), to be retried. */
  async function fanOut(supplierId: string, send: (poNumber: string) => Promise<unknown>): Promise<FanOutResult> {
    const poNumbers = await finance.openPurchaseOrderNumbers(supplierId);
    const result: FanOutResult = { reached: [], finished: [] };
    const failed: string[] = [];
    for (let i = 0; i < poNumbers.length; i += FAN_OUT_CONCURRENCY) {
      const wave = poNumbers.slice(i, i + FAN_OUT_CONCURRENCY);
      const outcomes = await Promise.allSettled(wave.map((poNumber) => send(poNumber)));
      outcomes.forEach((outcome, index) => {
        const poNumber = wave[index]!;
        if (outcome.status === 'fulfilled') result.reached.push(poNumber);
        else if (outcome.reason instanceof WorkflowNotFoundError || isFinished(outcome.reason)) result.finished.push(poNumber);
        else failed.push(poNumber);
      });
    }
    if (failed.length > 0) {
      throw new ServiceUnavailableError(`The hold is recorded, but ${failed.length} open purchase order(s) (${failed.slice(0, 5).join(', ')}) could not be told yet; retry the same request.`, 'HOLD_NOT_YET_EVERYWHERE');
    }
    return result;
  }

  function placeOn(actor: Actor, hold: SupplierHold) {
    const body = { holdId: hold.holdId, reason: hold.reason, ...(hold.releaseOn ? { releaseOn: hold.releaseOn } : {}), placedAt: hold.placedAt };
    return (poNumber: string) => gateway.execute(actor, poNumber, placeSupplierHold, { actor, body, bodyHash: hashBody(body) }, `${placeSupplierHold.name}:${hold.holdId}`);
  }

  router.post('/:supplierId/payment-hold', allowRoles('finance'), idempotent, async (req, res) => {
    const supplierId = supplierIdParam(req);
    const actor = callerOf(req);
    const request = PaymentHoldRequest.parse(req.body);
    assertReleaseDateAhead(request.releaseOn, new Date().toISOString().slice(0, 10));
    const placed = await finance.placeSupplierHold(supplierId, request, actor, new Date().toISOString());
    if (placed.outcome === 'unknown_supplier') throw new NotFoundError(`No supplier ${supplierId}.`, 'SUPPLIER_NOT_FOUND');
    if (placed.outcome === 'conflict') {
      throw new ConflictError(`Supplier ${supplierId} is already on payment hold ${placed.hold.holdId} since ${placed.hold.placedAt} (${placed.hold.reason}); release it first.`, 'PAYMENT_HOLD_EXISTS');
    }
    const purchaseOrders = await fanOut(supplierId, placeOn(actor, placed.hold));
    res.status(placed.outcome === 'placed' ? 201 : 200).json({ supplierId, hold: placed.hold, purchaseOrders });
  });

  router.delete('/:supplierId/payment-hold', allowRoles('finance'), idempotent, async (req, res) => {
    const supplierId = supplierIdParam(req);
    const actor = callerOf(req);
    const released = await finance.releaseSupplierHold(supplierId, actor, new Date().toISOString());
    if (!released) throw new NotFoundError(`Supplier ${supplierId} has no payment hold to release.`, 'NO_PAYMENT_HOLD');
    const body = { holdId: released.hold.holdId };
    const purchaseOrders = await fanOut(supplierId, (poNumber) =>
      gateway.execute(actor, poNumber, releaseSupplierHold, { actor, body, bodyHash: hashBody(body) }, `${releaseSupplierHold.name}:${released.hold.holdId}`),
    );
    res.json({ supplierId, releasedHold: released.hold, purchaseOrders });
  });

  return router;
}

/** The gateway's answer for a PO that closed or was cancelled meanwhile. */
function isFinished(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'PO_CLOSED' || code === 'PO_CANCELLED' || code === 'PURCHASE_ORDER_NOT_FOUND';
}
