/**
 * The reference ERP's read model: what the API reads (PO listing and snapshots, suppliers, KPIs,
 * balances) and the master data it maintains, from the tables `KnexErp` writes.
 */
import type { Knex } from 'knex';
import { normaliseDocumentNumber } from '../../workflows/domain/lookups';
import { round2 } from '../../workflows/domain/money';
import type { SupplierInput } from '../../workflows/domain/schemas';
import type { PoStatus, PoView, PurchaseOrderSummary, Supplier } from '../../workflows/domain/state';
import { AdapterRefusal, InvalidCursorError } from '../errors';
import type { DuplicateInvoiceCheck, Kpis, PurchaseOrderListFilter, ReadModelPort, SupplierRecord } from '../ports';
import { computeKpis } from './knex-kpis';
import type { KpiOptions } from './knex-finance-kpis';
import { iso, json, purchaseOrderListFields, toSupplierRecord, withoutSecret, type SupplierRow } from './rows';

export const MAX_PAGE_SIZE = 200;

interface ListingCursor {
  createdAt: string;
  poNumber: string;
}

function encodeCursor(cursor: ListingCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.poNumber]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): ListingCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string' &&
      !Number.isNaN(Date.parse(parsed[0]))
    ) {
      return { createdAt: parsed[0], poNumber: parsed[1] };
    }
  } catch {
    // fall through: any undecodable cursor is reported the same way
  }
  throw new InvalidCursorError();
}

export class KnexReadModel implements ReadModelPort {
  constructor(private readonly knex: Knex) {}

  /**
   * PUT semantics for everything the caller can read back. The webhook secret is write-only (it is
   * never returned), so a PUT without one keeps the current secret instead of silently dropping it.
   */
  async upsertSupplier(supplierId: string, input: SupplierInput): Promise<{ supplier: Supplier; created: boolean }> {
    const result = await this.knex
      .raw<{ rows: (SupplierRow & { created: boolean })[] }>(
      `insert into suppliers (supplier_id, name, currency, payment_terms, tolerances, slas, webhook_url, webhook_secret, edi)
       values (?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?::jsonb)
       on conflict (supplier_id) do update set
         name = excluded.name,
         currency = excluded.currency,
         payment_terms = excluded.payment_terms,
         tolerances = excluded.tolerances,
         slas = excluded.slas,
         webhook_url = excluded.webhook_url,
         webhook_secret = coalesce(excluded.webhook_secret, suppliers.webhook_secret),
         edi = excluded.edi,
         updated_at = now()
       returning *, (xmax = 0) as created`,
      [
        supplierId,
        input.name,
        input.currency,
        input.paymentTerms === undefined ? null : json(input.paymentTerms),
        json(input.tolerances ?? {}),
        json(input.slas ?? {}),
        input.webhookUrl ?? null,
        input.webhookSecret ?? null,
        input.edi === undefined ? null : json(input.edi),
      ],
    )
      .catch((error: unknown) => {
        // Two suppliers cannot be the same trading partner: inbound interchanges are routed by it.
        if ((error as { code?: string; constraint?: string }).constraint === 'suppliers_edi_identity') {
          throw new AdapterRefusal('EDI_PARTNER_IN_USE', `Another supplier already trades by EDI as ${input.edi?.qualifier ?? ''}/${input.edi?.id ?? ''}.`, 'conflict');
        }
        throw error;
      });
    const row = result.rows[0]!;
    return { supplier: withoutSecret(toSupplierRecord(row)), created: row.created };
  }

  async getSupplier(supplierId: string): Promise<SupplierRecord | undefined> {
    const row = await this.knex<SupplierRow>('suppliers').where({ supplier_id: supplierId }).first();
    return row ? toSupplierRecord(row) : undefined;
  }

  async checkDuplicateInvoice(supplierId: string, invoiceNumber: string, bodyHash: string): Promise<DuplicateInvoiceCheck> {
    const existing = await this.knex('invoices')
      .where({ supplier_id: supplierId, normalised_number: normaliseDocumentNumber(invoiceNumber) })
      .first<{ po_number: string; body_hash: string } | undefined>('po_number', 'body_hash');
    if (!existing) return { kind: 'none' };
    return existing.body_hash === bodyHash
      ? { kind: 'same', poNumber: existing.po_number }
      : { kind: 'conflict', poNumber: existing.po_number };
  }

  async listPurchaseOrders(
    filter: PurchaseOrderListFilter,
  ): Promise<{ items: PurchaseOrderSummary[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit) || 1, 1), MAX_PAGE_SIZE);
    const query = this.knex('purchase_orders')
      .select(
        'po_number',
        'supplier_id',
        'currency',
        'status',
        'total',
        'has_open_exception',
        'buyer',
        'created_at',
        'updated_at',
        // Exact to the microsecond, so the cursor compares equal to the stored value.
        this.knex.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_created_at`),
      )
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'po_number', order: 'desc' },
      ])
      .limit(limit + 1);
    if (filter.status !== undefined) query.where('status', filter.status);
    if (filter.supplierId !== undefined) query.where('supplier_id', filter.supplierId);
    if (filter.hasException !== undefined) query.where('has_open_exception', filter.hasException);
    if (filter.cursor !== undefined) {
      const cursor = decodeCursor(filter.cursor);
      query.whereRaw('(created_at, po_number) < (?::timestamptz, ?)', [cursor.createdAt, cursor.poNumber]);
    }

    const rows = (await query) as {
      po_number: string;
      supplier_id: string;
      currency: string;
      status: PoStatus;
      total: string;
      has_open_exception: boolean;
      buyer: string | null;
      created_at: Date;
      updated_at: Date;
      cursor_created_at: string;
    }[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        ...purchaseOrderListFields(row),
        buyer: row.buyer,
        updatedAt: iso(row.updated_at),
      })),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ createdAt: last.cursor_created_at, poNumber: last.po_number }) : null,
    };
  }

  /** Every account of the chart, debits − credits, as 2-decimal strings (journals are in cents). */
  async accountBalances(poNumber?: string): Promise<Record<string, string>> {
    const accounts = await this.knex('gl_accounts').select<{ code: string }[]>('code').orderBy('code');
    const sums = this.knex('journal_lines as l')
      .join('journal_entries as e', 'e.id', 'l.journal_entry_id')
      .groupBy('l.account')
      .select('l.account')
      .select(this.knex.raw('sum(l.debit) - sum(l.credit) as balance'));
    if (poNumber !== undefined) sums.where('e.po_number', poNumber);
    const balances = new Map(((await sums) as { account: string; balance: string }[]).map((row) => [row.account, row.balance]));
    return Object.fromEntries(accounts.map(({ code }) => [code, round2(balances.get(code) ?? '0')]));
  }

  async getPurchaseOrderSnapshot(poNumber: string): Promise<PoView | undefined> {
    const row = await this.knex('purchase_orders').where({ po_number: poNumber }).first('snapshot');
    return row?.snapshot ?? undefined;
  }

  async purchaseOrderSupplier(poNumber: string): Promise<string | undefined> {
    const row = await this.knex('purchase_orders').where({ po_number: poNumber }).first<{ supplier_id: string } | undefined>('supplier_id');
    return row?.supplier_id;
  }

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  // -------------------------------------------------------------------------------------------
  // The parts of one business event
  // -------------------------------------------------------------------------------------------

  kpis(now: Date = new Date(), options: KpiOptions = {}): Promise<Kpis> {
    return computeKpis(this.knex, now, options);
  }
}
