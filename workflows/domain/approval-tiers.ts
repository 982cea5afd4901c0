/**
 * The arithmetic of approval tiers, shared by the fold, the views and the approval commands
 * (`./approvals.ts`): which tier a value reaches and which request is open.
 */
import { cmp, mul, round2, sum } from './money';
import type { ApprovalRequest, ApprovalTier, PoEventOf, PoPolicy, PoState } from './state';

/** How many distinct approvers a value needs: the highest tier of its currency it reaches, else 0. */
export function requiredApprovals(tiers: readonly ApprovalTier[] | undefined, currency: string, value: string): number {
  return Math.max(0, ...(tiers ?? []).filter((tier) => tier.currency === currency && cmp(value, tier.atLeast) >= 0).map((tier) => tier.approvals));
}

/** The value approvers look at: what is ordered (quantity × buyer's price), lines not cancelled. */
export function orderedValue(lines: readonly { quantity: string; unitPrice: string; cancelled?: boolean }[]): string {
  return round2(sum(lines.filter((line) => !line.cancelled).map((line) => mul(line.quantity, line.unitPrice))));
}

/** The request a new PO starts with when its value reaches a tier (folded by `initialState`). */
export function initialApprovalRequest(event: PoEventOf<'po.issued'>): ApprovalRequest | undefined {
  const total = orderedValue(event.po.lines);
  const required = requiredApprovals(event.policy.approvalTiers, event.po.currency, total);
  if (required === 0) return undefined;
  return { id: 'APR-1', subject: 'issue', status: 'pending', currency: event.po.currency, total, requiredApprovals: required, requestedAt: event.at, requestedBy: event.actor, decisions: [] };
}

/** The approval request waiting for decisions, if any. */
export function openApprovalRequest(po: Pick<PoState, 'approvals'>): ApprovalRequest | undefined {
  const last = po.approvals.at(-1);
  return last?.status === 'pending' ? last : undefined;
}

export function awaitsIssueApproval(po: Pick<PoState, 'approvals'>): boolean {
  return openApprovalRequest(po)?.subject === 'issue';
}

export function approvalsGiven(request: ApprovalRequest): number {
  return request.decisions.filter((decision) => decision.decision === 'approve').length;
}


/** Escalation of a request nobody decided within APPROVAL_SLA (docs/domain.md, "Timers"). */
export const DEFAULT_APPROVAL_SLA = '48h';

export function approvalSlaOf(policy: PoPolicy): string {
  return policy.approvalSla ?? DEFAULT_APPROVAL_SLA;
}

/** Used by the escalation payload: what is still missing. */
export function missingApprovals(request: ApprovalRequest): number {
  return Math.max(0, request.requiredApprovals - approvalsGiven(request));
}

