/**
 * Per command, what the business does not allow: each `validate*` throws a DomainError (a 409,
 * 422 or 404 refusal with a stable code) before the workflow does anything with side effects.
 * Whether documents agree with each other is not a refusal but the match's job (`../matching.ts`).
 */
import { conflict, notFound, unprocessable } from '../errors';
import { committedQuantity, creditMemosFor, findInvoice, findLine, netInvoiceLineQuantity, openExceptionOf } from '../lookups';
import { add, cmp, formatQuantity, isPositive, max, mul, round2, sub } from '../money';
import type * as wire from '../schemas';
import type { InvoiceState, PoLine, PoState, RefusalCode } from '../state';
import { DomainError } from '../errors';

/**
 * A PO waiting for its approvers has not been sent to the supplier: nothing can be shipped,
 * received or invoiced against it yet (docs/domain.md, "Approval tiers").
 */
export function assertReleasedToSupplier(state: PoState, what: string): void {
  const request = state.approvals.at(-1);
  if (request?.status === 'pending' && request.subject === 'issue') {
    const given = request.decisions.filter((d) => d.decision === 'approve').length;
    throw conflict('PO_PENDING_APPROVAL', `PO ${state.poNumber} awaits approval (${given} of ${request.requiredApprovals}) and has not been sent to the supplier: ${what} must wait`);
  }
}

/** One approval request at a time: a change order waits until the pending one is decided. */
function assertNoApprovalPending(state: PoState): void {
  const request = state.approvals.at(-1);
  if (request?.status === 'pending') {
    throw conflict('APPROVAL_PENDING', `PO ${state.poNumber} has approval request ${request.id} (${request.subject}) pending; wait for the approvers' decision or cancel the PO`);
  }
}

export function assertOpen(state: PoState): void {
  if (state.cancelled) throw conflict('PO_CANCELLED', `PO ${state.poNumber} was cancelled on ${state.cancelled.at}`);
  if (state.closedAt) throw conflict('PO_CLOSED', `PO ${state.poNumber} was closed on ${state.closedAt}`);
}

function requireLine(state: PoState, lineNo: number): PoLine {
  const line = findLine(state, lineNo);
  if (!line) throw unprocessable('UNKNOWN_LINE', `Line ${lineNo} is not on PO ${state.poNumber}`);
  return line;
}

function requireReceivableLine(state: PoState, lineNo: number, document: string): PoLine {
  const line = requireLine(state, lineNo);
  if (line.kind !== 'goods') throw unprocessable('SERVICE_LINE', `Line ${lineNo} (${line.sku}) is a service: it is not shipped or received, only invoiced (${document})`);
  if (line.cancelled) throw unprocessable('LINE_CANCELLED', `Line ${lineNo} (${line.sku}) is cancelled on PO ${state.poNumber}`);
  return line;
}

/**
 * Rules added to a command's validation after workflows were already running with the old ones.
 * `newRules()` says whether they apply: always in the Update's validator (not recorded in history),
 * and in the handler behind a `patched()` marker (workflows/purchase-order/commands.ts), so that a
 * history recorded under the old rules replays the same.
 */
export interface RuleVersion {
  newRules?: () => boolean;
}

const ALWAYS = (): boolean => true;

/** Numbers of the invoices (not rejected) that bill a line. */
function invoicesBilling(state: PoState, lineNo: number): string[] {
  return state.invoices
    .filter((invoice) => invoice.status !== 'rejected' && invoice.lines.some((l) => l.lineNo === lineNo && isPositive(l.quantity)))
    .map((invoice) => invoice.invoiceNumber);
}

/**
 * Received goods were valued into GRNI at the agreed price, and invoices were matched against that
 * price and those receipts: a supplier's proposal may no longer reject such a line or change its
 * price, at acknowledgement or when the buyer approves it (receipts and invoices may have arrived
 * in between). CHANGE_AFTER_RECEIPT for received goods; CHANGE_AFTER_INVOICE for a line billed
 * but not received (a service, or goods invoiced ahead of receipt). Quantities are covered by
 * `quantityBelowDelivered`.
 */
function changeToBookedLine(state: PoState, line: PoLine, proposed: wire.AcknowledgementLine, newRules: () => boolean): DomainError | undefined {
  if (proposed.status === 'accepted') return undefined;
  const rejects = proposed.status === 'rejected';
  const reprices = proposed.unitPrice !== undefined && cmp(proposed.unitPrice, line.agreedUnitPrice) !== 0;
  if (!rejects && !reprices) return undefined;
  if (isPositive(line.receivedQuantity)) {
    const delivered = formatQuantity(line.receivedQuantity);
    return rejects
      ? conflict('CHANGE_AFTER_RECEIPT', `Line ${line.lineNo} (${line.sku}) cannot be rejected: ${delivered} already received`)
      : conflict('CHANGE_AFTER_RECEIPT', `Line ${line.lineNo} (${line.sku}): price cannot change from ${line.agreedUnitPrice} after ${delivered} was received`);
  }
  const invoiced = invoicesBilling(state, line.lineNo);
  if (invoiced.length > 0 && newRules()) {
    const change = rejects ? 'cannot be rejected' : `price cannot change from ${line.agreedUnitPrice}`;
    return conflict('CHANGE_AFTER_INVOICE', `Line ${line.lineNo} (${line.sku}) ${change}: already invoiced on ${invoiced.join(', ')}`);
  }
  return undefined;
}

/** A confirmed quantity below what was already shipped or received would leave goods no line expects. */
function quantityBelowDelivered(line: PoLine, proposed: wire.AcknowledgementLine): DomainError | undefined {
  const floor = line.kind === 'goods' ? (cmp(line.receivedQuantity, line.shippedQuantity) > 0 ? line.receivedQuantity : line.shippedQuantity) : '0';
  if (proposed.quantity === undefined || cmp(proposed.quantity, floor) >= 0) return undefined;
  return unprocessable('QUANTITY_BELOW_DELIVERED', `Line ${line.lineNo} (${line.sku}): proposed quantity ${formatQuantity(proposed.quantity)} is below the ${formatQuantity(floor)} already shipped or received`);
}

export function validateAcknowledgement(state: PoState, ack: wire.Acknowledgement, { newRules = ALWAYS }: RuleVersion = {}): void {
  if (state.cancelled || state.closedAt || !state.awaitingAcknowledgement) {
    const why = state.cancelled
      ? 'it is cancelled'
      : state.closedAt
        ? 'it is closed'
        : state.approvals.at(-1)?.status === 'pending' && state.approvals.at(-1)?.subject === 'issue'
          ? 'it awaits internal approval and has not been sent yet'
        : state.pendingChanges
          ? 'the changes already proposed are waiting for the buyer'
          : 'it is already acknowledged';
    throw conflict('ACK_NOT_EXPECTED', `PO ${state.poNumber} is not waiting for an acknowledgement: ${why}`);
  }
  for (const ackLine of ack.lines ?? []) {
    const line = requireLine(state, ackLine.lineNo);
    if (line.cancelled) throw unprocessable('LINE_CANCELLED', `Line ${line.lineNo} (${line.sku}) is cancelled on PO ${state.poNumber}`);
    if (ack.type === 'accept' && ackLine.status !== 'accepted') {
      throw unprocessable('ACK_LINES_INCONSISTENT', `A plain accept cannot mark line ${line.lineNo} as ${ackLine.status}; send accept_with_changes`);
    }
    if (ack.type !== 'accept_with_changes' || ackLine.status === 'accepted') continue;
    const refusal = changeToBookedLine(state, line, ackLine, newRules);
    if (refusal) throw refusal;
    const below = quantityBelowDelivered(line, ackLine);
    if (below) throw below;
  }
  if (ack.type === 'accept_with_changes') {
    const rejected = new Set((ack.lines ?? []).filter((l) => l.status === 'rejected').map((l) => l.lineNo));
    if (state.lines.every((line) => line.cancelled || rejected.has(line.lineNo))) {
      throw unprocessable('ACK_REJECTS_ALL_LINES', `Every open line of PO ${state.poNumber} is rejected: reject the PO instead (type "reject" with a reason)`);
    }
  }
  if (ack.type === 'reject' && state.receipts.length > 0) {
    throw conflict('CANCEL_AFTER_RECEIPT', `PO ${state.poNumber} cannot be rejected: goods were already received (${state.receipts.length} receipt(s))`);
  }
  if (ack.type === 'reject') assertNothingOwed(state, 'rejected');
}

/**
 * Invoices that AP holds or is about to hold (approved, scheduled, paid, or posted and now in a
 * payment exception). A PO with any of them owes the supplier money: cancelling it would end the
 * workflow with the payment never made (or made on a cancelled PO), and AP never cleared.
 * Services are never received, so "until the first receipt" alone does not protect them.
 */
function owedInvoices(state: PoState): InvoiceState[] {
  return state.invoices.filter(
    (invoice) => invoice.status !== 'rejected' && (invoice.postedAt !== undefined || ['approved', 'scheduled', 'paid'].includes(invoice.status)),
  );
}

function assertNothingOwed(state: PoState, what: 'cancelled' | 'rejected'): void {
  const owed = owedInvoices(state);
  if (owed.length === 0) return;
  throw conflict(
    'CANCEL_AFTER_INVOICE',
    `PO ${state.poNumber} cannot be ${what}: invoice(s) ${owed.map((i) => `${i.invoiceNumber} (${i.status})`).join(', ')} are owed to the supplier (approved, scheduled or paid); cancel the lines not yet delivered with a change order instead`,
  );
}

/**
 * The buyer's decision on a supplier's proposal. Approving applies the proposed prices, quantities
 * and rejections; goods received or invoices arrived since the proposal make the same rules as at
 * acknowledgement apply again: a price change or rejection of a received line is
 * CHANGE_AFTER_RECEIPT (of a billed one, CHANGE_AFTER_INVOICE), a quantity below what was delivered
 * QUANTITY_BELOW_DELIVERED. The buyer then rejects the proposal, and corrects through invoice
 * matching, a credit memo or a short-close (docs/domain.md, "Changes after receipt").
 */
export function validateChangeDecision(state: PoState, decision?: wire.ChangeDecision, { newRules = ALWAYS }: RuleVersion = {}): void {
  assertOpen(state);
  if (!state.pendingChanges) throw conflict('NO_CHANGES_PENDING', `PO ${state.poNumber} has no supplier changes waiting for a decision`);
  if (decision?.decision !== 'approve') return;
  for (const proposed of state.pendingChanges.lines ?? []) {
    const line = findLine(state, proposed.lineNo);
    if (!line || line.cancelled) continue;
    const refusal = changeToBookedLine(state, line, proposed, ALWAYS) ?? quantityBelowDelivered(line, proposed);
    if (refusal && newRules()) {
      throw new DomainError(refusal.code, refusal.kind, `The supplier's changes cannot be approved any more: ${refusal.message}; reject them instead`);
    }
  }
}

export function validateChangeOrder(state: PoState, changeOrder: wire.ChangeOrder): void {
  assertOpen(state);
  assertNoApprovalPending(state);
  checkChangeOrder(state, changeOrder);
}

/** The change order's own rules, also checked again when approvers release a held change order. */
export function checkChangeOrder(state: PoState, changeOrder: wire.ChangeOrder): void {
  const afterFirstReceipt = state.receipts.length > 0;
  const cancelling = new Set<number>();
  for (const change of changeOrder.lines) {
    const line = findLine(state, change.lineNo);
    if (afterFirstReceipt && change.action !== 'cancel') {
      throw conflict('CHANGE_AFTER_RECEIPT', `PO ${state.poNumber} already has receipts: only cancelling (short-closing) a line is possible, not "${change.action}" on line ${change.lineNo}`);
    }
    if (change.action === 'add' || (change.action === 'change' && !line)) {
      if (line) throw unprocessable('LINE_EXISTS', `Line ${change.lineNo} already exists on PO ${state.poNumber}; change it instead`);
      if (change.sku === undefined || change.quantity === undefined || change.unitPrice === undefined) {
        throw unprocessable('UNKNOWN_LINE', `Line ${change.lineNo} is not on PO ${state.poNumber}; a new line needs sku, quantity and unitPrice`);
      }
      continue;
    }
    const existing = requireLine(state, change.lineNo);
    if (existing.cancelled) throw unprocessable('LINE_CANCELLED', `Line ${existing.lineNo} (${existing.sku}) is already cancelled`);
    if (change.action === 'cancel') {
      if (!afterFirstReceipt && isPositive(existing.shippedQuantity)) {
        throw unprocessable('QUANTITY_BELOW_SHIPPED', `Line ${existing.lineNo} (${existing.sku}) cannot be cancelled: ${formatQuantity(existing.shippedQuantity)} already shipped`);
      }
      cancelling.add(existing.lineNo);
      continue;
    }
    if (change.quantity !== undefined && cmp(change.quantity, existing.shippedQuantity) < 0) {
      throw unprocessable('QUANTITY_BELOW_SHIPPED', `Line ${existing.lineNo} (${existing.sku}): new quantity ${formatQuantity(change.quantity)} is below the ${formatQuantity(existing.shippedQuantity)} already shipped`);
    }
  }
  const adding = changeOrder.lines.some((change) => !findLine(state, change.lineNo));
  if (!afterFirstReceipt && !adding && state.lines.every((line) => line.cancelled || cancelling.has(line.lineNo))) {
    throw unprocessable('NO_OPEN_LINES', `This change would cancel every line of PO ${state.poNumber}; cancel the PO instead`);
  }
}

export function validateCancel(state: PoState, _cancel?: wire.CancelPurchaseOrder): void {
  assertOpen(state);
  if (state.receipts.length > 0) {
    throw conflict('CANCEL_AFTER_RECEIPT', `PO ${state.poNumber} cannot be cancelled: goods were already received (${state.receipts.map((r) => r.receiptNumber).join(', ')}); short-close the open lines with a change order instead`);
  }
  assertNothingOwed(state, 'cancelled');
}

export function validateAsn(state: PoState, asn: wire.AdvanceShipNotice): void {
  assertOpen(state);
  assertReleasedToSupplier(state, 'an ASN');
  if (state.awaitingAcknowledgement || state.pendingChanges) {
    throw conflict('PO_NOT_ACKNOWLEDGED', `PO ${state.poNumber} is not acknowledged yet${state.pendingChanges ? ' (proposed changes await the buyer)' : ''}: ship against an acknowledged PO`);
  }
  for (const asnLine of asn.lines) {
    const line = requireReceivableLine(state, asnLine.lineNo, `ASN ${asn.asnNumber}`);
    // Goods refused at the dock go back and are owed again; goods that arrived without an ASN
    // were shipped all the same. What is on its way or accepted: max(shipped − rejected, received).
    const underway = max(sub(line.shippedQuantity, line.rejectedQuantity), line.receivedQuantity);
    const open = sub(line.confirmedQuantity, underway);
    if (cmp(asnLine.quantity, open) > 0) {
      throw unprocessable(
        'ASN_EXCEEDS_OPEN_QUANTITY',
        `Line ${line.lineNo} (${line.sku}): ASN quantity ${formatQuantity(asnLine.quantity)} exceeds the open quantity ${formatQuantity(open.isNegative() ? 0 : open)} (confirmed ${line.confirmedQuantity}, already shipped ${line.shippedQuantity}, received ${line.receivedQuantity}, rejected ${line.rejectedQuantity})`,
      );
    }
  }
}

export function validateReceipt(state: PoState, receipt: wire.GoodsReceipt): void {
  assertOpen(state);
  assertReleasedToSupplier(state, 'a goods receipt');
  const qtyOverPct = state.policy.tolerances.qtyOverPct;
  for (const receiptLine of receipt.lines) {
    const line = requireReceivableLine(state, receiptLine.lineNo, `receipt ${receipt.receiptNumber}`);
    const base = committedQuantity(state, line);
    const limit = mul(base, add(1, qtyOverPct));
    const after = add(line.receivedQuantity, receiptLine.quantityReceived);
    if (cmp(after, limit) > 0) {
      throw unprocessable(
        'OVER_RECEIPT',
        `Line ${line.lineNo} (${line.sku}): accepting ${formatQuantity(receiptLine.quantityReceived)} would bring the received quantity to ${formatQuantity(after)}, above the ${formatQuantity(limit)} allowed (${formatQuantity(base)} ${state.awaitingAcknowledgement || state.pendingChanges ? 'ordered' : 'confirmed'}, over-receipt tolerance ${formatQuantity(mul(qtyOverPct, 100))}%; already received ${line.receivedQuantity})`,
      );
    }
  }
}

export function validateInvoice(state: PoState, _invoice?: wire.Invoice): void {
  // Structural only: whether the documents agree is the match's job, and its result is an
  // exception for finance, not a refusal.
  if (state.cancelled) throw conflict('PO_CANCELLED', `PO ${state.poNumber} was cancelled on ${state.cancelled.at}: nothing can be invoiced against it`);
  if (state.closedAt) throw conflict('PO_CLOSED', `PO ${state.poNumber} was closed on ${state.closedAt}: send a new invoice against an open PO`);
  assertReleasedToSupplier(state, 'an invoice');
}

export function validateCreditMemo(state: PoState, creditMemo: wire.CreditMemo): void {
  const invoice = findInvoice(state, creditMemo.invoiceNumber);
  if (!invoice) throw unprocessable('UNKNOWN_INVOICE', `Invoice ${creditMemo.invoiceNumber} is not on PO ${state.poNumber}`);
  if (invoice.status === 'rejected') throw conflict('INVOICE_REJECTED', `Invoice ${invoice.invoiceNumber} was rejected: there is nothing to credit`);
  if (invoice.status === 'paid') {
    throw conflict('INVOICE_ALREADY_PAID', `Invoice ${invoice.invoiceNumber} is already paid: credit a later invoice or settle outside this PO`);
  }
  const earlierMemos = creditMemosFor(state, invoice.invoiceNumber).filter((memo) => memo.creditMemoNumber !== creditMemo.creditMemoNumber);
  for (const memoLine of creditMemo.lines) {
    if (!invoice.lines.some((line) => line.lineNo === memoLine.lineNo)) {
      throw unprocessable('CREDIT_EXCEEDS_INVOICE', `Line ${memoLine.lineNo} is not on invoice ${invoice.invoiceNumber}`);
    }
    const open = netInvoiceLineQuantity(invoice.lines, earlierMemos, memoLine.lineNo);
    if (cmp(memoLine.quantity, open) > 0) {
      throw unprocessable(
        'CREDIT_EXCEEDS_INVOICE',
        `Line ${memoLine.lineNo}: credited quantity ${formatQuantity(memoLine.quantity)} exceeds the ${open} still invoiced on ${invoice.invoiceNumber} after earlier credit memos`,
      );
    }
  }
  const openAmount = sub(invoice.total, invoice.creditedTotal);
  if (cmp(creditMemo.total, openAmount) > 0) {
    throw unprocessable('CREDIT_EXCEEDS_INVOICE', `Credit memo total ${round2(creditMemo.total)} exceeds the ${round2(openAmount)} still owed on invoice ${invoice.invoiceNumber}`);
  }
}

export function validateResolution(state: PoState, invoiceNumber: string, _resolution?: wire.InvoiceResolution): void {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw notFound('INVOICE_NOT_FOUND', `Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  if (!openExceptionOf(state, invoice.invoiceNumber)) {
    throw conflict('NO_OPEN_EXCEPTION', `Invoice ${invoice.invoiceNumber} has no open exception to resolve (status ${invoice.status})`);
  }
}

export function validatePaymentStatus(state: PoState, invoiceNumber: string, report: wire.PaymentStatusReport): void {
  const invoice = findInvoice(state, invoiceNumber);
  if (!invoice) throw notFound('INVOICE_NOT_FOUND', `Invoice ${invoiceNumber} is not on PO ${state.poNumber}`);
  const payment = invoice.payment;
  if (!payment || payment.status === 'scheduled') {
    throw conflict('PAYMENT_NOT_EXECUTED', `Invoice ${invoice.invoiceNumber} has no executed payment to report on (invoice ${invoice.status}${payment ? `, payment ${payment.status}` : ''})`);
  }
  // A failed payment that finance approved again waits for its next attempt: not final, not executed.
  const retryPending = payment.status === 'failed' && (invoice.status === 'approved' || invoice.status === 'scheduled');
  if (retryPending) {
    throw conflict('PAYMENT_NOT_EXECUTED', `Invoice ${invoice.invoiceNumber}: payment attempt ${payment.attempt} has not been executed yet`);
  }
  if (payment.status === 'cleared' || payment.status === 'failed') {
    throw conflict('PAYMENT_ALREADY_FINAL', `The payment of invoice ${invoice.invoiceNumber} is already ${payment.status}; "${report.status}" cannot follow`);
  }
}

/**
 * A numbered business document sent again: the same body is a replay (true: nothing to do), the
 * same number with another body a 409 under `code`.
 */
export function isDocumentReplay(existing: { bodyHash: string } | undefined, bodyHash: string, code: RefusalCode, what: string): boolean {
  if (!existing) return false;
  if (existing.bodyHash !== bodyHash) throw conflict(code, `${what} already exists with other content`);
  return true;
}
