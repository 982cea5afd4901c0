/**
 * The finance side of a PO's policy, resolved at issue time with the rest of it (docs/domain.md,
 * "Policy copied at issue"): the approval tiers and SLAs from configuration, and the supplier's
 * payment hold as it stands, so a PO issued to a held supplier starts held.
 */
import type { ApprovalTier, PoPolicy } from '../workflows/domain/state';
import type { SupplierRecord } from './ports';

export interface FinancePolicyDefaults {
  /** PO_APPROVAL_TIERS */
  approvalTiers?: ApprovalTier[];
  /** APPROVAL_SLA */
  approvalSla?: string;
  /** DISPUTE_SLA */
  disputeSla?: string;
}

export function financePolicy(defaults: FinancePolicyDefaults, supplier: SupplierRecord): Pick<PoPolicy, 'approvalTiers' | 'approvalSla' | 'disputeSla' | 'supplierHold'> {
  return {
    ...(defaults.approvalTiers && defaults.approvalTiers.length > 0 ? { approvalTiers: defaults.approvalTiers } : {}),
    ...(defaults.approvalSla !== undefined ? { approvalSla: defaults.approvalSla } : {}),
    ...(defaults.disputeSla !== undefined ? { disputeSla: defaults.disputeSla } : {}),
    ...(supplier.paymentHold ? { supplierHold: supplier.paymentHold } : {}),
  };
}
