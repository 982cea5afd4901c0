/**
 * Small read helpers over a PO's state that matching, the ledger and the lifecycle share (which
 * line or invoice is meant, which invoices count, what has been credited), so the three never
 * disagree. Pure.
 */
import { formatQuantity, isPositive, sub, sum } from './money';
import type { CreditMemoRecord, ExceptionState, InvoiceState, PoLine, PoState } from './state';

/** Normalised document number for duplicate detection: case, spaces and separators ignored. */
export function normaliseDocumentNumber(documentNumber: string): string {
  return documentNumber.toUpperCase().replace(/[\s._\/-]+/g, '');
}

/** Invoice numbers are compared the way duplicates are detected: case, spaces, separators ignored. */
export function sameDocumentNumber(a: string, b: string): boolean {
  return a === b || normaliseDocumentNumber(a) === normaliseDocumentNumber(b);
}

/** Documents list each PO line at most once. */
export function hasUniqueLineNos(lines: readonly { lineNo: number }[]): boolean {
  return new Set(lines.map((line) => line.lineNo)).size === lines.length;
}

export function findInvoice(state: Pick<PoState, 'invoices'>, invoiceNumber: string): InvoiceState | undefined {
  return (
    state.invoices.find((invoice) => invoice.invoiceNumber === invoiceNumber) ??
    state.invoices.find((invoice) => sameDocumentNumber(invoice.invoiceNumber, invoiceNumber))
  );
}

/** For code that only runs once validation has found the invoice: a miss is a bug, not a refusal. */
export function requireInvoice(state: Pick<PoState, 'invoices' | 'poNumber'>, invoiceNumber: string): InvoiceState {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw new Error(`Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  return invoice;
}

/**
 * Position of each line number in a `lines` array, built once per array: a 1,000-line invoice
 * looks up 1,000 lines (matching, ledger, fold), which a scan per lookup makes quadratic
 * (bench section `edi`). A hit is trusted only while the array still holds that very line at
 * that position, a miss only while the array has not grown, so an array changed in place after
 * it was indexed is indexed again: the answer is always the one a scan would give.
 */
const linePositions = new WeakMap<readonly PoLine[], { length: number; positions: Map<number, number> }>();

function indexLines(lines: readonly PoLine[]): { length: number; positions: Map<number, number> } {
  const positions = new Map<number, number>();
  lines.forEach((line, position) => {
    if (!positions.has(line.lineNo)) positions.set(line.lineNo, position);
  });
  const index = { length: lines.length, positions };
  linePositions.set(lines, index);
  return index;
}

export function findLine(state: Pick<PoState, 'lines'>, lineNo: number): PoLine | undefined {
  const lines = state.lines;
  let index = linePositions.get(lines) ?? indexLines(lines);
  let position = index.positions.get(lineNo);
  const stale = position === undefined ? index.length !== lines.length : lines[position]?.lineNo !== lineNo;
  if (stale) {
    index = indexLines(lines);
    position = index.positions.get(lineNo);
  }
  return position === undefined ? undefined : lines[position];
}

/** Credit memos recorded against one invoice, in arrival order. */
export function creditMemosFor(state: Pick<PoState, 'creditMemos'>, invoiceNumber: string): CreditMemoRecord[] {
  return state.creditMemos.filter((memo) => sameDocumentNumber(memo.invoiceNumber, invoiceNumber));
}

/** Quantity of one line on a document (0 when the document does not carry the line). */
export function documentLineQuantity(lines: readonly { lineNo: number; quantity: string }[], lineNo: number): string {
  return formatQuantity(sum(lines.filter((line) => line.lineNo === lineNo).map((line) => line.quantity)));
}

/** An invoice's quantity on a line net of the given credit memos against it. */
export function netInvoiceLineQuantity(
  invoiceLines: readonly { lineNo: number; quantity: string }[],
  memos: readonly Pick<CreditMemoRecord, 'lines'>[],
  lineNo: number,
): string {
  const credited = sum(memos.map((memo) => documentLineQuantity(memo.lines, lineNo)));
  return formatQuantity(sub(documentLineQuantity(invoiceLines, lineNo), credited));
}

/**
 * The quantity a supplier is held to on a line: what they confirmed, once the PO is acknowledged
 * and no change is pending; before that (or while a buyer change order awaits a new
 * acknowledgement, which resets confirmations) the ordered quantity.
 */
export function committedQuantity(state: Pick<PoState, 'awaitingAcknowledgement' | 'pendingChanges'>, line: PoLine): string {
  if (line.cancelled) return line.confirmedQuantity;
  return state.awaitingAcknowledgement || state.pendingChanges ? line.quantity : line.confirmedQuantity;
}

/**
 * A cancelled line can still be invoiced when it was short-closed after goods arrived (its
 * confirmed quantity became what was received): those goods are owed for. A line cancelled
 * before anything was delivered is no longer on the PO for invoicing.
 */
export function isInvoiceableLine(line: PoLine): boolean {
  if (!line.cancelled) return true;
  return line.kind === 'goods' ? isPositive(line.receivedQuantity) : isPositive(line.confirmedQuantity);
}

/** The newest open exception of an invoice (of one code, when given). */
export function openExceptionOf(state: Pick<PoState, 'exceptions'>, invoiceNumber: string, code?: ExceptionState['code']): ExceptionState | undefined {
  return [...state.exceptions]
    .reverse()
    .find((e) => e.status === 'open' && e.invoiceNumber !== undefined && sameDocumentNumber(e.invoiceNumber, invoiceNumber) && (code === undefined || e.code === code));
}

export function hasOpenException(state: Pick<PoState, 'exceptions'>): boolean {
  return state.exceptions.some((exception) => exception.status === 'open');
}

/** Invoices that are not rejected: what counts as billed. */
export function liveInvoices(state: Pick<PoState, 'invoices'>): InvoiceState[] {
  return state.invoices.filter((invoice) => invoice.status !== 'rejected');
}
