/**
 * Why a supplier's invoice is held, in words a supplier may read: what was expected and what was
 * invoiced, never the buyer's tolerances (nor a limit from which a tolerance could be worked out).
 */
import type { InvoiceState } from '../../../workflows/domain/state';

type MatchReason = InvoiceState['match']['reasons'][number];

export function supplierReason(reason: MatchReason, lineNo?: number): string {
  const line = lineNo === undefined ? '' : `Line ${lineNo}: `;
  switch (reason.code) {
    case 'PRICE_VARIANCE':
      return `${line}invoiced unit price ${reason.actual} differs from the agreed ${reason.expected}.`;
    case 'QTY_EXCEEDS_RECEIVED':
      return `${line}invoiced quantity ${reason.actual} is more than the buyer has received.`;
    case 'QTY_EXCEEDS_ORDERED':
      return `${line}invoiced quantity ${reason.actual} is more than the ordered ${reason.expected}.`;
    case 'TOTAL_MISMATCH':
      return `Invoice total ${reason.actual} differs from its lines, freight and tax (${reason.expected}).`;
    case 'CURRENCY_MISMATCH':
      return `The invoice is in ${reason.actual}, the purchase order in ${reason.expected}.`;
    case 'UNKNOWN_LINE':
      return `Invoice line ${reason.actual} is not an open line of this purchase order.`;
    default:
      return `${line}${String(reason.code).replace(/_/g, ' ').toLowerCase()}.`;
  }
}

/** Every reason of an invoice's latest match, header reasons first. */
export function supplierReasons(invoice: InvoiceState): string[] {
  return [
    ...invoice.match.reasons.map((reason) => supplierReason(reason)),
    ...invoice.match.lines.flatMap((line) => line.reasons.map((reason) => supplierReason(reason, line.lineNo))),
  ];
}
