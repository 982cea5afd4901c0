/**
 * What users see of a PO, derived from its state and never stored on its own: the status (from
 * line quantities and invoice states), the total, whether it can close, which invoices are held.
 */
import { committedQuantity, hasOpenException, isInvoiceableLine, liveInvoices, openExceptionOf } from '../lookups';
import { cmp, isPositive, mul, round2, sum } from '../money';
import type { PoState, PoStatus, PoView } from '../state';
import { awaitsIssueApproval } from '../approval-tiers';

export function deriveStatus(state: PoState): PoStatus {
  if (state.cancelled) return 'cancelled';
  if (state.closedAt) return 'closed';
  if (awaitsIssueApproval(state)) return 'pending_approval';
  if (state.pendingChanges) return 'changes_pending';
  if (state.awaitingAcknowledgement) return 'issued';
  const open = state.lines.filter((line) => !line.cancelled);
  const goods = open.filter((line) => line.kind === 'goods');
  if (open.length === 0) {
    // Every line short-closed: whatever arrived is all that will.
    return state.lines.some((line) => isPositive(line.receivedQuantity) || isPositive(line.invoicedQuantity)) ? 'received' : 'acknowledged';
  }
  if (goods.length === 0) {
    // A services-only PO is "received" once the work is billed: there are no goods to count.
    const services = open.filter((line) => line.kind === 'service');
    if (services.length > 0 && services.every((line) => cmp(line.invoicedQuantity, line.confirmedQuantity) >= 0)) return 'received';
    return services.some((line) => isPositive(line.invoicedQuantity)) ? 'partially_received' : 'acknowledged';
  }
  if (goods.every((line) => cmp(line.receivedQuantity, line.confirmedQuantity) >= 0)) return 'received';
  if (goods.some((line) => isPositive(line.receivedQuantity))) return 'partially_received';
  if (goods.some((line) => isPositive(line.shippedQuantity))) return 'in_transit';
  return 'acknowledged';
}

/**
 * The PO value: each line's committed quantity (confirmed once acknowledged, else ordered) at the
 * agreed price. A short-closed line keeps its value for what was delivered.
 */
export function poTotal(state: PoState): string {
  return round2(
    sum(
      state.lines
        .filter((line) => !line.cancelled || isInvoiceableLine(line))
        .map((line) => mul(committedQuantity(state, line), line.agreedUnitPrice)),
    ),
  );
}

export function view(state: PoState): PoView {
  return { ...state, status: deriveStatus(state), total: poTotal(state), hasOpenException: hasOpenException(state) };
}

/** docs/domain.md, "Close": every line fully received (or short-closed), fully invoiced, every invoice paid and cleared. */
export function isReadyToClose(state: PoState): boolean {
  if (state.cancelled || state.closedAt) return false;
  if (state.pendingChanges) return false;
  const live = liveInvoices(state);
  // Without an invoice a PO is done only when returns without replacement left nothing ordered.
  if (live.length === 0 && (state.returns.length === 0 || state.lines.some((line) => isPositive(committedQuantity(state, line))))) return false;
  for (const line of state.lines) {
    if (line.kind === 'goods') {
      if (!line.cancelled && cmp(line.receivedQuantity, committedQuantity(state, line)) < 0) return false;
      if (cmp(line.invoicedQuantity, line.receivedQuantity) < 0) return false;
    } else if (cmp(line.invoicedQuantity, committedQuantity(state, line)) < 0) {
      return false;
    }
  }
  if (!live.every((invoice) => invoice.status === 'paid' && invoice.payment?.status === 'cleared')) return false;
  return !hasOpenException(state);
}

/** Invoices to re-match automatically after a receipt or credit memo: waiting for goods, or held on a match exception. */
export function heldInvoices(state: PoState): string[] {
  return state.invoices
    .filter(
      (invoice) =>
        invoice.status === 'pending_receipt' ||
        (invoice.status === 'exception' && openExceptionOf(state, invoice.invoiceNumber, 'MATCH_EXCEPTION') !== undefined),
    )
    .map((invoice) => invoice.invoiceNumber);
}

