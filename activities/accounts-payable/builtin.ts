/**
 * The built-in accounts-payable tool: approved invoices and executed payments are booked in the
 * ERP schema (`ap_invoices`, `ap_payments`). Stands in for an external AP tool or bank file so the
 * whole procure-to-pay flow runs out of the box.
 *
 * Idempotent by construction: references are derived from the business keys (not generated), and
 * unique constraints make a retried or racing call find the first booking instead of adding one.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { AccountsPayablePort, PaymentExecution } from '../ports';
import { cmp } from '../../workflows/domain/money';
import { normaliseDocumentNumber } from '../../workflows/domain/lookups';
import { AdapterRefusal, PaymentKeyReusedError } from '../errors';
import type { InvoiceState } from '../../workflows/domain/state';

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16).toUpperCase();
}

/** The payment id for an idempotency key: the same key always names the same payment. */
export function builtinPaymentId(idempotencyKey: string): string {
  return `PAY-${shortHash(idempotencyKey)}`;
}

export class BuiltinAccountsPayable implements AccountsPayablePort {
  constructor(private readonly knex: Knex) {}

  async submitApprovedInvoice(invoice: InvoiceState & { poNumber: string; supplierId: string }): Promise<{ apReference: string }> {
    const normalisedNumber = normaliseDocumentNumber(invoice.invoiceNumber);
    const inserted = await this.knex('ap_invoices')
      .insert({
        ap_reference: `AP-${shortHash(`${invoice.supplierId}/${normalisedNumber}`)}`,
        supplier_id: invoice.supplierId,
        po_number: invoice.poNumber,
        invoice_number: invoice.invoiceNumber,
        normalised_number: normalisedNumber,
        invoice_date: invoice.invoiceDate,
        currency: invoice.currency,
        total: invoice.total,
      })
      // No conflict target: racing inserts may collide on ap_reference first, and since the
      // reference is derived from supplier and number, either collision means "already booked".
      .onConflict()
      .ignore()
      .returning<{ ap_reference: string; po_number: string }[]>(['ap_reference', 'po_number']);
    // Booked now (the common case, no second read), or earlier: then read what was booked.
    const booked =
      inserted[0] ??
      (await this.knex('ap_invoices')
        .where({ supplier_id: invoice.supplierId, normalised_number: normalisedNumber })
        .first<{ ap_reference: string; po_number: string }>('ap_reference', 'po_number'));
    if (booked.po_number !== invoice.poNumber) {
      throw new AdapterRefusal(
        'DUPLICATE_INVOICE',
        `Invoice ${invoice.invoiceNumber} of supplier ${invoice.supplierId} is already registered with AP for PO ${booked.po_number}`,
        'conflict',
      );
    }
    return { apReference: booked.ap_reference };
  }

  /**
   * Never two payments for one key: the insert either books the payment or, when the key is
   * already booked (a retry, or a concurrent call that won), does nothing, and both callers read
   * the one booked row.
   */
  async executePayment(payment: PaymentExecution): Promise<{ paymentId: string }> {
    const inserted = await this.knex('ap_payments')
      .insert({
        idempotency_key: payment.idempotencyKey,
        payment_id: builtinPaymentId(payment.idempotencyKey),
        supplier_id: payment.supplierId,
        po_number: payment.poNumber,
        invoice_number: payment.invoiceNumber,
        currency: payment.currency,
        amount: payment.amount,
        discount: payment.discount,
        attempt: payment.attempt,
      })
      // No conflict target: payment_id is derived from the key, so a racing insert may collide on
      // either unique column, and both mean "this key is already booked".
      .onConflict()
      .ignore()
      .returning<{ payment_id: string; amount: string; invoice_number: string; currency: string }[]>(['payment_id', 'amount', 'invoice_number', 'currency']);
    const booked =
      inserted[0] ??
      (await this.knex('ap_payments')
        .where({ idempotency_key: payment.idempotencyKey })
        .first<{ payment_id: string; amount: string; invoice_number: string; currency: string }>(
          'payment_id',
          'amount',
          'invoice_number',
          'currency',
        ));
    // The same key for another amount is a bug upstream, and paying it would pay the wrong amount.
    if (
      cmp(booked.amount, payment.amount) !== 0 ||
      booked.currency !== payment.currency ||
      booked.invoice_number !== payment.invoiceNumber
    ) {
      throw new PaymentKeyReusedError(
        `Payment key ${payment.idempotencyKey} was already used for ${booked.currency} ${booked.amount} on invoice ${booked.invoice_number}`,
      );
    }
    return { paymentId: booked.payment_id };
  }
}
