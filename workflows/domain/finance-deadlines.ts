/**
 * The timers of the finance controls (docs/domain.md, "Timers"): approval escalation, hold release
 * dates and dispute SLAs, as data like every other deadline (`./deadlines.ts`).
 */
import { approvalSlaOf, approvalsGiven, missingApprovals, openApprovalRequest } from './approval-tiers';
import { durationToMs, instantToMs } from './calendar';
import { disputeDeadlines } from './disputes';
import { holdReleaseDeadlines } from './holds';
import { SYSTEM } from './system-actor';
import type { BusinessEvent, PoState, SupplierNotice } from './state';

interface FinanceDeadline {
  at: number;
  record: BusinessEvent;
  notices?: SupplierNotice[];
}

export function financeDeadlines(po: PoState, now: number): FinanceDeadline[] {
  const at = new Date(now).toISOString();
  const result: FinanceDeadline[] = [];
  const request = openApprovalRequest(po);
  if (request && !request.escalatedAt) {
    const sla = approvalSlaOf(po.policy);
    result.push({
      at: instantToMs(request.requestedAt) + durationToMs(sla),
      record: {
        type: 'approval.overdue',
        documentKey: request.id,
        events: [{ type: 'approval.escalated', at, actor: SYSTEM, requestId: request.id }],
        payload: {
          requestId: request.id,
          subject: request.subject,
          total: request.total,
          currency: request.currency,
          requiredApprovals: request.requiredApprovals,
          approvals: approvalsGiven(request),
          missingApprovals: missingApprovals(request),
          requestedAt: request.requestedAt,
          requestedBy: request.requestedBy.id,
          buyer: po.buyer,
          sla,
        },
      },
    });
  }
  result.push(...holdReleaseDeadlines(po, now), ...disputeDeadlines(po, now));
  return result;
}
