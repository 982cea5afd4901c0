/**
 * Balanced double-entry journals for each business event (docs/accounting.md).
 *
 * GRNI (goods received not invoiced) must come back to exactly 0 when a PO closes, yet each
 * receipt and invoice rounds to cents. So GRNI is valued cumulatively per line: an event moves
 * GRNI by round2(quantityAfter × price) − round2(quantityBefore × price). Summed over any sequence
 * of events the amounts telescope to round2(total × price) on each side, and the receipt side
 * and the invoice side cancel when invoiced-net-of-credits equals received. Anything that is not
 * GRNI at the agreed price (price differences, total variances within tolerance, approved
 * overrides, memo pricing) goes to Purchase Price Variance, which is also what balances an entry.
 *
 * All amounts are 2-decimal strings; no entry has a zero line; each line has one side only.
 * Functions return null when an event moves no money (e.g. a receipt of only rejected goods).
 */
import { add, dec, isZero, lineAmount, mul, neg, round2, roundCents, sub, sum } from './money';
import type { CreditMemo, GoodsReceipt, ReturnToVendor } from './schemas';
import { SYSTEM } from './system-actor';
import { creditMemosFor, documentLineQuantity, findInvoice, findLine, netInvoiceLineQuantity, sameDocumentNumber } from './lookups';
import type { Account, InvoiceState, JournalEntry, JournalLine, PoLine, PoState } from './state';
import type Decimal from 'decimal.js';

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** What a line is about, for the reports (docs/accounting.md, "Reports"): a PO line, an invoice. */
type Dimensions = Pick<JournalLine, 'lineNo' | 'invoiceNumber'>;

/** A signed amount as one journal line: positive → debit, negative → credit, zero → no line. */
function signedLine(account: Account, amount: Decimal | string, memo?: string, dimensions: Dimensions = {}): JournalLine | null {
  const cents = roundCents(amount);
  if (cents.isZero()) return null;
  const line: JournalLine = cents.isPositive()
    ? { account, debit: round2(cents), credit: '0.00' }
    : { account, debit: '0.00', credit: round2(cents.negated()) };
  return { ...line, ...(memo === undefined ? {} : { memo }), ...dimensions };
}

const debit = (account: Account, amount: Decimal | string, memo?: string, dimensions?: Dimensions) => signedLine(account, amount, memo, dimensions);
const credit = (account: Account, amount: Decimal | string, memo?: string, dimensions?: Dimensions) => signedLine(account, neg(amount), memo, dimensions);
const onLine = (lineNo: number): Dimensions => ({ lineNo });
const onInvoice = (invoiceNumber: string): Dimensions => ({ invoiceNumber });

function entry(description: string, currency: string, lines: (JournalLine | null)[]): JournalEntry | null {
  const kept = lines.filter((line): line is JournalLine => line !== null);
  if (kept.length === 0) return null;
  const result: JournalEntry = { description, currency, lines: kept };
  assertBalanced(result);
  return result;
}

/** Σ debits − Σ credits of some lines (0 for a balanced entry). */
function net(lines: (JournalLine | null)[]): Decimal {
  return sum(lines.filter((line): line is JournalLine => line !== null).map((line) => sub(line.debit, line.credit)));
}

/** Throws when an entry does not balance or has a zero / two-sided line: a bug, never a user error. */
export function assertBalanced(journal: JournalEntry): void {
  let debits = dec(0);
  let credits = dec(0);
  for (const line of journal.lines) {
    const d = dec(line.debit);
    const c = dec(line.credit);
    if (d.isNegative() || c.isNegative() || d.isZero() === c.isZero()) {
      throw new Error(`Journal "${journal.description}": line ${line.account} must have exactly one positive side (debit ${line.debit}, credit ${line.credit})`);
    }
    if (!roundCents(d).equals(d) || !roundCents(c).equals(c)) {
      throw new Error(`Journal "${journal.description}": line ${line.account} is not in whole cents`);
    }
    debits = debits.plus(d);
    credits = credits.plus(c);
  }
  if (!debits.equals(credits)) {
    throw new Error(`Journal "${journal.description}" does not balance: debits ${round2(debits)}, credits ${round2(credits)}`);
  }
}

/** Sums journals per account (debit − credit): for invariants, tests and ops. */
export function accountBalances(journals: readonly (JournalEntry | null | undefined)[]): Record<Account, string> {
  const balances: Record<Account, Decimal> = {
    INVENTORY: dec(0),
    GRNI: dec(0),
    PPV: dec(0),
    FREIGHT_IN: dec(0),
    TAX_RECEIVABLE: dec(0),
    AP: dec(0),
    BANK: dec(0),
    PURCHASE_DISCOUNTS: dec(0),
    EXPENSE: dec(0),
  };
  for (const journal of journals) {
    for (const line of journal?.lines ?? []) {
      balances[line.account] = balances[line.account].plus(dec(line.debit)).minus(dec(line.credit));
    }
  }
  return Object.fromEntries(Object.entries(balances).map(([account, amount]) => [account, round2(amount)])) as Record<Account, string>;
}

/** GRNI value of a line's cumulative quantity: the one place GRNI rounding happens. */
function grniValue(line: PoLine, quantity: Decimal | string): Decimal {
  return roundCents(mul(quantity, line.agreedUnitPrice));
}

/** GRNI movement when a line's cumulative quantity goes from `before` to `after`. */
function grniDelta(line: PoLine, before: Decimal | string, after: Decimal | string): Decimal {
  return sub(grniValue(line, after), grniValue(line, before));
}

function isPosted(invoice: InvoiceState): boolean {
  return invoice.postedAt !== undefined && invoice.status !== 'rejected';
}

/**
 * Net quantity on a line that AP currently holds against GRNI: posted, not voided invoices, net
 * of their credit memos, leaving out the invoice / memo the caller is about to post or void.
 */
export function postedNetQuantity(
  state: PoState,
  lineNo: number,
  exclude: { invoiceNumber?: string; creditMemoNumber?: string },
): Decimal {
  const memos = state.creditMemos.filter((memo) => memo.creditMemoNumber !== exclude.creditMemoNumber);
  return sum(
    state.invoices
      .filter((invoice) => isPosted(invoice))
      .filter((invoice) => exclude.invoiceNumber === undefined || !sameDocumentNumber(invoice.invoiceNumber, exclude.invoiceNumber))
      .map((invoice) =>
        netInvoiceLineQuantity(
          invoice.lines,
          memos.filter((memo) => sameDocumentNumber(memo.invoiceNumber, invoice.invoiceNumber)),
          lineNo,
        ),
      ),
  );
}

function lineNosOf(...documents: { lines: { lineNo: number }[] }[]): number[] {
  return [...new Set(documents.flatMap((document) => document.lines.map((line) => line.lineNo)))].sort((a, b) => a - b);
}

/** Σ line amounts of one line number on a document (quantity × its unit price, each to cents). */
function documentLineAmount(document: { lines: { lineNo: number; quantity: string; unitPrice: string }[] }, lineNo: number): Decimal {
  return sum(document.lines.filter((line) => line.lineNo === lineNo).map((line) => lineAmount(line.quantity, line.unitPrice)));
}

/**
 * The GRNI / Expense side of an invoice net of its memos, for posting (direction 1, debits) or
 * voiding (direction -1, credits). Lines not on the PO (approved by finance as an override) carry
 * no GRNI: their amount lands in PPV through the balancing line.
 */
function invoiceCostLines(
  state: PoState,
  invoice: InvoiceState,
  memos: CreditMemo[],
  cumulativeBefore: (line: PoLine) => Decimal,
  direction: 1 | -1,
): (JournalLine | null)[] {
  const lines: (JournalLine | null)[] = [];
  for (const lineNo of lineNosOf(invoice, ...memos)) {
    const poLine = findLine(state, lineNo);
    if (!poLine) continue;
    if (poLine.kind === 'service') {
      // Services never pass through GRNI: the invoiced amount is the cost.
      const amount = sub(documentLineAmount(invoice, lineNo), sum(memos.map((memo) => documentLineAmount(memo, lineNo))));
      lines.push(signedLine('EXPENSE', direction === 1 ? amount : neg(amount), `line ${lineNo} ${poLine.sku}`, onLine(lineNo)));
      continue;
    }
    const netQuantity = netInvoiceLineQuantity(invoice.lines, memos, lineNo);
    const before = cumulativeBefore(poLine);
    const after = direction === 1 ? add(before, netQuantity) : sub(before, netQuantity);
    // Posting: GRNI debit = value(after) − value(before); voiding: the same movement, downwards.
    lines.push(signedLine('GRNI', direction === 1 ? grniDelta(poLine, before, after) : neg(grniDelta(poLine, after, before)), `line ${lineNo} ${poLine.sku}`, onLine(lineNo)));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Journals
// ---------------------------------------------------------------------------------------------

/** Goods receipt: Dr Inventory / Cr GRNI for the accepted quantity at the agreed price. */
export function receiptJournal(stateBefore: PoState, receipt: GoodsReceipt): JournalEntry | null {
  const lines: (JournalLine | null)[] = [];
  for (const receiptLine of receipt.lines) {
    const poLine = findLine(stateBefore, receiptLine.lineNo);
    if (!poLine || poLine.kind !== 'goods') continue;
    const value = grniDelta(poLine, poLine.receivedQuantity, add(poLine.receivedQuantity, receiptLine.quantityReceived));
    const memo = `receipt ${receipt.receiptNumber} line ${poLine.lineNo} ${poLine.sku}`;
    lines.push(debit('INVENTORY', value, memo, onLine(poLine.lineNo)), credit('GRNI', value, memo, onLine(poLine.lineNo)));
  }
  return entry(`Goods receipt ${receipt.receiptNumber} on PO ${stateBefore.poNumber}`, stateBefore.currency, lines);
}

/**
 * Invoice posted to AP: Dr GRNI (net quantity at agreed price) / Dr Expense (services) /
 * Dr Freight-in / Dr Tax receivable / Cr AP stated total, with the credit memos that arrived
 * before posting (Dr AP memo totals, quantities already netted on the GRNI side). PPV takes the
 * difference on either side so the entry balances.
 */
export function invoicePostingJournal(state: PoState, invoiceNumber: string): JournalEntry | null {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw new Error(`Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  const memos = creditMemosFor(state, invoice.invoiceNumber);
  const cost = invoiceCostLines(state, invoice, memos, (line) => postedNetQuantity(state, line.lineNo, { invoiceNumber: invoice.invoiceNumber }), 1);
  const other: (JournalLine | null)[] = [
    debit('FREIGHT_IN', invoice.freight, `freight on invoice ${invoice.invoiceNumber}`),
    debit('TAX_RECEIVABLE', invoice.tax, `tax on invoice ${invoice.invoiceNumber}`),
    ...memos.map((memo) => debit('AP', memo.total, `credit memo ${memo.creditMemoNumber}`, onInvoice(invoice.invoiceNumber))),
    credit('AP', invoice.total, `invoice ${invoice.invoiceNumber}`, onInvoice(invoice.invoiceNumber)),
  ];
  const variance = neg(net([...cost, ...other]));
  return entry(`Invoice ${invoice.invoiceNumber} posted to AP for PO ${state.poNumber}`, state.currency, [
    ...cost,
    signedLine('PPV', variance, `price and total variance on invoice ${invoice.invoiceNumber}`),
    ...other,
  ]);
}

/**
 * Credit memo against an invoice already in AP: Dr AP memo total / Cr GRNI (quantity at agreed
 * price) or Cr Expense (services); PPV for the difference.
 */
export function creditMemoJournal(state: PoState, creditMemo: CreditMemo): JournalEntry | null {
  const invoice = findInvoice(state, creditMemo.invoiceNumber);
  if (!invoice) throw new Error(`Invoice ${creditMemo.invoiceNumber} is not on PO ${state.poNumber}`);
  return entry(`Credit memo ${creditMemo.creditMemoNumber} on invoice ${invoice.invoiceNumber}, PO ${state.poNumber}`, state.currency, creditMemoLines(state, creditMemo));
}

/** The lines of a credit (a supplier's memo, or a debit note of a return), balanced by PPV. */
function creditMemoLines(state: PoState, creditMemo: CreditMemo): (JournalLine | null)[] {
  const lines: (JournalLine | null)[] = [];
  for (const lineNo of lineNosOf(creditMemo)) {
    const poLine = findLine(state, lineNo);
    if (!poLine) continue;
    const memo = `credit memo ${creditMemo.creditMemoNumber} line ${lineNo} ${poLine.sku}`;
    if (poLine.kind === 'service') {
      lines.push(credit('EXPENSE', documentLineAmount(creditMemo, lineNo), memo, onLine(lineNo)));
      continue;
    }
    const before = postedNetQuantity(state, lineNo, { creditMemoNumber: creditMemo.creditMemoNumber });
    const after = sub(before, documentLineQuantity(creditMemo.lines, lineNo));
    lines.push(credit('GRNI', grniDelta(poLine, after, before), memo, onLine(lineNo)));
  }
  const invoiceNumber = findInvoice(state, creditMemo.invoiceNumber)?.invoiceNumber ?? creditMemo.invoiceNumber;
  lines.push(debit('AP', creditMemo.total, `credit memo ${creditMemo.creditMemoNumber} on invoice ${invoiceNumber}`, onInvoice(invoiceNumber)));
  const variance = neg(net(lines));
  return [...lines, signedLine('PPV', variance, `price variance on credit memo ${creditMemo.creditMemoNumber}`)];
}

/**
 * Goods sent back to the supplier (docs/accounting.md, "Returns to vendor"): Dr GRNI / Cr
 * Inventory at the agreed price, the receipt undone (cumulatively, like every GRNI movement). For
 * goods already invoiced, each debit note takes them back out of AP like a credit memo: Dr AP /
 * Cr GRNI, PPV for the difference between invoice and agreed price.
 */
export function returnJournal(stateBefore: PoState, goodsReturn: ReturnToVendor, debitNotes: readonly CreditMemo[]): JournalEntry | null {
  const lines: (JournalLine | null)[] = [];
  for (const returnLine of goodsReturn.lines) {
    const poLine = findLine(stateBefore, returnLine.lineNo);
    if (!poLine || poLine.kind !== 'goods') continue;
    const value = grniDelta(poLine, sub(poLine.receivedQuantity, returnLine.quantity), poLine.receivedQuantity);
    const memo = `return ${goodsReturn.rmaNumber} line ${poLine.lineNo} ${poLine.sku}`;
    lines.push(debit('GRNI', value, memo, onLine(poLine.lineNo)), credit('INVENTORY', value, memo, onLine(poLine.lineNo)));
  }
  // Each debit note counts the ones before it (two invoices may share a line).
  let state = stateBefore;
  for (const note of debitNotes) {
    lines.push(...creditMemoLines(state, note));
    state = { ...state, creditMemos: [...state.creditMemos, { ...note, bodyHash: '', receivedAt: '', by: SYSTEM, kind: 'debit_note' }] };
  }
  return entry(`Return ${goodsReturn.rmaNumber} to the supplier on PO ${stateBefore.poNumber}`, stateBefore.currency, lines);
}

/**
 * An invoice rejected after it was posted (e.g. a failed payment finance rejects): takes back out
 * of AP what its posting and its later credit memos put in. GRNI moves cumulatively like every
 * other GRNI movement, so GRNI still closes at 0 whichever invoices remain.
 */
export function invoiceVoidJournal(state: PoState, invoiceNumber: string): JournalEntry | null {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw new Error(`Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  const memos = creditMemosFor(state, invoice.invoiceNumber);
  const othersPosted = (line: PoLine) => postedNetQuantity(state, line.lineNo, { invoiceNumber: invoice.invoiceNumber });
  const ownNet = (line: PoLine) => dec(netInvoiceLineQuantity(invoice.lines, memos, line.lineNo));
  const cost = invoiceCostLines(state, invoice, memos, (line) => add(othersPosted(line), ownNet(line)), -1);
  const other: (JournalLine | null)[] = [
    credit('FREIGHT_IN', invoice.freight, `freight on voided invoice ${invoice.invoiceNumber}`),
    credit('TAX_RECEIVABLE', invoice.tax, `tax on voided invoice ${invoice.invoiceNumber}`),
    ...memos.map((memo) => credit('AP', memo.total, `credit memo ${memo.creditMemoNumber} on voided invoice`, onInvoice(invoice.invoiceNumber))),
    debit('AP', invoice.total, `voided invoice ${invoice.invoiceNumber}`, onInvoice(invoice.invoiceNumber)),
  ];
  const variance = neg(net([...cost, ...other]));
  return entry(`Invoice ${invoice.invoiceNumber} voided on PO ${state.poNumber}`, state.currency, [
    ...cost,
    signedLine('PPV', variance, `variance reversed with invoice ${invoice.invoiceNumber}`),
    ...other,
  ]);
}

/** Payment: Dr AP (total net of credits) / Cr Bank amount paid / Cr Purchase discounts taken. */
export function paymentJournal(invoice: InvoiceState): JournalEntry | null {
  const payment = invoice.payment;
  if (!payment) throw new Error(`Invoice ${invoice.invoiceNumber} has no payment to post`);
  // A hold that outlasted the discount date cost the discount: the entry says so (./holds.ts).
  const lost = payment.discountLost ? `; discount ${payment.discountLost} lost: held past the discount date ${payment.discountDate ?? ''}` : '';
  return entry(`Payment of invoice ${invoice.invoiceNumber}${payment.attempt > 1 ? ` (attempt ${payment.attempt})` : ''}${lost}`, invoice.currency, [
    debit('AP', add(payment.amount, payment.discount), `invoice ${invoice.invoiceNumber}${lost}`, onInvoice(invoice.invoiceNumber)),
    credit('BANK', payment.amount, payment.paymentId ? `payment ${payment.paymentId}` : undefined),
    credit('PURCHASE_DISCOUNTS', payment.discount, `early-payment discount on ${invoice.invoiceNumber}`),
  ]);
}

/** The bank reported the payment failed: the exact reverse of the payment journal. */
export function paymentReversalJournal(invoice: InvoiceState): JournalEntry | null {
  const payment = paymentJournal(invoice);
  if (!payment) return null;
  return entry(
    `Failed payment of invoice ${invoice.invoiceNumber} reversed`,
    invoice.currency,
    payment.lines.map((line) => ({ ...line, debit: line.credit, credit: line.debit })),
  );
}

/**
 * Clearing at close: a line invoiced (within quantity tolerance, or by an approved override) for
 * more or less than was received leaves a GRNI residual; it is a variance, so it moves to PPV and
 * the closed PO leaves GRNI at exactly 0. Null when there is nothing to clear (the usual case).
 */
export function poCloseJournal(state: PoState): JournalEntry | null {
  const lines: (JournalLine | null)[] = [];
  for (const poLine of state.lines) {
    if (poLine.kind !== 'goods') continue;
    // GRNI balance of the line = value(received) (credits) − value(posted net) (debits).
    const residual = sub(grniValue(poLine, poLine.receivedQuantity), grniValue(poLine, postedNetQuantity(state, poLine.lineNo, {})));
    if (isZero(residual)) continue;
    const memo = `line ${poLine.lineNo} ${poLine.sku}: received ${poLine.receivedQuantity}, invoiced ${poLine.invoicedQuantity}`;
    lines.push(debit('GRNI', residual, memo, onLine(poLine.lineNo)), credit('PPV', residual, memo, onLine(poLine.lineNo)));
  }
  return entry(`GRNI cleared at close of PO ${state.poNumber}`, state.currency, lines);
}
