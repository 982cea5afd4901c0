/**
 * Row mapping shared by the ERP's write side and its read model.
 */
import type { EdiProfile, PaymentTerms, SupplierSlas, Tolerances } from '../../workflows/domain/schemas';
import { round2 } from '../../workflows/domain/money';
import { DEFAULT_PAYMENT_TERMS } from '../../workflows/domain/policy';
import type { PaymentHold, Supplier } from '../../workflows/domain/state';
import type { SupplierRecord } from '../ports';

export const iso = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());
/** pg's array serialisation would turn a JS array into a PostgreSQL array; jsonb wants JSON text. */
export const json = (value: unknown): string => JSON.stringify(value ?? null);

/**
 * The items of a PO (its lines, invoices, exceptions) that one event changed: those whose
 * fingerprint differs from the same item's before the event, so only their rows are written. Without
 * the PO as it was (events that carry the whole PO), all of them.
 */
export function changedItems<Po, Item>(
  previous: Po | undefined,
  current: Po,
  items: (po: Po) => readonly Item[],
  key: (item: Item) => unknown,
  fingerprint: (po: Po, item: Item) => string,
): Item[] {
  if (!previous) return [...items(current)];
  const before = new Map(items(previous).map((item) => [key(item), fingerprint(previous, item)]));
  return items(current).filter((item) => before.get(key(item)) !== fingerprint(current, item));
}

export interface SupplierRow {
  supplier_id: string;
  name: string;
  currency: string;
  payment_terms: PaymentTerms | null;
  tolerances: Tolerances;
  slas: SupplierSlas;
  webhook_url: string | null;
  webhook_secret: string | null;
  /** Finance's supplier-wide payment hold, kept on the supplier row (docs/adr/0051-supplier-holds-reach-open-pos.md). */
  payment_hold?: PaymentHold | null;
  /** The EDI trading-partner profile (docs/edi.md). */
  edi?: EdiProfile | null;
  created_at: Date;
  updated_at: Date;
}

export function toSupplierRecord(row: SupplierRow): SupplierRecord {
  return {
    supplierId: row.supplier_id,
    name: row.name,
    currency: row.currency,
    paymentTerms: row.payment_terms ?? { ...DEFAULT_PAYMENT_TERMS },
    tolerances: row.tolerances,
    slas: row.slas,
    webhookUrl: row.webhook_url,
    hasWebhookSecret: row.webhook_secret !== null,
    webhookSecret: row.webhook_secret,
    paymentHold: row.payment_hold ?? null,
    edi: row.edi ?? null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function withoutSecret({ webhookSecret: _secret, ...supplier }: SupplierRecord): Supplier {
  return supplier;
}

/** The columns every purchase-order list row has (the PO list and the buyers' work list). */
export interface PurchaseOrderListRow {
  po_number: string;
  supplier_id: string;
  currency: string;
  status: string;
  total: string;
  has_open_exception: boolean;
  created_at: Date;
}

/** A purchase-order list row's common fields, as the API writes them. */
export function purchaseOrderListFields<S extends string>(row: PurchaseOrderListRow & { status: S }) {
  return {
    poNumber: row.po_number,
    supplierId: row.supplier_id,
    currency: row.currency,
    status: row.status,
    total: round2(row.total),
    hasOpenException: row.has_open_exception,
    createdAt: iso(row.created_at),
  };
}
