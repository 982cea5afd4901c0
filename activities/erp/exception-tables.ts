/**
 * Finance's work queue in the reference ERP: one `po_exceptions` row per exception of the PO,
 * refreshed from the PO as it is after each event, in its transaction (handed to
 * `writePurchaseOrderTables`' batch). Only exceptions that changed are written.
 */
import type { Knex } from 'knex';
import { sameDocumentNumber } from '../../workflows/domain/lookups';
import type { PoView } from '../../workflows/domain/state';
import { changedItems, json } from './rows';
import type { Write } from './round-trips';

type ExceptionState = PoView['exceptions'][number];

/** What an exception's row shows: the exception itself and the amount of its invoice. */
function amountOf(po: PoView, exception: ExceptionState): string {
  const invoiceNumber = exception.invoiceNumber;
  const invoice = invoiceNumber === undefined ? undefined : po.invoices.find((i) => sameDocumentNumber(i.invoiceNumber, invoiceNumber));
  return invoice?.total ?? '0';
}

export function exceptionWrites(trx: Knex.Transaction, po: PoView, at: string, previous?: PoView): Write[] {
  const changed = changedItems(previous, po, (of) => of.exceptions, (exception) => exception.id, (_, exception) => JSON.stringify(exception));
  if (changed.length === 0) return [];
  return [
    trx('po_exceptions')
      .insert(
        changed.map((exception) => ({
          po_number: po.poNumber,
          exception_id: exception.id,
          supplier_id: po.supplierId,
          code: exception.code,
          invoice_number: exception.invoiceNumber ?? null,
          status: exception.status,
          opened_at: exception.openedAt,
          escalated_at: exception.escalatedAt ?? null,
          reasons: json(exception.reasons),
          reason_codes: [...new Set(exception.reasons.map((reason) => reason.code))],
          currency: po.currency,
          amount: amountOf(po, exception),
          resolved_at: exception.resolvedAt ?? null,
          updated_at: at,
        })),
      )
      .onConflict(['po_number', 'exception_id'])
      .merge(['status', 'escalated_at', 'reasons', 'reason_codes', 'amount', 'resolved_at', 'updated_at'])
      // Events of one PO may be recorded out of order: an older picture never overwrites a newer one.
      .where('po_exceptions.updated_at', '<=', at),
  ];
}
