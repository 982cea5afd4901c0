/**
 * The finance controls' tables in the reference ERP, refreshed from the PO as it is after each
 * business event, in its transaction (called from `writePurchaseOrderTables`): invoice holds,
 * approval requests, returns and their debit notes, and disputes. Documents that never change
 * (returns) are written once; the others follow the PO. (A receipt's counted and expected
 * quantities are written with its lines, in po-tables.ts.)
 */
import type { Knex } from 'knex';
import { normaliseDocumentNumber } from '../../workflows/domain/lookups';
import type { PoView } from '../../workflows/domain/state';
import type { BusinessEventRecord } from '../ports';
import { json } from './rows';
import type { Write } from './round-trips';

/** The rows that follow the PO go with the batch; a return's header and lines are written here. */
export async function writeFinanceTables(trx: Knex.Transaction, record: BusinessEventRecord): Promise<Write[]> {
  const po = record.po;
  const writes: Write[] = invoiceHoldWrites(trx, po, record.at, record.type);
  if (po.approvals.length > 0) writes.push(approvalWrite(trx, po));
  if (po.returns.length > 0) writes.push(...(await writeReturns(trx, po, record)));
  if (po.disputes.length > 0) writes.push(disputeWrite(trx, po));
  return writes;
}

/** Held is the invoice's own hold or the supplier's; `held_since` feeds the KPIs. */
function invoiceHoldWrites(trx: Knex.Transaction, po: PoView, at: string, type: string): Write[] {
  // Nothing held now and nothing just released: the columns are already clear.
  if (!po.supplierHold && !po.invoices.some((invoice) => invoice.hold) && !type.endsWith('.payment_released')) return [];
  return po.invoices.map((invoice) => {
    const hold = invoice.hold ?? po.supplierHold;
    const paidOrRejected = invoice.status === 'paid' || invoice.status === 'rejected';
    return trx('invoices')
      .where({ supplier_id: po.supplierId, po_number: po.poNumber, normalised_number: normaliseDocumentNumber(invoice.invoiceNumber) })
      .where('updated_at', '<=', at)
      .update({
        hold_reason: hold && !paidOrRejected ? hold.reason : null,
        hold_release_on: hold && !paidOrRejected ? (hold.releaseOn ?? null) : null,
        held_since: hold && !paidOrRejected ? hold.placedAt : null,
        held_by_supplier: !invoice.hold && Boolean(po.supplierHold) && !paidOrRejected,
      });
  });
}

function approvalWrite(trx: Knex.Transaction, po: PoView): Write {
  return trx('approval_requests')
    .insert(
      po.approvals.map((request) => ({
        po_number: po.poNumber,
        request_id: request.id,
        subject: request.subject,
        status: request.status,
        currency: request.currency,
        total: request.total,
        required_approvals: request.requiredApprovals,
        approvals: request.decisions.filter((d) => d.decision === 'approve').length,
        requested_at: request.requestedAt,
        requested_by: json(request.requestedBy),
        decisions: json(request.decisions),
        escalated_at: request.escalatedAt ?? null,
        decided_at: request.decidedAt ?? null,
      })),
    )
    .onConflict(['po_number', 'request_id'])
    .merge(['status', 'approvals', 'decisions', 'escalated_at', 'decided_at']);
}

async function writeReturns(trx: Knex.Transaction, po: PoView, record: BusinessEventRecord): Promise<Write[]> {
  const latest = po.returns.at(-1)!;
  if (record.type === 'goods.returned') {
    const inserted = await trx('goods_returns')
      .insert({
        po_number: po.poNumber,
        rma_number: latest.rmaNumber,
        reason: latest.reason,
        location: latest.location,
        replacement: latest.replacement,
        body_hash: latest.bodyHash,
        returned_at: latest.returnedAt,
        returned_by: json(latest.by),
      })
      .onConflict(['po_number', 'rma_number'])
      .ignore()
      .returning('rma_number');
    if (inserted.length > 0) {
      await trx('goods_return_lines').insert(latest.lines.map((line) => ({ po_number: po.poNumber, rma_number: latest.rmaNumber, line_no: line.lineNo, quantity: line.quantity })));
    }
  }
  const notes = po.creditMemos.filter((memo) => memo.kind === 'debit_note');
  if (notes.length === 0) return [];
  return [
    trx('debit_notes')
      .insert(
        notes.map((note) => ({
          po_number: po.poNumber,
          debit_note_number: note.creditMemoNumber,
          rma_number: note.rmaNumber ?? '',
          invoice_number: note.invoiceNumber,
          total: note.total,
          lines: json(note.lines),
          raised_at: note.receivedAt,
          settled_by: note.settledBy?.creditMemoNumber ?? null,
          settled_total: note.settledBy?.total ?? null,
          settled_at: note.settledBy?.at ?? null,
        })),
      )
      .onConflict(['po_number', 'debit_note_number'])
      .merge(['settled_by', 'settled_total', 'settled_at']),
  ];
}

function disputeWrite(trx: Knex.Transaction, po: PoView): Write {
  return trx('invoice_disputes')
    .insert(
      po.disputes.map((dispute) => ({
        po_number: po.poNumber,
        dispute_id: dispute.id,
        invoice_number: dispute.invoiceNumber,
        status: dispute.status,
        opened_at: dispute.openedAt,
        opened_by: json(dispute.openedBy),
        messages: json(dispute.messages),
        escalated_at: dispute.escalatedAt ?? null,
        resolved_at: dispute.resolvedAt ?? null,
        resolution: dispute.resolution ?? null,
      })),
    )
    .onConflict(['po_number', 'dispute_id'])
    .merge(['status', 'messages', 'escalated_at', 'resolved_at', 'resolution']);
}
