/**
 * Approval tiers (docs/domain.md, "Approval tiers"; docs/adr/0050-approval-tiers.md): a PO whose
 * ordered value reaches a tier of its currency (PO_APPROVAL_TIERS, copied onto the PO at issue)
 * waits in `pending_approval`, unseen by the supplier, until that many distinct approvers approve
 * it; one rejection cancels it. A change order that raises the value to a tier waits the same way,
 * unapplied, and reaches the supplier only once approved; one that lowers it never waits.
 * Approvers never approve what they requested themselves (segregation of duties).
 */
import { conflict } from './errors';
import { assertOpen, checkChangeOrder } from './lifecycle/validate';
import { cmp, round2, sub } from './money';
import * as decide from './business-events';
import type { Command, Outcome } from './business-events';
import type * as wire from './schemas';
import { approvalsGiven, openApprovalRequest, orderedValue, requiredApprovals } from './approval-tiers';
import type { Actor, ApprovalRequest, PoEventOf, PoState } from './state';

export * from './approval-tiers';

const none: Outcome = { record: null, notices: [] };

/** The ordered value the PO would have after a change order. */
function valueAfterChange(po: PoState, changeOrder: wire.ChangeOrder): string {
  const lines = po.lines.map((line) => ({ lineNo: line.lineNo, quantity: line.quantity, unitPrice: line.unitPrice, cancelled: line.cancelled }));
  for (const change of changeOrder.lines) {
    const line = lines.find((candidate) => candidate.lineNo === change.lineNo);
    if (!line) lines.push({ lineNo: change.lineNo, quantity: change.quantity ?? '0', unitPrice: change.unitPrice ?? '0', cancelled: false });
    else if (change.action === 'cancel') line.cancelled = true;
    else Object.assign(line, { ...(change.quantity !== undefined ? { quantity: change.quantity } : {}), ...(change.unitPrice !== undefined ? { unitPrice: change.unitPrice } : {}) });
  }
  return orderedValue(lines);
}

/**
 * A buyer change order: sent to the supplier at once (`decide.changed`) unless it raises the
 * ordered value to a tier, in which case it is held, unapplied, for the approvers.
 */
export function changeOrdered(po: PoState, command: Command<wire.ChangeOrder>, at: string): Outcome {
  const before = orderedValue(po.lines);
  const after = valueAfterChange(po, command.body);
  const required = requiredApprovals(po.policy.approvalTiers, po.currency, after);
  if (cmp(after, before) <= 0 || required === 0) return decide.changed(po, command, at);
  const request: ApprovalRequest = {
    id: `APR-${po.approvals.length + 1}`,
    subject: 'change_order',
    status: 'pending',
    currency: po.currency,
    total: after,
    requiredApprovals: required,
    requestedAt: at,
    requestedBy: command.actor,
    changeOrder: command.body,
    decisions: [],
  };
  return {
    record: {
      type: 'po.change_pending_approval',
      documentKey: request.id,
      events: [{ type: 'approval.requested', at, actor: command.actor, request }],
      payload: { approvalRequest: request, previousTotal: before, increase: round2(sub(after, before)) },
    },
    notices: [],
  };
}

/** Whether an approver may decide now (the Update's validator and the handler both run this). */
export function validateApprovalDecision(po: PoState, actor: Actor, decision: wire.ApprovalDecision): void {
  assertOpen(po);
  const request = openApprovalRequest(po);
  if (!request) throw conflict('NO_APPROVAL_PENDING', `PO ${po.poNumber} has no approval request waiting for a decision`);
  if (actor.id === request.requestedBy.id) {
    throw conflict('SELF_APPROVAL', `${actor.id} requested ${request.id} and cannot decide on it: an approver must be someone else (segregation of duties)`);
  }
  const earlier = request.decisions.find((d) => d.by.id === actor.id);
  if (earlier && earlier.decision !== decision.decision) {
    throw conflict('ALREADY_DECIDED', `${actor.id} already decided "${earlier.decision}" on ${request.id}; each approver decides once`);
  }
  // A held change order is applied when approved: it must still fit the PO as it is now.
  if (!earlier && decision.decision === 'approve' && request.changeOrder && approvalsGiven(request) + 1 >= request.requiredApprovals) {
    checkChangeOrder(po, request.changeOrder);
  }
}

/** The PO as the supplier is told about it when approvers release it. */
function issuedDocument(po: PoState): Record<string, unknown> {
  return {
    poNumber: po.poNumber,
    supplierId: po.supplierId,
    currency: po.currency,
    ...(po.buyer !== undefined ? { buyer: po.buyer } : {}),
    ...(po.policy.paymentTerms ? { paymentTerms: po.policy.paymentTerms } : {}),
    lines: po.lines.filter((line) => !line.cancelled).map((line) => ({
      lineNo: line.lineNo,
      sku: line.sku,
      ...(line.description !== undefined ? { description: line.description } : {}),
      kind: line.kind,
      quantity: line.quantity,
      uom: line.uom,
      unitPrice: line.unitPrice,
      ...(line.requestedDate !== undefined ? { requestedDate: line.requestedDate } : {}),
    })),
  };
}

/**
 * An approver's decision. The last approval a request needs releases it: the PO goes to the
 * supplier (`po.issued` notice), or the held change order is applied and sent (`po.changed`). A
 * rejection cancels a PO never sent, or drops the held change order.
 */
export function approvalDecided(po: PoState, { actor, body }: Command<wire.ApprovalDecision>, at: string): Outcome {
  const request = openApprovalRequest(po)!;
  if (request.decisions.some((d) => d.by.id === actor.id)) return none; // the same decision again
  const decided: PoEventOf<'approval.decided'> = { type: 'approval.decided', at, actor, requestId: request.id, decision: body.decision, reason: body.reason };
  const given = approvalsGiven(request) + (body.decision === 'approve' ? 1 : 0);
  const payload = { requestId: request.id, subject: request.subject, decision: body.decision, reason: body.reason, approvals: given, requiredApprovals: request.requiredApprovals, total: request.total };
  if (body.decision === 'reject') {
    const events: PoEventOf<'approval.decided' | 'po.cancelled'>[] = [decided];
    if (request.subject === 'issue') events.push({ type: 'po.cancelled', at, actor, reason: `Approval ${request.id} rejected: ${body.reason}` });
    return { record: { type: 'po.approval_rejected', documentKey: `${request.id}/${actor.id}`, events, payload }, notices: [] };
  }
  if (given < request.requiredApprovals) {
    return { record: { type: 'po.approval_recorded', documentKey: `${request.id}/${actor.id}`, events: [decided], payload }, notices: [] };
  }
  const approved: PoEventOf<'po.approved'> = { type: 'po.approved', at, actor, requestId: request.id };
  if (request.subject === 'issue') {
    return {
      record: { type: 'po.approved', documentKey: `${request.id}/${actor.id}`, events: [decided, approved], payload },
      notices: [{ type: 'po.issued', data: { po: issuedDocument(po), total: request.total } }],
    };
  }
  const change = decide.changed(po, { actor: request.requestedBy, body: request.changeOrder!, bodyHash: request.id }, at);
  return {
    record: { type: 'po.approved', documentKey: `${request.id}/${actor.id}`, events: [decided, approved, ...change.record!.events], payload: { ...payload, changeOrder: request.changeOrder } },
    notices: change.notices,
  };
}

