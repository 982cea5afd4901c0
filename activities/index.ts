/**
 * The activities of a purchase order workflow. Adapters are injected (`createPorts` builds the
 * real ones); each activity is a thin translation between Temporal and a port: it logs with the
 * PO number, and this file is the one place where an adapter's refusal (./errors.ts) becomes the
 * non-retryable failure the workflow expects. Any other error is retried by Temporal.
 */
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { resolvePaymentTerms, resolveSlas, resolveTolerances } from '../workflows/domain/policy';
import type { PaymentTerms, SlaProfile } from '../workflows/domain/schemas';
import type { InvoiceState, PoPolicy } from '../workflows/domain/state';
import { isHoldInForce } from '../workflows/domain/holds';
import { AdapterRefusal, PaymentOnHoldError, UnbalancedJournalError, UnknownSupplierError } from './errors';
import { financePolicy, type FinancePolicyDefaults } from './finance-policy';
import { PAYMENT_ID_FROM_AP, type PurchaseOrderActivities, type PurchaseOrderIssue } from '../workflows/purchase-order/activity-contract';
import { eventRecordOf, issueStep } from '../workflows/purchase-order/event-records';
import type { BusinessEventRecord, EventRecord, PaymentExecution, Ports, SupplierNotification } from './ports';

/** System-wide timer defaults and payment policy (AppConfig.policy). */
export interface PolicyDefaults extends SlaProfile, FinancePolicyDefaults {
  captureDiscounts: boolean;
}

/** The one translation of adapter refusals into Temporal failures. */
export function toActivityFailure(error: unknown): unknown {
  if (!(error instanceof AdapterRefusal)) return error;
  if (error instanceof UnbalancedJournalError) {
    // A bug in the posting rules: retrying cannot fix it, and nothing was written.
    log.error('Refused an unbalanced journal', { error: error.message });
  }
  return ApplicationFailure.nonRetryable(error.message, error.code, { kind: error.kind, ...error.facts });
}

function translated<A extends unknown[], R>(activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await activity(...args);
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
}

export function createActivities(ports: Ports, policyDefaults: PolicyDefaults): PurchaseOrderActivities {
  async function record(event: BusinessEventRecord | EventRecord): Promise<{ applied: boolean }> {
    const result = 'po' in event ? await ports.erp.recordBusinessEvent(event) : await ports.erp.recordEvent(event);
    log.info(result.applied ? 'Business event recorded' : 'Business event was already recorded', {
      poNumber: event.poNumber,
      eventType: event.type,
      eventId: event.eventId,
    });
    return result;
  }

  async function postToAp(invoice: InvoiceState & { poNumber: string; supplierId: string }): Promise<string> {
    const { apReference } = await ports.ap.submitApprovedInvoice(invoice);
    log.info('Approved invoice registered with AP', { poNumber: invoice.poNumber, invoiceNumber: invoice.invoiceNumber, apReference });
    return apReference;
  }

  /** `at`: the payment's workflow time, against which a supplier hold is in force or not. */
  async function pay(payment: PaymentExecution, at: string): Promise<string> {
    // The guarantee behind supplier holds: a hold the PO has not heard of yet still stops the payment.
    const supplier = await ports.erp.getSupplier(payment.supplierId);
    if (isHoldInForce(supplier?.paymentHold, at)) throw new PaymentOnHoldError(payment.supplierId, supplier!.paymentHold!.reason);
    const { paymentId } = await ports.ap.executePayment(payment);
    log.info('Payment executed', { poNumber: payment.poNumber, invoiceNumber: payment.invoiceNumber, attempt: payment.attempt, paymentId });
    return paymentId;
  }

  /** Resolved once at issue time; the PO keeps it, so later supplier edits don't change open POs. */
  async function supplierPolicy(supplierId: string, poPaymentTerms: PaymentTerms | undefined): Promise<PoPolicy> {
    const supplier = await ports.erp.getSupplier(supplierId);
    if (!supplier) throw new UnknownSupplierError(supplierId);
    return {
      tolerances: resolveTolerances(supplier.tolerances),
      slas: resolveSlas(supplier.slas, {
        ackSla: policyDefaults.ackSla,
        ackReminder: policyDefaults.ackReminder,
        lateDeliveryGrace: policyDefaults.lateDeliveryGrace,
        exceptionSla: policyDefaults.exceptionSla,
      }),
      paymentTerms: resolvePaymentTerms(poPaymentTerms, supplier.paymentTerms),
      captureDiscounts: policyDefaults.captureDiscounts,
      ...financePolicy(policyDefaults, supplier),
    };
  }

  return {
    loadSupplierPolicy: translated((input: { supplierId: string; poPaymentTerms?: PaymentTerms }) => supplierPolicy(input.supplierId, input.poPaymentTerms)),

    /**
     * The policy and the issue in one activity: the record is the one the workflow builds from the
     * same step (`issueStep`, `eventRecordOf`). When an earlier attempt committed the issue, the
     * supplier's terms may have changed since: the answer is the policy the ERP recorded, which the
     * workflow then takes, so the two never disagree.
     */
    issuePurchaseOrder: translated(async ({ issue, workflowId, stamp }: PurchaseOrderIssue): Promise<{ policy: PoPolicy }> => {
      const policy = await supplierPolicy(issue.po.supplierId, issue.po.paymentTerms);
      const { applied } = await record(eventRecordOf(issueStep(issue, policy), workflowId, stamp));
      if (applied) return { policy };
      const recorded = await ports.erp.issuedPolicy(issue.po.poNumber);
      // Retryable: the ERP said the issue is recorded, so its snapshot is there to read.
      if (!recorded) throw new Error(`PO ${issue.po.poNumber} is recorded as issued, but the ERP holds no policy for it`);
      return { policy: recorded };
    }),

    recordBusinessEvent: translated(record),

    notifySupplier: translated(async (notification: SupplierNotification): Promise<{ delivered: boolean }> => {
      const { delivered } = await ports.portal.notify(notification);
      log.info(delivered ? 'Supplier notified' : 'Supplier notification recorded (no webhook configured)', {
        poNumber: notification.poNumber,
        supplierId: notification.supplierId,
        notificationType: notification.type,
      });
      return { delivered };
    }),

    /** Registers an approved invoice with AP, then records its posting and payment date. */
    postApprovedInvoice: translated(
      async (input: { invoice: InvoiceState & { poNumber: string; supplierId: string }; record: BusinessEventRecord }): Promise<{ apReference: string; applied: boolean }> => {
        const apReference = await postToAp(input.invoice);
        const { applied } = await record(input.record);
        return { apReference, applied };
      },
    ),

    /**
     * Executes a due payment through AP (idempotent per key: a retry never pays twice), then
     * records it with the id AP gave, journal included, in one transaction.
     */
    payInvoice: translated(async (input: { payment: PaymentExecution; record: BusinessEventRecord }): Promise<{ paymentId: string }> => {
      const paymentId = await pay(input.payment, input.record.at);
      await record(withPaymentId(input.record, input.payment.invoiceNumber, paymentId));
      return { paymentId };
    }),

    recordEvent: translated(record),

    postInvoiceToAp: translated(async (input: { invoice: InvoiceState & { poNumber: string; supplierId: string }; record: EventRecord }) => {
      await postToAp(input.invoice);
      return record(input.record);
    }),

    payInvoiceThroughAp: translated(async (input: { payment: PaymentExecution; record: EventRecord }): Promise<{ paymentId: string }> => {
      const paymentId = await pay(input.payment, input.record.at);
      await record(withPaymentIdInEvents(input.record, paymentId));
      return { paymentId };
    }),
  };
}

export type { PurchaseOrderActivities };

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

/** The compact record of a payment, with AP's payment id where the placeholder stood. */
function withPaymentIdInEvents(record: EventRecord, paymentId: string): EventRecord {
  return {
    ...record,
    payload: { ...record.payload, paymentId },
    events: record.events.map((event) => (event.type === 'payment.executed' && event.paymentId === PAYMENT_ID_FROM_AP ? { ...event, paymentId } : event)),
  };
}
