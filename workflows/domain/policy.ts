/**
 * Resolving a supplier's policy once, at PO issue time: tolerances, timer SLAs and payment terms.
 * The resolved profile is stored on the PO (PoState.policy), so a supplier record edited later
 * never changes how an open PO is matched or paid.
 */
import type { PaymentTerms, SlaProfile, SupplierSlas, ToleranceProfile, Tolerances } from './schemas';

/** System defaults (docs/domain.md, "Tolerance profile"): exact quantities, 2 % price variance, 5 cents on the invoice total. */
export const DEFAULT_TOLERANCES: Readonly<ToleranceProfile> = Object.freeze({
  qtyOverPct: '0',
  priceVariancePct: '0.02',
  priceVarianceAbs: '0.00',
  totalVarianceAbs: '0.05',
});

/** Net 30 without a discount: what a supplier without agreed terms gets. */
export const DEFAULT_PAYMENT_TERMS: Readonly<PaymentTerms> = Object.freeze({ netDays: 30 });

/** Each tolerance the supplier overrides wins; the others keep the system default. */
export function resolveTolerances(supplierOverride?: Tolerances | null): ToleranceProfile {
  return {
    qtyOverPct: supplierOverride?.qtyOverPct ?? DEFAULT_TOLERANCES.qtyOverPct,
    priceVariancePct: supplierOverride?.priceVariancePct ?? DEFAULT_TOLERANCES.priceVariancePct,
    priceVarianceAbs: supplierOverride?.priceVarianceAbs ?? DEFAULT_TOLERANCES.priceVarianceAbs,
    totalVarianceAbs: supplierOverride?.totalVarianceAbs ?? DEFAULT_TOLERANCES.totalVarianceAbs,
  };
}

/** Per-supplier timer overrides over the configured defaults (temporal-config/env.ts policy). */
export function resolveSlas(override: SupplierSlas | null | undefined, defaults: SlaProfile): SlaProfile {
  return {
    ackSla: override?.ackSla ?? defaults.ackSla,
    ackReminder: override?.ackReminder ?? defaults.ackReminder,
    lateDeliveryGrace: override?.lateDeliveryGrace ?? defaults.lateDeliveryGrace,
    exceptionSla: override?.exceptionSla ?? defaults.exceptionSla,
  };
}

/**
 * Terms negotiated on the PO replace the supplier's standard terms as a whole (a PO saying
 * "net 45" must not inherit the supplier's 2/10 discount); neither → net 30, no discount.
 */
export function resolvePaymentTerms(poTerms?: PaymentTerms | null, supplierTerms?: PaymentTerms | null): PaymentTerms {
  const terms = poTerms ?? supplierTerms ?? DEFAULT_PAYMENT_TERMS;
  return {
    netDays: terms.netDays,
    ...(terms.discountPercent !== undefined && terms.discountDays !== undefined
      ? { discountPercent: terms.discountPercent, discountDays: terms.discountDays }
      : {}),
  };
}
