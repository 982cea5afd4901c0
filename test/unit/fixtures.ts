/**
 * The people and the purchase order the domain's unit tests share: a buyer, supplier ACME, the
 * warehouse, an AP clerk, and a PO issued on 2 November 2026 with whatever lines a test needs.
 */
import { initialState } from '../../workflows/domain/lifecycle/apply';
import { CreatePurchaseOrder } from '../../workflows/domain/schemas';
import type { PaymentTerms, Tolerances } from '../../workflows/domain/schemas';
import type { Actor, PoState } from '../../workflows/domain/state';
import { resolveTolerances } from '../../workflows/domain/policy';

export const buyer: Actor = { role: 'procurement', id: 'procurement#buyer' };
export const supplier: Actor = { role: 'supplier', id: 'supplier:ACME', supplierId: 'ACME' };
export const warehouse: Actor = { role: 'warehouse', id: 'warehouse#wms' };
export const finance: Actor = { role: 'finance', id: 'finance#clerk' };
export const system: Actor = { role: 'system', id: 'workflow' };
export const AT = '2026-11-02T09:00:00.000Z';

export type LineSpec = { lineNo: number; quantity: string; unitPrice: string; kind?: 'goods' | 'service' };

export interface IssueOptions {
  poNumber?: string;
  tolerances?: Tolerances;
  paymentTerms?: PaymentTerms;
  at?: string;
}

/** A PO of supplier ACME in USD as issued, each line's sku `SKU-<lineNo>`. */
export function issuedPo(lines: LineSpec[], options: IssueOptions = {}): PoState {
  return initialState({
    type: 'po.issued',
    at: options.at ?? AT,
    actor: buyer,
    requestHash: 'hash',
    po: CreatePurchaseOrder.parse({
      poNumber: options.poNumber ?? 'PO-1001',
      supplierId: 'ACME',
      currency: 'USD',
      lines: lines.map((l) => ({ sku: `SKU-${l.lineNo}`, ...l })),
    }),
    policy: {
      paymentTerms: options.paymentTerms ?? { netDays: 30, discountPercent: '2', discountDays: 10 },
      tolerances: resolveTolerances(options.tolerances),
      slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' },
      captureDiscounts: true,
    },
  });
}
