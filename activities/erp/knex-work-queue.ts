/**
 * The work queue as the reference ERP answers it (docs/console.md): open exceptions across POs
 * from `po_exceptions` (keyset-paged on partial indexes, so the first page costs the same with ten
 * or ten thousand open), a PO's journal, the buyers' PO list with open quantities, and payments.
 */
import type { Knex } from 'knex';
import { round2 } from '../../workflows/domain/money';
import type { ExceptionSort, OpenException, PaymentWorkItem, PostedJournalEntry, PurchaseOrderWorkItem } from '../../workflows/domain/schemas/work-queue';
import { InvalidCursorError } from '../errors';
import type { OpenExceptionFilter, PurchaseOrderWorkFilter, WorkQueuePort } from '../ports';
import { iso, purchaseOrderListFields } from './rows';

const MAX_PAGE_SIZE = 200;
const DAY_MS = 86_400_000;
/** Exact to the microsecond, so a cursor compares equal to the stored value. */
const microseconds = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** How each sort orders the rows: the sort column, its SQL cast, and the direction of the whole key. */
const SORTS: Record<ExceptionSort, { column: string; cursorValue: string; cast: string; direction: 'asc' | 'desc' }> = {
  '-age': { column: 'opened_at', cursorValue: microseconds('opened_at'), cast: 'timestamptz', direction: 'asc' },
  age: { column: 'opened_at', cursorValue: microseconds('opened_at'), cast: 'timestamptz', direction: 'desc' },
  '-amount': { column: 'amount', cursorValue: 'amount::text', cast: 'numeric', direction: 'desc' },
  amount: { column: 'amount', cursorValue: 'amount::text', cast: 'numeric', direction: 'asc' },
};

function encode(values: readonly string[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

function decode(cursor: string, length: number, first?: string): string[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === length && parsed.every((value) => typeof value === 'string') && (first === undefined || parsed[0] === first)) {
      return parsed as string[];
    }
  } catch {
    // any undecodable cursor is reported the same way
  }
  throw new InvalidCursorError();
}

const pageSize = (limit: number) => Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_PAGE_SIZE);

interface ExceptionRow {
  po_number: string;
  exception_id: string;
  supplier_id: string;
  code: OpenException['code'];
  invoice_number: string | null;
  reasons: OpenException['reasons'];
  currency: string;
  amount: string;
  opened_at: Date;
  escalated_at: Date | null;
  cursor_value: string;
}

function toOpenException(row: ExceptionRow, now: Date): OpenException {
  return {
    poNumber: row.po_number,
    exceptionId: row.exception_id,
    supplierId: row.supplier_id,
    code: row.code,
    invoiceNumber: row.invoice_number,
    reasons: row.reasons,
    currency: row.currency,
    amount: round2(row.amount),
    openedAt: iso(row.opened_at),
    ageDays: Math.max(0, Math.floor((now.getTime() - row.opened_at.getTime()) / DAY_MS)),
    escalatedAt: row.escalated_at ? iso(row.escalated_at) : null,
  };
}

export class KnexWorkQueue implements WorkQueuePort {
  constructor(private readonly knex: Knex) {}

  async listOpenExceptions(filter: OpenExceptionFilter, now: Date = new Date()): Promise<{ items: OpenException[]; nextCursor: string | null }> {
    const limit = pageSize(filter.limit);
    const sort = SORTS[filter.sort];
    const query = this.knex('po_exceptions')
      .select('po_number', 'exception_id', 'supplier_id', 'code', 'invoice_number', 'reasons', 'currency', 'amount', 'opened_at', 'escalated_at', this.knex.raw(`${sort.cursorValue} as cursor_value`))
      .where('status', 'open')
      .orderBy([
        { column: sort.column, order: sort.direction },
        { column: 'po_number', order: sort.direction },
        { column: 'exception_id', order: sort.direction },
      ])
      .limit(limit + 1);
    if (filter.supplierId !== undefined) query.where('supplier_id', filter.supplierId);
    const reason = filter.reason;
    if (reason !== undefined) query.where((where) => where.whereRaw('? = any(reason_codes)', [reason]).orWhere('code', reason));
    if (filter.cursor !== undefined) {
      const [, value, poNumber, exceptionId] = decode(filter.cursor, 4, filter.sort);
      const comparison = sort.direction === 'asc' ? '>' : '<';
      query.whereRaw(`(${sort.column}, po_number, exception_id) ${comparison} (?::${sort.cast}, ?, ?)`, [value!, poNumber!, exceptionId!]);
    }
    const rows = (await query) as ExceptionRow[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => toOpenException(row, now)),
      nextCursor: rows.length > limit && last ? encode([filter.sort, last.cursor_value, last.po_number, last.exception_id]) : null,
    };
  }

  async findOpenException(poNumber: string, exceptionId: string, now: Date = new Date()): Promise<OpenException | undefined> {
    const row = (await this.knex('po_exceptions')
      .select('po_number', 'exception_id', 'supplier_id', 'code', 'invoice_number', 'reasons', 'currency', 'amount', 'opened_at', 'escalated_at', this.knex.raw(`'' as cursor_value`))
      .where({ po_number: poNumber, exception_id: exceptionId, status: 'open' })
      .first()) as ExceptionRow | undefined;
    return row ? toOpenException(row, now) : undefined;
  }

  async journal(poNumber: string): Promise<PostedJournalEntry[] | undefined> {
    const known = await this.knex('purchase_orders').where({ po_number: poNumber }).first('po_number');
    if (!known) return undefined;
    const rows = (await this.knex('journal_entries as e')
      .join('journal_lines as l', 'l.journal_entry_id', 'e.id')
      .where('e.po_number', poNumber)
      .orderBy([{ column: 'e.posted_at' }, { column: 'e.id' }, { column: 'l.line_no' }])
      .select('e.id', 'e.event_type', 'e.description', 'e.currency', 'e.posted_at', 'l.line_no', 'l.account', 'l.debit', 'l.credit', 'l.memo')) as {
      id: string;
      event_type: string;
      description: string;
      currency: string;
      posted_at: Date;
      line_no: number;
      account: PostedJournalEntry['lines'][number]['account'];
      debit: string;
      credit: string;
      memo: string | null;
    }[];
    const entries = new Map<string, PostedJournalEntry>();
    for (const row of rows) {
      let entry = entries.get(String(row.id));
      if (!entry) {
        entry = { entryId: String(row.id), eventType: row.event_type, description: row.description, currency: row.currency, postedAt: iso(row.posted_at), lines: [] };
        entries.set(entry.entryId, entry);
      }
      entry.lines.push({ lineNo: row.line_no, account: row.account, debit: round2(row.debit), credit: round2(row.credit), memo: row.memo });
    }
    return [...entries.values()];
  }

  async listPurchaseOrderWork(filter: PurchaseOrderWorkFilter): Promise<{ items: PurchaseOrderWorkItem[]; nextCursor: string | null }> {
    const limit = pageSize(filter.limit);
    const query = this.knex('purchase_orders as p')
      .select(
        'p.po_number',
        'p.supplier_id',
        'p.currency',
        'p.status',
        'p.total',
        'p.has_open_exception',
        'p.created_at',
        this.knex.raw(`${microseconds('p.created_at')} as cursor_created_at`),
        this.knex.raw(`coalesce((
          select sum(greatest(case when l.confirmed_quantity > 0 then l.confirmed_quantity else l.quantity end - l.received_quantity, 0))
            from purchase_order_lines l where l.po_number = p.po_number and not l.cancelled), 0)::text as open_quantity`),
      )
      .orderBy([
        { column: 'p.created_at', order: 'desc' },
        { column: 'p.po_number', order: 'desc' },
      ])
      .limit(limit + 1);
    if (filter.open) query.whereNotIn('p.status', ['closed', 'cancelled']);
    if (filter.supplierId !== undefined) query.where('p.supplier_id', filter.supplierId);
    if (filter.cursor !== undefined) {
      const [createdAt, poNumber] = decode(filter.cursor, 2);
      query.whereRaw('(p.created_at, p.po_number) < (?::timestamptz, ?)', [createdAt!, poNumber!]);
    }
    const rows = (await query) as {
      po_number: string;
      supplier_id: string;
      currency: string;
      status: PurchaseOrderWorkItem['status'];
      total: string;
      has_open_exception: boolean;
      created_at: Date;
      cursor_created_at: string;
      open_quantity: string;
    }[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
        ...purchaseOrderListFields(row),
        openQuantity: trimQuantity(row.open_quantity),
      })),
      nextCursor: rows.length > limit && last ? encode([last.cursor_created_at, last.po_number]) : null,
    };
  }

  async listPayments(limit: number): Promise<PaymentWorkItem[]> {
    const { rows } = await this.knex.raw<{ rows: Record<string, any>[] }>(
      `select * from (
         select distinct on (p.invoice_id)
                i.po_number, i.supplier_id, i.invoice_number, i.currency, p.attempt, p.status, p.amount, p.payment_id, p.reference, p.executed_at
           from payments p join invoices i on i.id = p.invoice_id
          order by p.invoice_id, p.attempt desc) latest
        where status in ('executed', 'sent', 'cleared', 'failed')
        order by executed_at desc nulls last, po_number, invoice_number
        limit ?`,
      [pageSize(limit)],
    );
    return rows.map((row) => ({
      poNumber: row.po_number,
      supplierId: row.supplier_id,
      invoiceNumber: row.invoice_number,
      attempt: row.attempt,
      status: row.status,
      currency: row.currency,
      amount: round2(row.amount),
      paymentId: row.payment_id,
      reference: row.reference,
      executedAt: row.executed_at ? iso(row.executed_at) : null,
    }));
  }
}

/** numeric(18,4) as a person writes it: "12.5000" → "12.5", "10.0000" → "10". */
function trimQuantity(value: string): string {
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}
