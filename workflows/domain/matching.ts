/**
 * Three-way match (docs/domain.md, "Three-way match"): each invoice line against its PO line (agreed price) and the
 * cumulative accepted receipts; services two-way against the confirmed quantity; header checks
 * on currency and total. Every reason carries expected / actual / tolerance so an AP clerk can
 * redo the maths.
 */
import { Dec, abs, add, cmp, dec, formatPrice, formatQuantity, isZero, lineAmount, max, mul, sub, sum } from './money';
import { committedQuantity, documentLineQuantity, findLine, isInvoiceableLine, sameDocumentNumber } from './lookups';
import type { Invoice } from './schemas';
import type { MatchLine, MatchReason, MatchResult, PoState } from './state';

// ---------------------------------------------------------------------------------------------
// Three-way match
// ---------------------------------------------------------------------------------------------

/** The parts of an invoice the match looks at: a new submission or a stored InvoiceState. */
export type MatchableInvoice = Pick<Invoice, 'invoiceNumber' | 'currency' | 'lines' | 'total'> & {
  freight?: string;
  tax?: string;
};

export interface ThreeWayMatchInput {
  state: PoState;
  invoice: MatchableInvoice;
  /**
   * For a re-match: which invoice already on the PO this is, so that it is not counted twice and
   * only invoices submitted before it count as "earlier". Defaults to `invoice.invoiceNumber`
   * when that invoice is already on the PO; a new invoice comes after every existing one.
   */
  invoiceNumber?: string;
  /** ISO instant of the match (from the event), recorded as matchedAt. */
  at: string;
}

function reason(code: MatchReason['code'], message: string, expected: string, actual: string, tolerance: string): MatchReason {
  return { code, message, expected, actual, tolerance };
}

/**
 * A price tolerance as a clerk can check it: prices have at most 4 decimals, so two prices differ
 * in steps of 0.0001 and "difference ≤ tolerance" holds exactly when the difference is ≤ the
 * tolerance rounded DOWN to 4 decimals (2 % of 0.1234 = 0.002468 → 0.0024). Rounding it to
 * nearest (0.0025) would show a held difference of 0.0025 as if it were within tolerance.
 */
function formatPriceTolerance(value: Dec): string {
  return formatPrice(value.toDecimalPlaces(4, Dec.ROUND_DOWN));
}

export function threeWayMatch({ state, invoice, invoiceNumber, at }: ThreeWayMatchInput): MatchResult {
  const tolerances = state.policy.tolerances;
  const ownNumber = invoiceNumber ?? invoice.invoiceNumber;
  const ownIndex = state.invoices.findIndex((existing) => sameDocumentNumber(existing.invoiceNumber, ownNumber));
  // Invoices submitted before this one, in array order; a new invoice comes after all of them.
  const earlier = (ownIndex >= 0 ? state.invoices.slice(0, ownIndex) : state.invoices).filter(
    (existing) => existing.status !== 'rejected',
  );
  const counted = [...earlier.map((existing) => existing.invoiceNumber), ownNumber];
  const memosCounted = state.creditMemos.filter((memo) => counted.some((number) => sameDocumentNumber(memo.invoiceNumber, number)));

  const lines: MatchLine[] = invoice.lines.map((invoiceLine) => {
    const poLine = findLine(state, invoiceLine.lineNo);
    if (!poLine || !isInvoiceableLine(poLine)) {
      const why = poLine
        ? `Line ${invoiceLine.lineNo} (${poLine.sku}) was cancelled on PO ${state.poNumber} and can no longer be invoiced`
        : `Line ${invoiceLine.lineNo} is not on PO ${state.poNumber}`;
      return {
        lineNo: invoiceLine.lineNo,
        status: 'exception',
        reasons: [reason('UNKNOWN_LINE', why, poLine ? 'an open PO line' : 'a PO line number', String(invoiceLine.lineNo), '0')],
      };
    }

    const reasons: MatchReason[] = [];
    let pendingReceipt = false;

    // Quantity: everything invoiced on this line so far, this invoice included, net of credits.
    const cumulativeInvoiced = formatQuantity(
      sub(
        add(...earlier.map((existing) => documentLineQuantity(existing.lines, poLine.lineNo)), invoiceLine.quantity),
        sum(memosCounted.map((memo) => documentLineQuantity(memo.lines, poLine.lineNo))),
      ),
    );
    if (poLine.kind === 'service') {
      // Services are never "received": two-way match against what was ordered / confirmed.
      const ordered = committedQuantity(state, poLine);
      if (cmp(cumulativeInvoiced, ordered) > 0) {
        reasons.push(
          reason(
            'QTY_EXCEEDS_ORDERED',
            `Line ${poLine.lineNo} (${poLine.sku}): invoiced quantity ${cumulativeInvoiced} (all invoices, net of credits) exceeds the ordered ${formatQuantity(ordered)}`,
            formatQuantity(ordered),
            cumulativeInvoiced,
            '0',
          ),
        );
      }
    } else if (isZero(poLine.receivedQuantity)) {
      // Nothing accepted yet: hold the line until goods arrive; not the supplier's error (yet).
      pendingReceipt = true;
    } else {
      const received = dec(poLine.receivedQuantity);
      const allowedOver = mul(received, tolerances.qtyOverPct);
      const limit = received.plus(allowedOver);
      if (cmp(cumulativeInvoiced, limit) > 0) {
        reasons.push(
          reason(
            'QTY_EXCEEDS_RECEIVED',
            `Line ${poLine.lineNo} (${poLine.sku}): invoiced quantity ${cumulativeInvoiced} (all invoices, net of credits) exceeds the ${formatQuantity(received)} received` +
              (isZero(allowedOver) ? '' : ` plus tolerance ${formatQuantity(allowedOver)}`),
            formatQuantity(limit),
            cumulativeInvoiced,
            formatQuantity(allowedOver),
          ),
        );
      }
    }

    // Price: against the agreed price (an approved supplier change, else the PO price).
    const agreed = dec(poLine.agreedUnitPrice);
    const priceTolerance = max(mul(agreed, tolerances.priceVariancePct), tolerances.priceVarianceAbs);
    if (cmp(abs(sub(invoiceLine.unitPrice, agreed)), priceTolerance) > 0) {
      reasons.push(
        reason(
          'PRICE_VARIANCE',
          `Invoiced unit price ${formatPrice(invoiceLine.unitPrice)} differs from agreed ${formatPrice(agreed)} by more than ${formatPriceTolerance(priceTolerance)}` +
            ` (line ${poLine.lineNo}, ${poLine.sku})`,
          formatPrice(agreed),
          formatPrice(invoiceLine.unitPrice),
          formatPriceTolerance(priceTolerance),
        ),
      );
    }

    const status: MatchLine['status'] = reasons.length > 0 ? 'exception' : pendingReceipt ? 'pending_receipt' : 'matched';
    return { lineNo: invoiceLine.lineNo, status, reasons };
  });

  const headerReasons: MatchReason[] = [];
  if (invoice.currency !== state.currency) {
    headerReasons.push(
      reason(
        'CURRENCY_MISMATCH',
        `Invoice is in ${invoice.currency} but PO ${state.poNumber} is in ${state.currency}`,
        state.currency,
        invoice.currency,
        '0',
      ),
    );
  }
  const computedTotal = add(
    ...invoice.lines.map((line) => lineAmount(line.quantity, line.unitPrice)),
    invoice.freight ?? '0',
    invoice.tax ?? '0',
  );
  const totalTolerance = dec(tolerances.totalVarianceAbs);
  if (cmp(abs(sub(computedTotal, invoice.total)), totalTolerance) > 0) {
    headerReasons.push(
      reason(
        'TOTAL_MISMATCH',
        // Amounts as stated (up to 4 decimals): rounded to cents, 100.054 against 100.00 would look within 0.05.
        `Invoice total ${formatPrice(invoice.total)} differs from the lines, freight and tax (${formatPrice(computedTotal)}) by more than ${formatPrice(totalTolerance)}`,
        formatPrice(computedTotal),
        formatPrice(invoice.total),
        formatPrice(totalTolerance),
      ),
    );
  }

  const anyException = headerReasons.length > 0 || lines.some((line) => line.status === 'exception');
  const anyPending = lines.some((line) => line.status === 'pending_receipt');
  return {
    status: anyException ? 'exception' : anyPending ? 'pending_receipt' : 'matched',
    reasons: headerReasons,
    lines,
    matchedAt: at,
  };
}

/** All reasons of a match, header first: what an exception carries. */
export function allReasons(match: MatchResult): MatchReason[] {
  return [...match.reasons, ...match.lines.flatMap((line) => line.reasons)];
}

/**
 * Whether a re-match changed anything a clerk would see: status and every reason, line by line.
 * The time of the match does not count.
 */
export function sameMatch(a: Omit<MatchResult, 'matchedAt'>, b: Omit<MatchResult, 'matchedAt'>): boolean {
  return (
    a.status === b.status &&
    sameReasons(a.reasons, b.reasons) &&
    a.lines.length === b.lines.length &&
    a.lines.every((line, index) => {
      const other = b.lines[index]!;
      return line.lineNo === other.lineNo && line.status === other.status && sameReasons(line.reasons, other.reasons);
    })
  );
}

function sameReasons(a: readonly MatchReason[], b: readonly MatchReason[]): boolean {
  return (
    a.length === b.length &&
    a.every((reason, index) => {
      const other = b[index]!;
      return (
        reason.code === other.code &&
        reason.message === other.message &&
        reason.expected === other.expected &&
        reason.actual === other.actual &&
        reason.tolerance === other.tolerance
      );
    })
  );
}

/**
 * A match reason as the supplier sees it (api/supplier-view.ts): the same code, expected and actual
 * values, without the buyer's tolerance, neither as a field nor in the message. For
 * QTY_EXCEEDS_RECEIVED the expected value is the received quantity, not received + tolerance.
 * The message clauses removed here are the ones `threeWayMatch` writes above.
 */
export function withoutTolerance(reason: MatchReason): Omit<MatchReason, 'tolerance'> {
  const { tolerance: _tolerance, ...rest } = reason;
  const message = reason.message.replace(/ plus tolerance [^\s,;)]+/, '').replace(/ by more than [^\s(]+/, '');
  if (reason.code !== 'QTY_EXCEEDS_RECEIVED') return { ...rest, message };
  const received = /exceeds the (\S+) received/.exec(reason.message)?.[1];
  return { ...rest, message, ...(received ? { expected: received } : {}) };
}
