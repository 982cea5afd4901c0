/**
 * The reference ERP: this project's own PostgreSQL schema reached through knex (SPEC §5).
 *
 * Every business event is written by `recordBusinessEvent` in ONE transaction — its idempotency
 * key, the PO read model, the document it is about, the journal, inventory and the outbox row —
 * so a retried activity either finds its key and changes nothing, or writes everything.
 */
import type { Knex } from 'knex';
import type {
  BusinessEventRecord,
  DuplicateInvoiceCheck,
  ErpPort,
  PurchaseOrderListFilter,
  PurchaseOrderSummary,
  SupplierRecord,
} from '../ports';
import { DomainError } from '../../workflows/domain/errors';
import { assertBalanced } from '../../workflows/domain/ledger';
import { dec, lineAmount, round2 } from '../../workflows/domain/money';
import { normaliseDocumentNumber } from '../../workflows/domain/schemas';
import type { PaymentTerms, Supplier, SupplierInput, SupplierSlas, Tolerances } from '../../workflows/domain/schemas';
import type { AcknowledgementRecord, InvoiceState, PoStatus, PoView } from '../../workflows/domain/state';
import { DEFAULT_PAYMENT_TERMS } from '../../workflows/domain/tolerances';

/** What the adapters log through: a winston logger (temporal-config/logging.ts) fits. */
export interface AdapterLog {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

/** For adapters constructed without a logger (scripts, some tests). */
export const silentLog: AdapterLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * The same supplier already has this invoice number (normalised) on another PO or with another
 * body. A DomainError of kind `conflict`, so the API answers 409 DUPLICATE_INVOICE.
 */
export class DuplicateInvoiceError extends DomainError {
  constructor(
    readonly supplierId: string,
    readonly invoiceNumber: string,
    readonly existingPoNumber: string,
  ) {
    super(
      'DUPLICATE_INVOICE',
      'conflict',
      `Supplier ${supplierId} already submitted invoice ${invoiceNumber} (on PO ${existingPoNumber}) with another body or for another PO`,
    );
    this.name = 'DuplicateInvoiceError';
  }
}

/** A journal that does not balance is a bug in the posting rules: refused before anything is written. */
export class UnbalancedJournalError extends Error {
  readonly code = 'UNBALANCED_JOURNAL';
  constructor(message: string) {
    super(message);
    this.name = 'UnbalancedJournalError';
  }
}

/** A listing cursor that this adapter did not hand out (or that was tampered with). */
export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('The cursor is not valid; start again without a cursor');
    this.name = 'InvalidCursorError';
  }
}

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

const iso = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());
/** pg's array serialisation would turn a JS array into a PostgreSQL array; jsonb wants JSON text. */
const json = (value: unknown): string => JSON.stringify(value ?? null);

interface SupplierRow {
  supplier_id: string;
  name: string;
  currency: string;
  payment_terms: PaymentTerms | null;
  tolerances: Tolerances;
  slas: SupplierSlas;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: Date;
  updated_at: Date;
}

function toSupplierRecord(row: SupplierRow): SupplierRecord {
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
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function withoutSecret({ webhookSecret: _secret, ...supplier }: SupplierRecord): Supplier {
  return supplier;
}

export class KnexErp implements ErpPort {
  constructor(
    private readonly knex: Knex,
    private readonly log: AdapterLog = silentLog,
  ) {}

  /**
   * PUT semantics for everything the caller can read back. The webhook secret is write-only (it is
   * never returned), so a PUT without one keeps the current secret instead of silently dropping it.
   */
  async upsertSupplier(supplierId: string, input: SupplierInput): Promise<{ supplier: Supplier; created: boolean }> {
    const result = await this.knex.raw<{ rows: (SupplierRow & { created: boolean })[] }>(
      `insert into suppliers (supplier_id, name, currency, payment_terms, tolerances, slas, webhook_url, webhook_secret)
       values (?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?)
       on conflict (supplier_id) do update set
         name = excluded.name,
         currency = excluded.currency,
         payment_terms = excluded.payment_terms,
         tolerances = excluded.tolerances,
         slas = excluded.slas,
         webhook_url = excluded.webhook_url,
         webhook_secret = coalesce(excluded.webhook_secret, suppliers.webhook_secret),
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
      ],
    );
    const row = result.rows[0]!;
    return { supplier: withoutSecret(toSupplierRecord(row)), created: row.created };
  }

  async getSupplier(supplierId: string): Promise<SupplierRecord | undefined> {
    const row = await this.knex<SupplierRow>('suppliers').where({ supplier_id: supplierId }).first();
    return row ? toSupplierRecord(row) : undefined;
  }

  async recordBusinessEvent(record: BusinessEventRecord): Promise<{ applied: boolean }> {
    if (record.journal) {
      try {
        assertBalanced(record.journal);
      } catch (error) {
        throw new UnbalancedJournalError(`${record.type} for PO ${record.poNumber}: ${(error as Error).message}`);
      }
    }

    const applied = await this.knex.transaction(async (trx) => {
      // Claiming the key first: a concurrent retry of the same event blocks here until this
      // transaction ends, then finds the key and writes nothing.
      const claimed = await trx('business_event_keys')
        .insert({
          idempotency_key: record.idempotencyKey,
          event_id: record.eventId,
          po_number: record.poNumber,
          event_type: record.type,
          occurred_at: record.at,
        })
        .onConflict('idempotency_key')
        .ignore()
        .returning('idempotency_key');
      if (claimed.length === 0) return false;

      await this.writePurchaseOrder(trx, record);
      await this.writeAcknowledgements(trx, record.po);
      await this.writeDocument(trx, record);
      await this.refreshInvoices(trx, record);
      if (record.journal && record.journal.lines.length > 0) await this.postJournal(trx, record);
      if (record.inventory && record.inventory.length > 0) await this.moveInventory(trx, record);
      await trx('outbox').insert({
        id: record.eventId,
        type: record.type,
        po_number: record.poNumber,
        occurred_at: record.at,
        payload: json({ version: 1, ...record.payload }),
      });
      if (record.inventory && record.inventory.length > 0) {
        // Inventory subscribers (WMS, planning) get their own event, from the same transaction.
        await trx('outbox').insert({
          id: `${record.eventId}/inventory`,
          type: 'inventory.adjusted',
          po_number: record.poNumber,
          occurred_at: record.at,
          payload: json({ version: 1, poNumber: record.poNumber, cause: record.type, movements: record.inventory }),
        });
      }
      return true;
    });

    this.log.debug(applied ? 'Business event recorded' : 'Business event already recorded', {
      poNumber: record.poNumber,
      eventType: record.type,
      idempotencyKey: record.idempotencyKey,
    });
    return { applied };
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
        poNumber: row.po_number,
        supplierId: row.supplier_id,
        currency: row.currency,
        status: row.status,
        total: round2(row.total),
        hasOpenException: row.has_open_exception,
        buyer: row.buyer,
        createdAt: iso(row.created_at),
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

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  // -------------------------------------------------------------------------------------------
  // The parts of one business event
  // -------------------------------------------------------------------------------------------

  /**
   * The read model is refreshed from the PO as it is after the event. `updated_at` is the event's
   * workflow time, and an older snapshot never overwrites a newer one (activities of one workflow
   * may complete out of order).
   */
  private async writePurchaseOrder(trx: Knex.Transaction, record: BusinessEventRecord): Promise<void> {
    const po = record.po;
    await trx('purchase_orders')
      .insert({
        po_number: po.poNumber,
        supplier_id: po.supplierId,
        currency: po.currency,
        buyer: po.buyer ?? null,
        status: po.status,
        total: po.total,
        has_open_exception: po.hasOpenException,
        request_hash: po.requestHash,
        workflow_id: record.workflowId,
        payment_terms: json(po.policy.paymentTerms),
        cancelled_at: po.cancelled?.at ?? null,
        cancel_reason: po.cancelled?.reason ?? null,
        closed_at: po.closedAt,
        snapshot: json(po),
        created_at: po.createdAt,
        updated_at: record.at,
      })
      .onConflict('po_number')
      .merge(['buyer', 'status', 'total', 'has_open_exception', 'payment_terms', 'cancelled_at', 'cancel_reason', 'closed_at', 'snapshot', 'updated_at'])
      .where('purchase_orders.updated_at', '<=', record.at);

    if (po.lines.length === 0) return;
    await trx('purchase_order_lines')
      .insert(
        po.lines.map((line) => ({
          po_number: po.poNumber,
          line_no: line.lineNo,
          sku: line.sku,
          description: line.description ?? null,
          kind: line.kind,
          uom: line.uom,
          quantity: line.quantity,
          unit_price: line.unitPrice,
          requested_date: line.requestedDate ?? null,
          confirmed_quantity: line.confirmedQuantity,
          agreed_unit_price: line.agreedUnitPrice,
          promised_date: line.promisedDate ?? null,
          acknowledgement_status: line.acknowledgementStatus ?? null,
          shipped_quantity: line.shippedQuantity,
          received_quantity: line.receivedQuantity,
          rejected_quantity: line.rejectedQuantity,
          invoiced_quantity: line.invoicedQuantity,
          paid_quantity: line.paidQuantity,
          cancelled: line.cancelled,
          updated_at: record.at,
        })),
      )
      .onConflict(['po_number', 'line_no'])
      .merge()
      .where('purchase_order_lines.updated_at', '<=', record.at);
  }

  /** The current acknowledgement and any proposal awaiting the buyer, with the decision once made. */
  private async writeAcknowledgements(trx: Knex.Transaction, po: PoView): Promise<void> {
    // A proposal awaiting the buyer is both the latest acknowledgement and the pending change: one row.
    const byInstant = new Map<string, AcknowledgementRecord>();
    for (const ack of [po.pendingChanges, po.acknowledgement]) {
      if (ack) byInstant.set(ack.at, ack.decision || !byInstant.has(ack.at) ? ack : byInstant.get(ack.at)!);
    }
    const acknowledgements = [...byInstant.values()];
    if (acknowledgements.length === 0) return;
    await trx('acknowledgements')
      .insert(
        acknowledgements.map((ack) => ({
          po_number: po.poNumber,
          acknowledged_at: ack.at,
          type: ack.type,
          reason: ack.reason ?? null,
          lines: json(ack.lines ?? []),
          acknowledged_by: json(ack.by),
          decision: ack.decision?.decision ?? null,
          decision_reason: ack.decision?.reason ?? null,
          decided_at: ack.decision?.at ?? null,
          decided_by: ack.decision ? json(ack.decision.by) : null,
        })),
      )
      .onConflict(['po_number', 'acknowledged_at'])
      .merge(['decision', 'decision_reason', 'decided_at', 'decided_by']);
  }

  /** ASNs, receipts and credit memos are immutable once received: written once, never updated. */
  private async writeDocument(trx: Knex.Transaction, record: BusinessEventRecord): Promise<void> {
    const { po, document } = record;
    if (!document) return;
    switch (document.kind) {
      case 'asn': {
        const asn = po.asns.find((candidate) => candidate.asnNumber === document.asnNumber);
        if (!asn) throw new Error(`ASN ${document.asnNumber} is not on PO ${po.poNumber}`);
        const inserted = await trx('asns')
          .insert({
            po_number: po.poNumber,
            asn_number: asn.asnNumber,
            ship_date: asn.shipDate,
            expected_delivery_date: asn.expectedDeliveryDate ?? null,
            carrier: asn.carrier ?? null,
            tracking_number: asn.trackingNumber ?? null,
            body_hash: asn.bodyHash,
            received_at: asn.receivedAt,
            received_by: json(asn.by),
          })
          .onConflict(['po_number', 'asn_number'])
          .ignore()
          .returning('asn_number');
        if (inserted.length > 0) {
          await trx('asn_lines').insert(
            asn.lines.map((line) => ({ po_number: po.poNumber, asn_number: asn.asnNumber, line_no: line.lineNo, quantity: line.quantity })),
          );
        }
        return;
      }
      case 'receipt': {
        const receipt = po.receipts.find((candidate) => candidate.receiptNumber === document.receiptNumber);
        if (!receipt) throw new Error(`Goods receipt ${document.receiptNumber} is not on PO ${po.poNumber}`);
        const inserted = await trx('goods_receipts')
          .insert({
            po_number: po.poNumber,
            receipt_number: receipt.receiptNumber,
            location: receipt.location,
            body_hash: receipt.bodyHash,
            received_at: receipt.receivedAt,
            received_by: json(receipt.by),
          })
          .onConflict(['po_number', 'receipt_number'])
          .ignore()
          .returning('receipt_number');
        if (inserted.length > 0) {
          await trx('goods_receipt_lines').insert(
            receipt.lines.map((line) => ({
              po_number: po.poNumber,
              receipt_number: receipt.receiptNumber,
              line_no: line.lineNo,
              quantity_received: line.quantityReceived,
              quantity_rejected: line.quantityRejected,
            })),
          );
        }
        return;
      }
      case 'credit_memo': {
        const memo = po.creditMemos.find((candidate) => candidate.creditMemoNumber === document.creditMemoNumber);
        if (!memo) throw new Error(`Credit memo ${document.creditMemoNumber} is not on PO ${po.poNumber}`);
        const inserted = await trx('credit_memos')
          .insert({
            supplier_id: po.supplierId,
            po_number: po.poNumber,
            credit_memo_number: memo.creditMemoNumber,
            normalised_number: normaliseDocumentNumber(memo.creditMemoNumber),
            invoice_number: memo.invoiceNumber,
            total: memo.total,
            body_hash: memo.bodyHash,
            received_at: memo.receivedAt,
            received_by: json(memo.by),
          })
          .onConflict(['po_number', 'normalised_number'])
          .ignore()
          .returning<{ id: string }[]>('id');
        const memoId = inserted[0]?.id;
        if (memoId !== undefined) {
          await trx('credit_memo_lines').insert(
            memo.lines.map((line) => ({
              credit_memo_id: memoId,
              line_no: line.lineNo,
              quantity: line.quantity,
              unit_price: line.unitPrice,
              amount: lineAmount(line.quantity, line.unitPrice),
            })),
          );
        }
        return;
      }
      case 'invoice':
      case 'payment': {
        const named = document.invoiceNumber;
        if (!po.invoices.some((invoice) => normaliseDocumentNumber(invoice.invoiceNumber) === normaliseDocumentNumber(named))) {
          throw new Error(`Invoice ${named} is not on PO ${po.poNumber}`);
        }
        return; // written by refreshInvoices, with every other invoice of the PO
      }
    }
  }

  /**
   * Invoices change after they arrive (re-match after a receipt or credit memo, resolution,
   * posting, payment), often in an event about another document, so every event refreshes all
   * invoices of the PO. Only the invoice the event names may raise DUPLICATE_INVOICE: an invoice
   * refused earlier must not make every later event of its PO fail.
   */
  private async refreshInvoices(trx: Knex.Transaction, record: BusinessEventRecord): Promise<void> {
    const namedNumber =
      record.document?.kind === 'invoice' || record.document?.kind === 'payment'
        ? normaliseDocumentNumber(record.document.invoiceNumber)
        : undefined;
    for (const invoice of record.po.invoices) {
      const named = normaliseDocumentNumber(invoice.invoiceNumber) === namedNumber;
      await this.writeInvoice(trx, record, invoice, named && record.document?.kind === 'invoice');
    }
  }

  private async writeInvoice(
    trx: Knex.Transaction,
    record: BusinessEventRecord,
    invoice: InvoiceState,
    raiseDuplicate: boolean,
  ): Promise<void> {
    const po = record.po;
    const normalisedNumber = normaliseDocumentNumber(invoice.invoiceNumber);
    const mutable = {
      credited_total: invoice.creditedTotal,
      status: invoice.status,
      match_status: invoice.match.status,
      match: json(invoice.match),
      matched_at: invoice.match.matchedAt,
      resolution_action: invoice.resolution?.action ?? null,
      resolution_reason: invoice.resolution?.reason ?? null,
      resolved_at: invoice.resolution?.at ?? null,
      resolved_by: invoice.resolution ? json(invoice.resolution.by) : null,
      posted_at: invoice.postedAt ?? null,
      updated_at: record.at,
    };

    // Insert-or-nothing, then look: a concurrent insert of the same number by another PO waits on
    // the unique index and then sees the winner's row, never a raw unique violation.
    const inserted = await trx('invoices')
      .insert({
        supplier_id: po.supplierId,
        po_number: po.poNumber,
        invoice_number: invoice.invoiceNumber,
        normalised_number: normalisedNumber,
        invoice_date: invoice.invoiceDate,
        currency: invoice.currency,
        freight: invoice.freight,
        tax: invoice.tax,
        total: invoice.total,
        body_hash: invoice.bodyHash,
        submitted_at: invoice.submittedAt,
        submitted_by: json(invoice.submittedBy),
        ...mutable,
      })
      .onConflict(['supplier_id', 'normalised_number'])
      .ignore()
      .returning<{ id: string }[]>('id');

    let invoiceId = inserted[0]?.id;
    if (invoiceId !== undefined) {
      await trx('invoice_lines').insert(
        invoice.lines.map((line) => ({
          invoice_id: invoiceId,
          line_no: line.lineNo,
          quantity: line.quantity,
          unit_price: line.unitPrice,
          amount: lineAmount(line.quantity, line.unitPrice),
        })),
      );
      await this.replaceMatchReasons(trx, invoiceId, invoice);
    } else {
      const existing = await trx('invoices')
        .where({ supplier_id: po.supplierId, normalised_number: normalisedNumber })
        .first<{ id: string; po_number: string; body_hash: string; updated_at: Date; matched_at: Date | null }>(
          'id',
          'po_number',
          'body_hash',
          'updated_at',
          'matched_at',
        );
      if (!existing) throw new Error(`Invoice ${invoice.invoiceNumber} vanished while being recorded`);
      if (existing.po_number !== po.poNumber || existing.body_hash !== invoice.bodyHash) {
        if (raiseDuplicate) throw new DuplicateInvoiceError(po.supplierId, invoice.invoiceNumber, existing.po_number);
        this.log.warn('Invoice conflicts with one already recorded; left unchanged', {
          poNumber: po.poNumber,
          invoiceNumber: invoice.invoiceNumber,
          existingPoNumber: existing.po_number,
        });
        return;
      }
      if (existing.updated_at.getTime() > Date.parse(record.at)) return; // a newer snapshot is already there
      invoiceId = existing.id;
      await trx('invoices').where({ id: invoiceId }).update(mutable);
      const matchedAt = existing.matched_at ? existing.matched_at.getTime() : null;
      if (matchedAt !== Date.parse(invoice.match.matchedAt)) await this.replaceMatchReasons(trx, invoiceId, invoice);
    }

    if (invoice.payment) {
      const payment = invoice.payment;
      await trx('payments')
        .insert({
          invoice_id: invoiceId,
          attempt: payment.attempt,
          payment_id: payment.paymentId ?? null,
          status: payment.status,
          due_date: payment.dueDate,
          discount_date: payment.discountDate ?? null,
          scheduled_for: payment.scheduledFor,
          amount: payment.amount,
          discount: payment.discount,
          reference: payment.reference ?? null,
          executed_at: payment.executedAt ?? null,
          updated_at: record.at,
        })
        .onConflict(['invoice_id', 'attempt'])
        .merge()
        .where('payments.updated_at', '<=', record.at);
    }
  }

  /** The latest match replaces the previous one: the reasons table shows why an invoice is held now. */
  private async replaceMatchReasons(trx: Knex.Transaction, invoiceId: string, invoice: InvoiceState): Promise<void> {
    await trx('match_reasons').where({ invoice_id: invoiceId }).delete();
    const reasons = [
      ...invoice.match.reasons.map((reason) => ({ lineNo: null as number | null, reason })),
      ...invoice.match.lines.flatMap((line) => line.reasons.map((reason) => ({ lineNo: line.lineNo as number | null, reason }))),
    ];
    if (reasons.length === 0) return;
    await trx('match_reasons').insert(
      reasons.map(({ lineNo, reason }) => ({
        invoice_id: invoiceId,
        line_no: lineNo,
        code: reason.code,
        message: reason.message,
        expected: reason.expected,
        actual: reason.actual,
        tolerance: reason.tolerance,
      })),
    );
  }

  private async postJournal(trx: Knex.Transaction, record: BusinessEventRecord): Promise<void> {
    const journal = record.journal!;
    const [entry] = await trx('journal_entries')
      .insert({
        idempotency_key: record.idempotencyKey,
        event_id: record.eventId,
        event_type: record.type,
        po_number: record.poNumber,
        description: journal.description,
        currency: journal.currency,
        posted_at: record.at,
      })
      .returning<{ id: string }[]>('id');
    await trx('journal_lines').insert(
      journal.lines.map((line, index) => ({
        journal_entry_id: entry!.id,
        line_no: index + 1,
        account: line.account,
        debit: line.debit,
        credit: line.credit,
        memo: line.memo ?? null,
      })),
    );
  }

  private async moveInventory(trx: Knex.Transaction, record: BusinessEventRecord): Promise<void> {
    const movements = record.inventory!.filter((movement) => !dec(movement.quantity).isZero());
    if (movements.length === 0) return;
    await trx('inventory_movements').insert(
      movements.map((movement) => ({
        event_id: record.eventId,
        po_number: record.poNumber,
        line_no: movement.lineNo,
        sku: movement.sku,
        location: movement.location,
        quantity: movement.quantity,
        occurred_at: record.at,
      })),
    );
    // One row per sku and location: PostgreSQL refuses to upsert the same row twice in one statement.
    const onHand = new Map<string, { sku: string; location: string; quantity: ReturnType<typeof dec> }>();
    for (const movement of movements) {
      const key = JSON.stringify([movement.sku, movement.location]);
      const current = onHand.get(key);
      onHand.set(key, {
        sku: movement.sku,
        location: movement.location,
        quantity: (current?.quantity ?? dec(0)).plus(dec(movement.quantity)),
      });
    }
    // Sorted, so two receipts touching the same items lock their on-hand rows in the same order.
    const sortedKeys = [...onHand.keys()].sort();
    await trx('inventory_on_hand')
      .insert(
        sortedKeys.map((key) => onHand.get(key)!).map(({ sku, location, quantity }) => ({
          sku,
          location,
          quantity: quantity.toFixed(),
          updated_at: record.at,
        })),
      )
      .onConflict(['sku', 'location'])
      .merge({
        quantity: trx.raw('inventory_on_hand.quantity + excluded.quantity'),
        updated_at: trx.raw('excluded.updated_at'),
      });
  }
}
