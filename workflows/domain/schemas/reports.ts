/**
 * Reports the API computes from the ERP database: procure-to-pay KPIs for finance and operators.
 */
import { z } from 'zod';

const Decimal = z.string().meta({ description: 'Decimal string.', example: '120.00' });
const Rate = z.number().min(0).max(1).nullable().meta({ description: 'Share between 0 and 1; null when there is nothing to measure.' });

export const Kpis = z
  .object({
    generatedAt: z.string(),
    /** Time from issuing a PO to the supplier's first acknowledgement. */
    acknowledgementCycleTime: z.object({
      acknowledgedPurchaseOrders: z.number().int(),
      averageHours: z.number().nullable(),
      medianHours: z.number().nullable(),
    }),
    invoiceMatching: z.object({
      invoices: z.number().int(),
      /** Invoices whose match is decided (not waiting for goods). */
      decidedInvoices: z.number().int(),
      /** Decided invoices that never had a match exception. */
      firstPassMatched: z.number().int(),
      firstPassMatchRate: Rate,
      /** Invoices that had a match exception at any point. */
      invoicesWithException: z.number().int(),
      exceptionRate: Rate,
    }),
    /** Invoices currently held in exception, by how long they have been waiting since the exception opened. */
    openExceptionsByAge: z.object({
      lessThan1Day: z.number().int(),
      from1To3Days: z.number().int(),
      from3To7Days: z.number().int(),
      moreThan7Days: z.number().int(),
      total: z.number().int(),
    }),
    /** From invoice date to payment execution. */
    daysToPay: z.object({ paidInvoices: z.number().int(), averageDays: z.number().nullable() }),
    /** Early-payment discounts taken, per currency (amounts in different currencies never add up). */
    discountsCaptured: z.array(z.object({ currency: z.string(), amount: Decimal, payments: z.number().int() })),
    /** What stands between finance and closing the period (docs/operations.md, "KPIs"). */
    periodCloseReadiness: z.object({
      /** GRNI lines received more than `grniOlderThanDays` ago and still not invoiced. */
      grniOlderThanDays: z.number().int(),
      staleGrniLines: z.number().int(),
      staleGrniAmounts: z.array(z.object({ currency: z.string(), amount: Decimal })),
      /** Invoices waiting for goods or in exception. */
      unmatchedInvoices: z.number().int(),
      /** Approved invoices not posted to AP yet, and outbox events not yet published. */
      unpostedInvoices: z.number().int(),
      unpublishedEvents: z.number().int(),
      /** Debit notes of returns the supplier has not confirmed with a credit memo. */
      unsettledDebitNotes: z.number().int(),
      ready: z.boolean(),
    }),
    /** From an activity's first failed attempt (ERP, AP, supplier webhook) to its next success. */
    integrationFailureResolution: z.object({
      resolved: z.number().int(),
      open: z.number().int(),
      averageMinutes: z.number().nullable(),
      maxMinutes: z.number().nullable(),
    }),
    /** Receipt lines that carry counted and expected quantities. */
    inventoryAccuracy: z.object({
      countedLines: z.number().int(),
      accurateLines: z.number().int(),
      lineAccuracyRate: Rate,
      /** 1 − Σ|counted − expected| / Σ expected. */
      quantityAccuracy: Rate,
    }),
    /** Payment holds now: invoices held (their own hold or their supplier's) and suppliers on hold. */
    paymentHolds: z.object({
      heldInvoices: z.number().int(),
      suppliersOnHold: z.number().int(),
      heldAmounts: z.array(z.object({ currency: z.string(), amount: Decimal })),
      /** Held invoices whose payment date has passed. */
      pastDueWhileHeld: z.number().int(),
    }),
    approvals: z.object({ pending: z.number().int(), escalated: z.number().int() }),
    disputes: z.object({ open: z.number().int(), escalated: z.number().int() }),
  })
  .meta({ id: 'Kpis' });
