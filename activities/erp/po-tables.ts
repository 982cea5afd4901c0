/**
 * The PO's tables in the reference ERP, refreshed from the PO as it is after each business event:
 * the purchase order and its lines, acknowledgements, ASNs, receipts, credit memos, invoices with
 * their match reasons, and payments. Called by `KnexErp` inside the transaction of each event.
 */
import type { Knex } from 'knex';
import { normaliseDocumentNumber, openExceptionOf, sameDocumentNumber } from '../../workflows/domain/lookups';
import { lineAmount } from '../../workflows/domain/money';
import type { AcknowledgementRecord, InvoiceState, PoView } from '../../workflows/domain/state';
import { DuplicateInvoiceError, type AdapterLog } from '../errors';
import type { BusinessEventRecord } from '../ports';
import { changedItems, json } from './rows';
import { writeFinanceTables } from './finance-tables';
import type { Write } from './round-trips';
import { exceptionWrites } from './exception-tables';

/**
 * Everything of the PO's own tables that one event may have changed. Given the PO as it was before
 * the event, only the lines, acknowledgements and invoices that changed are written; without it
 * (events that carry the whole PO), all of them.
 *
 * Writes whose outcome decides something (an invoice's number taken by another PO, a credit memo's
 * id) run here; the others are handed back, to go to PostgreSQL in one statement with the journal
 * and the outbox (`inOneRoundTrip`): none of them reads another's effect.
 */
export async function writePurchaseOrderTables(trx: Knex.Transaction, record: BusinessEventRecord, log: AdapterLog, previous?: PoView): Promise<Write[]> {
  const po = record.po;
  const writes: Write[] = purchaseOrderWrites(trx, record, changedItems(previous, po, (of) => of.lines, (line) => line.lineNo, (_, line) => JSON.stringify(line)));
  const acknowledgements = (of: PoView) => JSON.stringify([of.acknowledgement, of.pendingChanges]);
  if (!previous || acknowledgements(previous) !== acknowledgements(po)) writes.push(...acknowledgementWrites(trx, po));
  writes.push(...(await documentWrites(trx, record)));
  const changedInvoices = changedItems(previous, po, (of) => of.invoices, (invoice) => normaliseDocumentNumber(invoice.invoiceNumber), invoiceFingerprint);
  await refreshInvoices(trx, record, changedInvoices, log);
  writes.push(...(await writeFinanceTables(trx, record)));
  writes.push(...exceptionWrites(trx, po, record.at, previous));
  return writes;
}

/** An invoice as its rows show it: itself and the exceptions about it (the KPI columns). */
function invoiceFingerprint(po: PoView, invoice: InvoiceState): string {
  return JSON.stringify([invoice, po.exceptions.filter((e) => e.invoiceNumber !== undefined && sameDocumentNumber(e.invoiceNumber, invoice.invoiceNumber))]);
}

/**
 * The read model is refreshed from the PO as it is after the event. `updated_at` is the event's
 * workflow time, and an older snapshot never overwrites a newer one (activities of one workflow
 * may complete out of order).
 */
function purchaseOrderWrites(trx: Knex.Transaction, record: BusinessEventRecord, lines: PoView['lines']): Write[] {
  const po = record.po;
  const order = trx('purchase_orders')
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

  if (lines.length === 0) return [order];
  // The lines go in the same statement as the order (the order first, for their foreign key).
  const orderLines = trx('purchase_order_lines')
    .insert(
      lines.map((line) => ({
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
  return [order, orderLines];
}


/** The current acknowledgement and any proposal awaiting the buyer, with the decision once made. */
function acknowledgementWrites(trx: Knex.Transaction, po: PoView): Write[] {
  // A proposal awaiting the buyer is both the latest acknowledgement and the pending change: one row.
  const byInstant = new Map<string, AcknowledgementRecord>();
  for (const ack of [po.pendingChanges, po.acknowledgement]) {
    if (ack) byInstant.set(ack.at, ack.decision || !byInstant.has(ack.at) ? ack : byInstant.get(ack.at)!);
  }
  const acknowledgements = [...byInstant.values()];
  if (acknowledgements.length === 0) return [];
  return [
    trx('acknowledgements')
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
      .merge(['decision', 'decision_reason', 'decided_at', 'decided_by']),
  ];
}


/**
 * ASNs, receipts and credit memos are immutable once received: written once, never updated. An
 * ASN's or a receipt's header and lines go with the batch (a line already there was written with
 * its header); a credit memo's lines need its id, so it is written here.
 */
async function documentWrites(trx: Knex.Transaction, record: BusinessEventRecord): Promise<Write[]> {
  const { po, document } = record;
  if (!document) return [];
  switch (document.kind) {
    case 'asn': {
      const asn = po.asns.find((candidate) => candidate.asnNumber === document.asnNumber);
      if (!asn) throw new Error(`ASN ${document.asnNumber} is not on PO ${po.poNumber}`);
      return [
        trx('asns')
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
          .ignore(),
        trx('asn_lines')
          .insert(asn.lines.map((line) => ({ po_number: po.poNumber, asn_number: asn.asnNumber, line_no: line.lineNo, quantity: line.quantity })))
          .onConflict(['po_number', 'asn_number', 'line_no'])
          .ignore(),
      ];
    }
    case 'receipt': {
      const receipt = po.receipts.find((candidate) => candidate.receiptNumber === document.receiptNumber);
      if (!receipt) throw new Error(`Goods receipt ${document.receiptNumber} is not on PO ${po.poNumber}`);
      return [
        trx('goods_receipts')
          .insert({
            po_number: po.poNumber,
            receipt_number: receipt.receiptNumber,
            location: receipt.location,
            body_hash: receipt.bodyHash,
            received_at: receipt.receivedAt,
            received_by: json(receipt.by),
          })
          .onConflict(['po_number', 'receipt_number'])
          .ignore(),
        trx('goods_receipt_lines')
          .insert(
            receipt.lines.map((line) => ({
              po_number: po.poNumber,
              receipt_number: receipt.receiptNumber,
              line_no: line.lineNo,
              quantity_received: line.quantityReceived,
              quantity_rejected: line.quantityRejected,
              // Counted against expected, for the inventory-accuracy KPI.
              counted_quantity: line.countedQuantity ?? null,
              expected_quantity: line.expectedQuantity ?? null,
            })),
          )
          .onConflict(['po_number', 'receipt_number', 'line_no'])
          .merge(['counted_quantity', 'expected_quantity']),
      ];
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
      return [];
    }
    case 'invoice':
    case 'payment': {
      const named = document.invoiceNumber;
      if (!po.invoices.some((invoice) => normaliseDocumentNumber(invoice.invoiceNumber) === normaliseDocumentNumber(named))) {
        throw new Error(`Invoice ${named} is not on PO ${po.poNumber}`);
      }
      return []; // written by refreshInvoices, with every other invoice of the PO
    }
  }
}


/**
 * Invoices change after they arrive (re-match after a receipt or credit memo, resolution,
 * posting, payment), often in an event about another document, so every event refreshes the
 * invoices it changed (all of them, when the event does not say what the PO was before). Only the invoice the event names may raise DUPLICATE_INVOICE: an invoice
 * refused earlier must not make every later event of its PO fail.
 */
async function refreshInvoices(trx: Knex.Transaction, record: BusinessEventRecord, invoices: InvoiceState[], log: AdapterLog): Promise<void> {
  const namedNumber =
    record.document?.kind === 'invoice' || record.document?.kind === 'payment'
      ? normaliseDocumentNumber(record.document.invoiceNumber)
      : undefined;
  for (const invoice of invoices) {
    const named = normaliseDocumentNumber(invoice.invoiceNumber) === namedNumber;
    await writeInvoice(trx, record, invoice, named && record.document?.kind === 'invoice', log);
  }
}


async function writeInvoice(
  trx: Knex.Transaction,
  record: BusinessEventRecord,
  invoice: InvoiceState,
  raiseDuplicate: boolean,
  log: AdapterLog,
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
    // For the KPIs: ever held, and since when the exception open now has been waiting.
    had_exception: po.exceptions.some((e) => e.invoiceNumber !== undefined && sameDocumentNumber(e.invoiceNumber, invoice.invoiceNumber)),
    exception_opened_at: openExceptionOf(po, invoice.invoiceNumber)?.openedAt ?? null,
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
    await replaceMatchReasons(trx, invoiceId, invoice);
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
      log.warn('Invoice conflicts with one already recorded; left unchanged', {
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
    if (matchedAt !== Date.parse(invoice.match.matchedAt)) await replaceMatchReasons(trx, invoiceId, invoice);
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
async function replaceMatchReasons(trx: Knex.Transaction, invoiceId: string, invoice: InvoiceState): Promise<void> {
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

