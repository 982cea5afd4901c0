/**
 * What each command, automatic step and payment records (docs/domain.md): the state events it
 * folds into the PO, the business event published with it (outbox type, document, journal,
 * inventory) and what the supplier is told. Pure: the workflow validates, calls one of these,
 * records the result through one activity and only then folds it.
 */
import { creditMemoJournal, invoicePostingJournal, invoiceVoidJournal, paymentJournal, paymentReversalJournal, poCloseJournal, receiptJournal } from './ledger';
import { findInvoice, findLine, normaliseDocumentNumber, requireInvoice } from './lookups';
import { threeWayMatch } from './matching';
import { isZero } from './money';
import { planPayment } from './payment-terms';
import { requiredApprovals, orderedValue } from './approval-tiers';
import { SYSTEM } from './system-actor';
import type * as wire from './schemas';
import type { Actor, BusinessEvent, InvoiceState, MatchResult, PaymentPlan, PoEvent, PoEventOf, PoState, SupplierNotice } from './state';

/** A command as the workflow receives it: who sent it, the parsed body and its hash. */
export interface Command<T> {
  actor: Actor;
  body: T;
  bodyHash: string;
}

/** What one command decides: the business event to record (none when it is a replay) and what follows. */
export interface Outcome {
  record: BusinessEvent | null;
  notices: SupplierNotice[];
}

const none: Outcome = { record: null, notices: [] };
const only = (record: BusinessEvent, ...notices: SupplierNotice[]): Outcome => ({ record, notices });

export function matchOutboxType(match: MatchResult): 'invoice.exception' | 'invoice.pending_receipt' | 'invoice.matched' {
  return match.status === 'exception' ? 'invoice.exception' : match.status === 'pending_receipt' ? 'invoice.pending_receipt' : 'invoice.matched';
}

/** The PO issued: its first event, recorded with the initial state. */
export function issued(event: PoEventOf<'po.issued'>, total: string): Outcome {
  // Above an approval tier the supplier hears of the PO only once it is approved (./approvals.ts).
  const approvals = requiredApprovals(event.policy.approvalTiers, event.po.currency, orderedValue(event.po.lines));
  if (approvals > 0) {
    return { record: { type: 'po.issued', documentKey: 'issue', events: [event], payload: { po: event.po, approval: { status: 'pending', requiredApprovals: approvals } } }, notices: [] };
  }
  return only({ type: 'po.issued', documentKey: 'issue', events: [event], payload: { po: event.po } }, { type: 'po.issued', data: { po: event.po, total } });
}

export function acknowledged(_po: PoState, { actor, body }: Command<wire.Acknowledgement>, at: string): Outcome {
  const type = body.type === 'reject' ? 'po.rejected' : body.type === 'accept' ? 'po.acknowledged' : 'po.changes_proposed';
  return only({ type, documentKey: 'acknowledgement', events: [{ type: 'po.acknowledged', at, actor, acknowledgement: body }], payload: { acknowledgement: body } });
}

export function changesDecided(_po: PoState, { actor, body }: Command<wire.ChangeDecision>, at: string): Outcome {
  return only(
    {
      type: body.decision === 'approve' ? 'po.changes_approved' : 'po.changes_rejected',
      documentKey: 'change-decision',
      events: [{ type: 'po.change_decided', at, actor, decision: body.decision, reason: body.reason }],
      payload: { decision: body.decision, reason: body.reason },
    },
    { type: 'po.change_decision', data: { decision: body.decision, reason: body.reason } },
  );
}

export function changed(po: PoState, { actor, body, bodyHash }: Command<wire.ChangeOrder>, at: string): Outcome {
  // Before the first receipt a change order is a new offer the supplier acknowledges again.
  const acknowledgementRequired = po.receipts.length === 0 || po.awaitingAcknowledgement;
  return only(
    { type: 'po.changed', documentKey: bodyHash, events: [{ type: 'po.changed', at, actor, changeOrder: body }], payload: { changeOrder: body } },
    { type: 'po.changed', data: { changeOrder: body, acknowledgementRequired } },
  );
}

export function cancelled(po: PoState, { actor, body }: Command<wire.CancelPurchaseOrder>, at: string): Outcome {
  if (po.cancelled) return none; // cancelling twice answers with the cancelled PO
  return only(
    { type: 'po.cancelled', documentKey: 'cancel', events: [{ type: 'po.cancelled', at, actor, reason: body.reason }], payload: { reason: body.reason } },
    { type: 'po.cancelled', data: { reason: body.reason } },
  );
}

export function asnReceived(po: PoState, { actor, body, bodyHash }: Command<wire.AdvanceShipNotice>, at: string): Outcome {
  if (po.asns.some((a) => a.asnNumber === body.asnNumber)) return none;
  return only({
    type: 'asn.received',
    documentKey: body.asnNumber,
    document: { kind: 'asn', asnNumber: body.asnNumber },
    events: [{ type: 'asn.received', at, actor, asn: body, bodyHash }],
    payload: { asn: body },
  });
}

export function goodsReceived(po: PoState, { actor, body, bodyHash }: Command<wire.GoodsReceipt>, at: string): Outcome {
  if (po.receipts.some((r) => r.receiptNumber === body.receiptNumber)) return none;
  const receipt: wire.GoodsReceipt = { ...body, receivedAt: body.receivedAt ?? at };
  const inventory = receipt.lines
    .filter((l) => !isZero(l.quantityReceived))
    .map((l) => ({ sku: findLine(po, l.lineNo)!.sku, location: receipt.location, quantity: l.quantityReceived, lineNo: l.lineNo }));
  const rejectedLines = receipt.lines.filter((l) => !isZero(l.quantityRejected));
  return {
    record: {
      type: 'goods.received',
      documentKey: body.receiptNumber,
      document: { kind: 'receipt', receiptNumber: body.receiptNumber },
      events: [{ type: 'goods.received', at, actor, receipt, bodyHash }],
      payload: { receipt, inventory },
      journal: receiptJournal(po, receipt),
      inventory,
    },
    notices: rejectedLines.length > 0 ? [{ type: 'receipt.discrepancy', data: { receiptNumber: receipt.receiptNumber, rejectedLines } }] : [],
  };
}

export function invoiceReceived(po: PoState, { actor, body, bodyHash }: Command<wire.Invoice>, at: string): Outcome {
  if (findInvoice(po, body.invoiceNumber)) return none;
  const match = threeWayMatch({ state: po, invoice: body, at });
  return {
    record: {
      type: matchOutboxType(match),
      documentKey: normaliseDocumentNumber(body.invoiceNumber),
      document: { kind: 'invoice', invoiceNumber: body.invoiceNumber },
      events: [{ type: 'invoice.received', at, actor, invoice: body, bodyHash, match }],
      payload: { invoiceNumber: body.invoiceNumber, total: body.total, match },
    },
    notices: match.status === 'exception' ? [{ type: 'invoice.exception', data: { invoiceNumber: body.invoiceNumber, match } }] : [],
  };
}

export function creditMemoReceived(po: PoState, { actor, body, bodyHash }: Command<wire.CreditMemo>, at: string): Outcome {
  if (po.creditMemos.some((m) => m.creditMemoNumber === body.creditMemoNumber)) return none;
  const invoice = requireInvoice(po, body.invoiceNumber);
  return only({
    type: 'credit_memo.received',
    documentKey: body.creditMemoNumber,
    document: { kind: 'credit_memo', creditMemoNumber: body.creditMemoNumber },
    events: [{ type: 'credit_memo.received', at, actor, creditMemo: body, bodyHash }],
    payload: { creditMemo: body },
    // A memo against an invoice already in AP is posted now; otherwise it is posted with the invoice.
    journal: invoice.postedAt ? creditMemoJournal(po, body) : null,
  });
}

export function invoiceResolved(po: PoState, { actor, body, invoiceNumber }: Command<wire.InvoiceResolution> & { invoiceNumber: string }, at: string): Outcome {
  const invoice = requireInvoice(po, invoiceNumber);
  return only(
    {
      type: body.action === 'approve' ? 'invoice.approved' : 'invoice.rejected',
      documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/resolution`,
      document: { kind: 'invoice', invoiceNumber: invoice.invoiceNumber },
      events: [{ type: 'invoice.resolved', at, actor, invoiceNumber: invoice.invoiceNumber, action: body.action, reason: body.reason }],
      payload: { invoiceNumber: invoice.invoiceNumber, action: body.action, reason: body.reason, by: actor.id },
      // Rejecting an invoice that AP already holds (a failed payment) takes its posting back out.
      journal: body.action === 'reject' && invoice.postedAt ? invoiceVoidJournal(po, invoice.invoiceNumber) : null,
    },
    ...(body.action === 'reject' ? [{ type: 'invoice.rejected' as const, data: { invoiceNumber: invoice.invoiceNumber, reason: body.reason } }] : []),
  );
}

export function paymentStatusReported(
  po: PoState,
  { actor, body, invoiceNumber }: Command<wire.PaymentStatusReport> & { invoiceNumber: string },
  at: string,
): Outcome {
  const invoice = requireInvoice(po, invoiceNumber);
  const payment = invoice.payment!;
  if (payment.status === body.status) return none; // the same report again changes nothing
  return only(
    {
      type: `payment.${body.status}`,
      documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/${payment.attempt}/${body.status}`,
      document: { kind: 'payment', invoiceNumber: invoice.invoiceNumber },
      events: [{ type: 'payment.status_reported', at, actor, invoiceNumber: invoice.invoiceNumber, status: body.status, reference: body.reference }],
      payload: { invoiceNumber: invoice.invoiceNumber, paymentId: payment.paymentId, status: body.status, paymentStatus: body.status, reference: body.reference },
      journal: body.status === 'failed' ? paymentReversalJournal(invoice) : null,
    },
    { type: 'payment.status', data: { invoiceNumber: invoice.invoiceNumber, paymentId: payment.paymentId, status: body.status } },
  );
}

/** A held invoice matched again after a receipt, credit memo or change; the caller skips an unchanged match. */
export function invoiceRematched(po: PoState, invoice: InvoiceState, match: MatchResult, actor: Actor): Outcome {
  const { invoiceNumber } = invoice;
  return {
    record: {
      type: matchOutboxType(match),
      documentKey: `${normaliseDocumentNumber(invoiceNumber)}/rematch`,
      document: { kind: 'invoice', invoiceNumber },
      events: [{ type: 'invoice.rematched', at: match.matchedAt, actor, invoiceNumber, match }],
      payload: { invoiceNumber, match, rematch: true },
    },
    notices: match.status === 'exception' && invoice.match.status !== 'exception' ? [{ type: 'invoice.exception', data: { invoiceNumber, match } }] : [],
  };
}

/**
 * An approved invoice's posting to AP (on its first approval only) and its payment date. `record`
 * carries them alone (`events` of the posting and the schedule), or added to the event that
 * approved the invoice.
 */
export interface Approval {
  invoice: InvoiceState;
  events: PoEvent[];
  journal: BusinessEvent['journal'];
  plan: PaymentPlan;
  /** True when AP has not seen the invoice yet: it must be registered with AP in the same activity. */
  needsPosting: boolean;
}

/** The first approved invoice waiting to be posted and scheduled, if any. */
export function pendingApproval(po: PoState, at: string): Approval | undefined {
  const invoice = po.invoices.find((i) => i.status === 'approved');
  if (!invoice) return undefined;
  const events: PoEvent[] = [];
  let journal: BusinessEvent['journal'] = null;
  if (!invoice.postedAt) {
    journal = invoicePostingJournal(po, invoice.invoiceNumber);
    events.push({ type: 'invoice.posted', at, actor: SYSTEM, invoiceNumber: invoice.invoiceNumber });
  }
  const plan = planPayment({ invoice, terms: po.policy.paymentTerms, captureDiscounts: po.policy.captureDiscounts, approvedAt: at });
  events.push({ type: 'payment.scheduled', at, actor: SYSTEM, invoiceNumber: invoice.invoiceNumber, plan });
  return { invoice, events, journal, plan, needsPosting: !invoice.postedAt };
}

/** The business event of an approval on its own (settle found an approved invoice no event has scheduled). */
export function postedAndScheduled(approval: Approval): BusinessEvent {
  const { invoice } = approval;
  return {
    type: 'payment.scheduled',
    documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/${invoice.payment?.attempt ?? 1}`,
    document: { kind: 'invoice', invoiceNumber: invoice.invoiceNumber },
    events: approval.events,
    journal: approval.journal,
    payload: { invoiceNumber: invoice.invoiceNumber, payment: approval.plan, paymentStatus: 'scheduled' },
  };
}

/** The event that approved an invoice, with the invoice's posting and schedule riding along. */
export function withApproval(record: BusinessEvent, approval: Approval): BusinessEvent {
  return { ...record, events: [...record.events, ...approval.events], journal: approval.journal, payload: { ...record.payload, payment: approval.plan } };
}

/** A due payment, executed through AP (journal AP → Bank/Discounts). `paymentId` is AP's answer. */
export function paymentExecuted(invoice: InvoiceState, paymentId: string, at: string): BusinessEvent {
  const payment = invoice.payment!;
  return {
    type: 'payment.sent',
    documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/${payment.attempt}`,
    document: { kind: 'payment', invoiceNumber: invoice.invoiceNumber },
    events: [{ type: 'payment.executed', at, actor: SYSTEM, invoiceNumber: invoice.invoiceNumber, paymentId }],
    payload: { invoiceNumber: invoice.invoiceNumber, paymentId, paymentStatus: 'executed', amount: payment.amount, discount: payment.discount },
    journal: paymentJournal(invoice),
  };
}

/** Whatever GRNI is left by approved over-invoicing moves to PPV, so a closed PO leaves GRNI at 0. */
export function closed(po: PoState, at: string): BusinessEvent {
  return { type: 'po.closed', documentKey: 'close', events: [{ type: 'po.closed', at, actor: SYSTEM }], journal: poCloseJournal(po) };
}

