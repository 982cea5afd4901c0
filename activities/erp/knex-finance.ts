/**
 * Finance in the reference ERP as the API reaches it: supplier payment holds (kept on the supplier
 * row, which the payment activity reads, and in `supplier_payment_holds` for the record) and the
 * reports computed from the journals (./knex-reports.ts).
 */
import type { Knex } from 'knex';
import type { PaymentHoldRequest } from '../../workflows/domain/schemas';
import type { Actor } from '../../workflows/domain/state';
import type { FinancePort, SupplierHold, SupplierHoldPlacementResult } from '../ports';
import { KnexReports } from './knex-reports';
import { iso, json } from './rows';

interface HoldRow {
  hold_id: string;
  reason: string;
  release_on: string | null;
  placed_at: Date;
  placed_by: Actor;
  released_at: Date | null;
}

function toHold(row: HoldRow): SupplierHold {
  return { holdId: row.hold_id, reason: row.reason, ...(row.release_on ? { releaseOn: row.release_on } : {}), placedAt: iso(row.placed_at), placedBy: row.placed_by };
}

export class KnexFinance extends KnexReports implements FinancePort {
  constructor(knex: Knex) {
    super(knex);
  }

  async placeSupplierHold(supplierId: string, request: PaymentHoldRequest, actor: Actor, at: string): Promise<SupplierHoldPlacementResult> {
    return this.knex.transaction(async (trx) => {
      // The supplier row is the lock: two holds placed at once are decided one after the other.
      const supplier = await trx('suppliers').where({ supplier_id: supplierId }).forUpdate().first('supplier_id');
      if (!supplier) return { outcome: 'unknown_supplier' };
      // A hold whose release date has begun is over: it is closed here before a new one is placed.
      await trx('supplier_payment_holds')
        .where({ supplier_id: supplierId })
        .whereNull('released_at')
        .whereRaw('release_on <= ?::timestamptz::date', [at])
        .update({ released_at: at, released_by: json({ role: 'system', id: 'system' }) });
      const current = await trx('supplier_payment_holds').where({ supplier_id: supplierId }).whereNull('released_at').first<HoldRow | undefined>();
      if (current) {
        const same = current.reason === request.reason && (current.release_on ?? undefined) === request.releaseOn;
        return { outcome: same ? 'same' : 'conflict', hold: toHold(current) };
      }
      const [{ count }] = await trx('supplier_payment_holds').where({ supplier_id: supplierId }).count<{ count: string }[]>({ count: '*' });
      const hold: SupplierHold = {
        holdId: `SH-${supplierId}-${Number(count) + 1}`,
        reason: request.reason,
        ...(request.releaseOn !== undefined ? { releaseOn: request.releaseOn } : {}),
        placedAt: at,
        placedBy: actor,
      };
      await trx('supplier_payment_holds').insert({
        hold_id: hold.holdId,
        supplier_id: supplierId,
        reason: hold.reason,
        release_on: hold.releaseOn ?? null,
        placed_at: at,
        placed_by: json(actor),
      });
      await trx('suppliers').where({ supplier_id: supplierId }).update({ payment_hold: json(hold), updated_at: at });
      return { outcome: 'placed', hold };
    });
  }

  async releaseSupplierHold(supplierId: string, actor: Actor, at: string): Promise<{ hold: SupplierHold; released: boolean } | undefined> {
    return this.knex.transaction(async (trx) => {
      await trx('suppliers').where({ supplier_id: supplierId }).forUpdate().first('supplier_id');
      const current = await trx('supplier_payment_holds').where({ supplier_id: supplierId }).whereNull('released_at').first<HoldRow | undefined>();
      if (current) {
        await trx('supplier_payment_holds').where({ hold_id: current.hold_id }).update({ released_at: at, released_by: json(actor) });
        await trx('suppliers').where({ supplier_id: supplierId }).update({ payment_hold: null, updated_at: at });
        return { hold: toHold(current), released: true };
      }
      const last = await trx('supplier_payment_holds').where({ supplier_id: supplierId }).orderBy('id', 'desc').first<HoldRow | undefined>();
      return last ? { hold: toHold(last), released: false } : undefined;
    });
  }

  async openPurchaseOrderNumbers(supplierId: string): Promise<string[]> {
    const rows = await this.knex('purchase_orders').where({ supplier_id: supplierId }).whereNotIn('status', ['closed', 'cancelled']).orderBy('po_number').select<{ po_number: string }[]>('po_number');
    return rows.map((row) => row.po_number);
  }
}
