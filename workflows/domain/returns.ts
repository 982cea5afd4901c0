/**
 * Returns to vendor (docs/domain.md, "Returns to vendor"; docs/adr/0052-returns-and-debit-notes.md):
 * the warehouse sends accepted goods back under the supplier's RMA. The goods leave inventory and
 * the receipt is undone (Dr GRNI / Cr Inventory). Goods already posted to AP on an unpaid invoice
 * also get a debit note against that invoice, which counts as a credit (Dr AP / Cr GRNI) and
 * lowers what is paid. The supplier's credit memo for exactly those goods then settles the debit
 * note instead of crediting them twice. With `replacement` the supplier owes the goods again;
 * without, they are no longer ordered.
 */
import { conflict, unprocessable } from './errors';
import { assertOpen, assertReleasedToSupplier, validateCreditMemo } from './lifecycle/validate';
import { postedNetQuantity, returnJournal } from './ledger';
import { findInvoice, findLine, netInvoiceLineQuantity, creditMemosFor, normaliseDocumentNumber, documentLineQuantity } from './lookups';
import { abs, add, cmp, dec, formatQuantity, isPositive, lineAmount, min, round2, sub, sum } from './money';
import * as decide from './business-events';
import type { Command, Outcome } from './business-events';
import type * as wire from './schemas';
import type { CreditMemoRecord, PoState } from './state';

const none: Outcome = { record: null, notices: [] };

export function validateReturn(po: PoState, goodsReturn: wire.ReturnToVendor): void {
  assertOpen(po);
  assertReleasedToSupplier(po, 'a return');
  for (const returnLine of goodsReturn.lines) {
    const line = findLine(po, returnLine.lineNo);
    if (!line) throw unprocessable('UNKNOWN_LINE', `Line ${returnLine.lineNo} is not on PO ${po.poNumber}`);
    if (line.kind !== 'goods') throw unprocessable('SERVICE_LINE', `Line ${line.lineNo} (${line.sku}) is a service: there are no goods to return`);
    if (cmp(returnLine.quantity, line.receivedQuantity) > 0) {
      throw unprocessable(
        'RETURN_EXCEEDS_RECEIVED',
        `Line ${line.lineNo} (${line.sku}): returning ${formatQuantity(returnLine.quantity)} exceeds the ${formatQuantity(line.receivedQuantity)} accepted and still here`,
      );
    }
    if (goodsReturn.replacement && line.cancelled) {
      throw unprocessable('LINE_CANCELLED', `Line ${line.lineNo} (${line.sku}) is short-closed: no replacement can be owed on it; return without replacement`);
    }
  }
  debitNotesFor(po, goodsReturn);
}

export interface DebitNoteOptions {
  /**
   * Value each note line as the change in the invoice line's rounded credited value (cumulative),
   * so that notes taking back a whole invoice line add up to exactly what the line put in AP.
   * Older runs valued each note line on its own and could leave a cent in AP
   * (docs/adr/0052-returns-and-debit-notes.md). Default true.
   */
  roundCumulatively?: boolean;
}

/**
 * The debit notes a return needs: for each line, the returned goods that AP already holds
 * (posted quantity above what remains received), taken back from the latest unpaid posted
 * invoices first, at the price each invoice charged. Goods on paid invoices cannot be taken back
 * here: RETURN_AFTER_PAYMENT.
 */
export function debitNotesFor(po: PoState, goodsReturn: wire.ReturnToVendor, options: DebitNoteOptions = {}): wire.CreditMemo[] {
  const cumulative = options.roundCumulatively ?? true;
  const byInvoice = new Map<string, wire.DocumentLine[]>();
  /** Per invoice, what each of its note lines takes back out of AP. */
  const amounts = new Map<string, string[]>();
  for (const returnLine of goodsReturn.lines) {
    const line = findLine(po, returnLine.lineNo)!;
    const remaining = sub(line.receivedQuantity, returnLine.quantity);
    const posted = postedNetQuantity(po, line.lineNo, {});
    let toCredit = min(returnLine.quantity, dec(posted).minus(remaining).isNegative() ? 0 : sub(posted, remaining));
    const unpaid = po.invoices.filter((invoice) => invoice.postedAt !== undefined && invoice.status !== 'rejected' && invoice.status !== 'paid').reverse();
    for (const invoice of unpaid) {
      if (!isPositive(toCredit)) break;
      const open = netInvoiceLineQuantity(invoice.lines, creditMemosFor(po, invoice.invoiceNumber), line.lineNo);
      const take = min(open, toCredit);
      if (!isPositive(take)) continue;
      const unitPrice = invoice.lines.find((l) => l.lineNo === line.lineNo)!.unitPrice;
      byInvoice.set(invoice.invoiceNumber, [...(byInvoice.get(invoice.invoiceNumber) ?? []), { lineNo: line.lineNo, quantity: formatQuantity(take), unitPrice }]);
      // What the invoice line has given back so far (memos and earlier notes), and after this one.
      const credited = sub(documentLineQuantity(invoice.lines, line.lineNo), open);
      const amount = cumulative ? round2(sub(lineAmount(add(credited, take), unitPrice), lineAmount(credited, unitPrice))) : lineAmount(take, unitPrice);
      amounts.set(invoice.invoiceNumber, [...(amounts.get(invoice.invoiceNumber) ?? []), amount]);
      toCredit = toCredit.minus(take);
    }
    if (isPositive(toCredit)) {
      throw conflict(
        'RETURN_AFTER_PAYMENT',
        `Line ${line.lineNo} (${line.sku}): ${formatQuantity(toCredit)} of the returned goods are on invoices already paid; settle them with the supplier outside this PO`,
      );
    }
  }
  const invoices = [...byInvoice.keys()];
  return invoices.map((invoiceNumber, index) => {
    const lines = byInvoice.get(invoiceNumber)!;
    return {
      creditMemoNumber: invoices.length === 1 ? `DN-${goodsReturn.rmaNumber}` : `DN-${goodsReturn.rmaNumber}-${index + 1}`,
      invoiceNumber,
      lines,
      total: round2(sum(amounts.get(invoiceNumber)!)),
    };
  });
}

export function goodsReturned(po: PoState, { actor, body, bodyHash }: Command<wire.ReturnToVendor>, at: string, options: DebitNoteOptions = {}): Outcome {
  if (po.returns.some((r) => r.rmaNumber === body.rmaNumber)) return none;
  const debitNotes = debitNotesFor(po, body, options);
  const inventory = body.lines.map((l) => ({ sku: findLine(po, l.lineNo)!.sku, location: body.location, quantity: formatQuantity(dec(l.quantity).negated()), lineNo: l.lineNo }));
  return {
    record: {
      type: 'goods.returned',
      documentKey: body.rmaNumber,
      events: [{ type: 'goods.returned', at, actor, goodsReturn: body, bodyHash, debitNotes }],
      payload: { goodsReturn: body, inventory, debitNotes },
      journal: returnJournal(po, body, debitNotes),
      inventory,
    },
    notices: [{ type: 'goods.returned', data: { rmaNumber: body.rmaNumber, reason: body.reason, replacement: body.replacement, lines: body.lines, debitNotes } }],
  };
}

/** An open debit note the supplier's memo confirms: same invoice, lines and quantities, total within tolerance. */
export function debitNoteSettledBy(po: PoState, memo: wire.CreditMemo): CreditMemoRecord | undefined {
  const sameLines = (note: CreditMemoRecord) =>
    note.lines.length === memo.lines.length &&
    note.lines.every((line) => memo.lines.some((m) => m.lineNo === line.lineNo && cmp(m.quantity, line.quantity) === 0));
  return po.creditMemos.find(
    (note) =>
      note.kind === 'debit_note' &&
      !note.settledBy &&
      normaliseDocumentNumber(note.invoiceNumber) === normaliseDocumentNumber(memo.invoiceNumber) &&
      sameLines(note) &&
      cmp(abs(sub(note.total, memo.total)), po.policy.tolerances.totalVarianceAbs) <= 0,
  );
}

/** A credit memo number already taken, by a memo or by the memo that settled a debit note. */
export function existingCreditMemo(po: PoState, creditMemoNumber: string): { bodyHash: string } | undefined {
  const memo = po.creditMemos.find((m) => m.creditMemoNumber === creditMemoNumber);
  if (memo) return memo;
  return po.creditMemos.find((m) => m.settledBy?.creditMemoNumber === creditMemoNumber)?.settledBy;
}

export function validateCreditMemoOrSettlement(po: PoState, memo: wire.CreditMemo): void {
  if (debitNoteSettledBy(po, memo) && findInvoice(po, memo.invoiceNumber)) return;
  validateCreditMemo(po, memo);
}

/** The supplier's credit memo: it settles an open debit note for the same goods, or credits the invoice. */
export function creditMemoArrived(po: PoState, command: Command<wire.CreditMemo>, at: string): Outcome {
  const { actor, body, bodyHash } = command;
  if (existingCreditMemo(po, body.creditMemoNumber)) return none;
  const note = debitNoteSettledBy(po, body);
  if (!note) return decide.creditMemoReceived(po, command, at);
  return {
    record: {
      type: 'debit_note.settled',
      documentKey: body.creditMemoNumber,
      events: [{ type: 'credit_memo.settled', at, actor, debitNoteNumber: note.creditMemoNumber, creditMemo: body, bodyHash }],
      payload: { debitNoteNumber: note.creditMemoNumber, creditMemo: body, bodyHash },
    },
    notices: [],
  };
}

