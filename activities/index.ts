/**
 * The activities of a purchase order workflow. Adapters are injected (`createPorts` builds the
 * real ones); each activity is a thin translation between Temporal and a port: it logs with the
 * PO number and turns typed adapter errors into the failures the workflow expects.
 */
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { PaymentTerms, SlaProfile } from '../workflows/domain/schemas';
import type { InvoiceState, PoPolicy } from '../workflows/domain/state';
import { resolvePaymentTerms, resolveSlas, resolveTolerances } from '../workflows/domain/tolerances';
import { DuplicateInvoiceError, UnbalancedJournalError } from './erp/knex-erp';
import { PAYMENT_ID_FROM_AP, type BusinessEventRecord, type PaymentExecution, type Ports, type SupplierNotification } from './ports';

/** System-wide timer defaults and payment policy (AppConfig.policy). */
export interface PolicyDefaults extends SlaProfile {
  captureDiscounts: boolean;
}

export function createActivities(ports: Ports, policyDefaults: PolicyDefaults) {
  async function record_(record: BusinessEventRecord): Promise<{ applied: boolean }> {
    try {
      const result = await ports.erp.recordBusinessEvent(record);
      log.info(result.applied ? 'Business event recorded' : 'Business event was already recorded', {
        poNumber: record.poNumber,
        eventType: record.type,
        eventId: record.eventId,
      });
      return result;
    } catch (error) {
      if (error instanceof DuplicateInvoiceError) {
        throw ApplicationFailure.nonRetryable(error.message, 'DUPLICATE_INVOICE', { kind: 'conflict' });
      }
      if (error instanceof UnbalancedJournalError) {
        // A bug in the posting rules: retrying cannot fix it, and nothing was written.
        log.error('Refused an unbalanced journal', { poNumber: record.poNumber, eventType: record.type, error: error.message });
        throw ApplicationFailure.nonRetryable(error.message, 'UNBALANCED_JOURNAL', { kind: 'unprocessable' });
      }
      throw error;
    }
  }

  return {
    /** Resolved once at issue time; the PO keeps it, so later supplier edits don't change open POs. */
    async loadSupplierPolicy(input: { supplierId: string; poPaymentTerms?: PaymentTerms }): Promise<PoPolicy> {
      const supplier = await ports.erp.getSupplier(input.supplierId);
      if (!supplier) {
        throw ApplicationFailure.nonRetryable(`Unknown supplier ${input.supplierId}`, 'UNKNOWN_SUPPLIER', { kind: 'unprocessable' });
      }
      return {
        tolerances: resolveTolerances(supplier.tolerances),
        slas: resolveSlas(supplier.slas, {
          ackSla: policyDefaults.ackSla,
          ackReminder: policyDefaults.ackReminder,
          lateDeliveryGrace: policyDefaults.lateDeliveryGrace,
          exceptionSla: policyDefaults.exceptionSla,
        }),
        paymentTerms: resolvePaymentTerms(input.poPaymentTerms, supplier.paymentTerms),
        captureDiscounts: policyDefaults.captureDiscounts,
      };
    },

    async recordBusinessEvent(record: BusinessEventRecord): Promise<{ applied: boolean }> {
      return record_(record);
    },

    async notifySupplier(notification: SupplierNotification): Promise<{ delivered: boolean }> {
      const { delivered } = await ports.portal.notify(notification);
      log.info(delivered ? 'Supplier notified' : 'Supplier notification recorded (no webhook configured)', {
        poNumber: notification.poNumber,
        supplierId: notification.supplierId,
        notificationType: notification.type,
      });
      return { delivered };
    },

    /** Registers an approved invoice with AP, then records its posting and payment date. */
    async postApprovedInvoice(input: { invoice: InvoiceState & { poNumber: string; supplierId: string }; record: BusinessEventRecord }): Promise<{ apReference: string; applied: boolean }> {
      const { apReference } = await ports.ap.submitApprovedInvoice(input.invoice);
      log.info('Approved invoice registered with AP', { poNumber: input.invoice.poNumber, invoiceNumber: input.invoice.invoiceNumber, apReference });
      const { applied } = await record_(input.record);
      return { apReference, applied };
    },

    /**
     * Executes a due payment through AP (idempotent per key: a retry never pays twice), then
     * records it with the id AP gave, journal included, in one transaction.
     */
    async payInvoice(input: { payment: PaymentExecution; record: BusinessEventRecord }): Promise<{ paymentId: string }> {
      const { payment } = input;
      const { paymentId } = await ports.ap.executePayment(payment);
      log.info('Payment executed', { poNumber: payment.poNumber, invoiceNumber: payment.invoiceNumber, attempt: payment.attempt, paymentId });
      await record_(withPaymentId(input.record, payment.invoiceNumber, paymentId));
      return { paymentId };
    },
  };
}

export type PurchaseOrderActivities = ReturnType<typeof createActivities>;

/** The workflow's record of a payment, with AP's payment id where the placeholder stood. */
function withPaymentId(record: BusinessEventRecord, invoiceNumber: string, paymentId: string): BusinessEventRecord {
  return {
    ...record,
    payload: { ...record.payload, paymentId },
    po: {
      ...record.po,
      invoices: record.po.invoices.map((invoice) =>
        invoice.invoiceNumber === invoiceNumber && invoice.payment?.paymentId === PAYMENT_ID_FROM_AP
          ? { ...invoice, payment: { ...invoice.payment, paymentId } }
          : invoice,
      ),
    },
  };
}
