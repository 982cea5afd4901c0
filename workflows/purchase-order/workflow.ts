/**
 * purchaseOrderWorkflow: one purchase order from issue to payment (SPEC §2–4).
 *
 * The workflow only waits, times, calls activities and hands events to the pure domain
 * (`../domain`). Every command is an Update whose validator refuses invalid input before it
 * enters history; its handler re-validates under a lock (handlers interleave at await points),
 * persists the event through ONE activity (documents + journal + outbox in one transaction) and
 * only then folds the event into the state, so a refused or failed command changes nothing.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { PurchaseOrderActivities } from '../../activities';
import { PAYMENT_ID_FROM_AP, type BusinessEventRecord, type SupplierNotification } from '../../activities/ports';
import { DomainError } from '../domain/errors';
import {
  invoicePostingJournal,
  invoiceVoidJournal,
  creditMemoJournal,
  poCloseJournal,
  paymentJournal,
  paymentReversalJournal,
  receiptJournal,
} from '../domain/ledger';
import {
  apply,
  heldInvoices,
  initialState,
  isReadyToClose,
  validateAcknowledgement,
  validateAsn,
  validateCancel,
  validateChangeDecision,
  validateChangeOrder,
  validateCreditMemo,
  validateInvoice,
  validatePaymentStatus,
  validateReceipt,
  validateResolution,
  view,
} from '../domain/lifecycle';
import { findInvoice, threeWayMatch } from '../domain/matching';
import { cmp, isZero } from '../domain/money';
import { planPayment } from '../domain/payment-terms';
import {
  Acknowledgement,
  AdvanceShipNotice,
  CancelPurchaseOrder,
  ChangeDecision,
  ChangeOrder,
  CreditMemo,
  GoodsReceipt,
  Invoice,
  InvoiceResolution,
  PaymentStatusReport,
  durationToMs,
  normaliseDocumentNumber,
} from '../domain/schemas';
import type { Actor, InvoiceState, JournalEntry, MatchResult, PaymentPlan, PoEvent, PoState, PoView } from '../domain/state';
import {
  HAS_OPEN_EXCEPTION,
  PO_STATUS,
  PO_TOTAL,
  acknowledge,
  cancel,
  changeOrder,
  confirmIssued,
  decideChanges,
  postReceipt,
  rematchHeldInvoices,
  reportPaymentStatus,
  resolveInvoice,
  status,
  submitAsn,
  submitCreditMemo,
  submitInvoice,
  type Command,
  type InvoiceOutcome,
  type PurchaseOrderWorkflowInput,
} from './definitions';

const NON_RETRYABLE = ['DUPLICATE_INVOICE', 'UNKNOWN_SUPPLIER', 'UNBALANCED_JOURNAL'];

const erp = proxyActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Reading the supplier's terms is a quick read: a local activity keeps it out of the history's round trips. */
const reads = proxyLocalActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Accounts payable: idempotent per invoice and payment attempt, so retried until AP answers; an
 * outage delays payment, it never loses or fails a PO. AP's own refusals are non-retryable.
 */
const payables = proxyActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: [...NON_RETRYABLE, 'AP_REJECTED', 'PAYMENT_KEY_REUSED'] },
});

/** Supplier notifications: retried for hours (SPEC §5), then given up and logged; commands never wait for them. */
const partners = proxyActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', maximumAttempts: 50 },
});

const DEFAULT_HISTORY_THRESHOLD = 2000;
const SETTLE_RETRY_MS = 15 * 60_000;

interface OutboxEntry {
  type: string;
  documentKey: string;
  payload?: Record<string, unknown>;
  document?: BusinessEventRecord['document'];
  journal?: JournalEntry | null;
  inventory?: BusinessEventRecord['inventory'];
}
const SYSTEM: Actor = { role: 'system', id: 'system' };

/** Serialises command handlers: each one validates, records and applies without interleaving. */
class Lock {
  private held = false;
  async run<T>(fn: () => Promise<T>): Promise<T> {
    // Several waiters can see the lock free in the same activation: re-check after every wake-up.
    while (this.held) await condition(() => !this.held);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}

function toFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.nonRetryable(err.message, err.code, { kind: err.kind });
  }
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type && NON_RETRYABLE.includes(err.cause.type)) {
    const details = err.cause.details?.[0] ?? { kind: err.cause.type === 'DUPLICATE_INVOICE' ? 'conflict' : 'unprocessable' };
    return ApplicationFailure.nonRetryable(err.cause.message, err.cause.type, details);
  }
  return err;
}

function rejectInvalid<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
    throw ApplicationFailure.nonRetryable(`Invalid command: ${detail}`, 'INVALID_COMMAND', { kind: 'unprocessable' });
  }
  return parsed.data;
}

export async function purchaseOrderWorkflow(input: PurchaseOrderWorkflowInput): Promise<PoView> {
  const info = workflowInfo();
  const historyThreshold = input.options?.historyThreshold ?? DEFAULT_HISTORY_THRESHOLD;
  const lock = new Lock();
  let state: PoState | undefined = input.kind === 'continued' ? input.state : undefined;
  /** Set by every change so the main loop re-plans its timers. */
  let changed = false;
  /** Notifications run beside the command that caused them; awaited before the run ends. */
  const pendingNotifications: Promise<unknown>[] = [];
  let lastSearchAttributes = '';
  /** When due work that a partner refused is tried again. */
  let settleRetryAt: number | undefined;

  const now = () => new Date().toISOString();
  const current = (): PoState => {
    if (!state) throw ApplicationFailure.nonRetryable('The purchase order is still being issued; retry shortly', 'PO_NOT_READY', { kind: 'conflict' });
    return state;
  };

  // ---------------------------------------------------------------------------------------------
  // Effects
  // ---------------------------------------------------------------------------------------------

  /**
   * Folds `events` into a copy of the state, records the result in ONE activity and only then
   * commits it, so a failed activity (e.g. duplicate invoice) leaves the state untouched.
   */
  async function record(events: PoEvent[], outbox: OutboxEntry, base: PoState = current()): Promise<PoState> {
    const folded = fold(base, events);
    let next = folded;
    let journal = outbox.journal ?? null;
    let payload = outbox.payload;
    let invoiceForAp: InvoiceState | undefined;
    // An invoice this event approved (matched, re-matched, or approved by finance) is posted to AP
    // and scheduled for payment in the same recorded event: fewer round trips, a shorter history.
    const approved = journal ? undefined : next.invoices.find((i) => i.status === 'approved');
    if (approved) {
      const approval = approvalOf(next, approved);
      next = fold(next, approval.events);
      journal = approval.journal;
      invoiceForAp = approved.postedAt ? undefined : approved;
      payload = { ...payload, payment: approval.plan };
    }
    const entry = businessEvent(next, events, { ...outbox, journal, payload });
    if (invoiceForAp) {
      try {
        await payables.postApprovedInvoice({ invoice: { ...invoiceForAp, poNumber: next.poNumber, supplierId: next.supplierId }, record: entry });
      } catch (err) {
        // Nothing but the posting itself to record: let the caller retry the whole thing later.
        if (!(err instanceof ActivityFailure) || events.length === 0) throw err;
        // AP refused the invoice: the event itself is still recorded; posting is retried later.
        log.error('AP refused an approved invoice; posting will be retried', { poNumber: next.poNumber, invoiceNumber: invoiceForAp.invoiceNumber, error: String(err.cause ?? err) });
        await erp.recordBusinessEvent(businessEvent(folded, events, outbox));
        next = folded;
      }
    } else {
      await erp.recordBusinessEvent(entry);
    }
    commit(next);
    return next;
  }

  /**
   * Runs what is due, without letting a partner's refusal (AP_REJECTED, say) fail the command
   * that triggered it or the PO: the PO stays open and tries again later; operators see the
   * failed activity in the Web UI and the worker log.
   */
  async function settleSafely(): Promise<void> {
    try {
      await settle();
      settleRetryAt = undefined;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.error('Due work failed; retrying later', { poNumber: current().poNumber, error: String(err.cause ?? err) });
      settleRetryAt = Date.now() + SETTLE_RETRY_MS;
    }
  }

  function fold(base: PoState, events: PoEvent[]): PoState {
    return events.reduce(apply, base);
  }

  function commit(next: PoState): void {
    state = next;
    changed = true;
    refreshSearchAttributes();
  }

  function businessEvent(next: PoState, events: PoEvent[], outbox: OutboxEntry): BusinessEventRecord {
    const poView = view(next);
    const last = events[events.length - 1];
    return {
      // The timeline length numbers events within the PO: a retried activity sends the same key.
      idempotencyKey: `${info.workflowId}/${outbox.type}/${outbox.documentKey}/${next.timeline.length}`,
      eventId: uuid4(),
      workflowId: info.workflowId,
      poNumber: next.poNumber,
      supplierId: next.supplierId,
      type: outbox.type,
      at: last?.at ?? now(),
      actor: last?.actor ?? SYSTEM,
      payload: { version: 1, poNumber: next.poNumber, status: poView.status, ...outbox.payload },
      po: poView,
      document: outbox.document,
      journal: outbox.journal ?? undefined,
      inventory: outbox.inventory,
    };
  }

  /** Posting (first approval only) and the payment date of an approved invoice. */
  function approvalOf(po: PoState, invoice: InvoiceState): { events: PoEvent[]; journal: JournalEntry | null; plan: PaymentPlan } {
    const at = now();
    const events: PoEvent[] = [];
    let journal: JournalEntry | null = null;
    if (!invoice.postedAt) {
      journal = invoicePostingJournal(po, invoice.invoiceNumber);
      events.push({ type: 'invoice.posted', at, actor: SYSTEM, invoiceNumber: invoice.invoiceNumber });
    }
    const plan = planPayment({ invoice, terms: po.policy.paymentTerms, captureDiscounts: po.policy.captureDiscounts, approvedAt: at });
    events.push({ type: 'payment.scheduled', at, actor: SYSTEM, invoiceNumber: invoice.invoiceNumber, plan });
    return { events, journal, plan };
  }

  function notifySupplier(type: SupplierNotification['type'], data: Record<string, unknown>): void {
    const po = current();
    const notification: SupplierNotification = { id: uuid4(), supplierId: po.supplierId, poNumber: po.poNumber, type, at: now(), data };
    pendingNotifications.push(
      partners.notifySupplier(notification).catch((err: unknown) => log.warn('Supplier notification gave up', { poNumber: po.poNumber, type, error: String(err) })),
    );
  }

  function refreshSearchAttributes(): void {
    const v = view(current());
    const key = `${v.status}|${v.hasOpenException}|${v.total}`;
    if (key === lastSearchAttributes) return;
    lastSearchAttributes = key;
    upsertSearchAttributes([
      { key: PO_STATUS, value: v.status },
      { key: HAS_OPEN_EXCEPTION, value: v.hasOpenException },
      { key: PO_TOTAL, value: Number(v.total) },
    ]);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands
  // ---------------------------------------------------------------------------------------------

  /**
   * Registers an Update whose validator and handler share the same domain validation. `run`
   * records the command's event; the answer is computed after everything it made due has run.
   */
  function command<A, R = PoView>(
    def: UpdateDefinition<R, [A]>,
    options: { validate(state: PoState, arg: A): void; run(arg: A): Promise<void>; respond?(arg: A): R },
  ): void {
    const check = (arg: A): void => {
      try {
        options.validate(current(), arg);
      } catch (err) {
        throw toFailure(err);
      }
    };
    const respond = options.respond ?? ((): R => view(current()) as R);
    setHandler(
      def,
      async (arg: A): Promise<R> => {
        await condition(() => state !== undefined);
        return lock.run(async () => {
          check(arg);
          try {
            await options.run(arg);
            await settleSafely();
          } catch (err) {
            throw toFailure(err);
          }
          return respond(arg);
        });
      },
      { validator: check },
    );
  }

  setHandler(status, () => view(current()));

  setHandler(
    confirmIssued,
    async () => {
      await condition(() => state !== undefined);
      return view(current());
    },
  );

  command<Command<Acknowledgement>>(acknowledge, {
    validate: (po, { body }) => validateAcknowledgement(po, rejectInvalid(Acknowledgement, body)),
    run: async ({ actor, body }) => {
      const outboxType = body.type === 'reject' ? 'po.rejected' : body.type === 'accept' ? 'po.acknowledged' : 'po.changes_proposed';
      await record([{ type: 'po.acknowledged', at: now(), actor, acknowledgement: body }], {
        type: outboxType,
        documentKey: 'acknowledgement',
        payload: { acknowledgement: body },
      });
    },
  });

  command<Command<ChangeDecision>>(decideChanges, {
    validate: (po, { body }) => validateChangeDecision(po, rejectInvalid(ChangeDecision, body)),
    run: async ({ actor, body }) => {
      await record([{ type: 'po.change_decided', at: now(), actor, decision: body.decision, reason: body.reason }], {
        type: body.decision === 'approve' ? 'po.changes_approved' : 'po.changes_rejected',
        documentKey: 'change-decision',
        payload: { decision: body.decision, reason: body.reason },
      });
      notifySupplier('po.change_decision', { decision: body.decision, reason: body.reason });
    },
  });

  command<Command<ChangeOrder>>(changeOrder, {
    validate: (po, { body }) => validateChangeOrder(po, rejectInvalid(ChangeOrder, body)),
    run: async ({ actor, body, bodyHash }) => {
      const next = await record([{ type: 'po.changed', at: now(), actor, changeOrder: body }], {
        type: 'po.changed',
        documentKey: bodyHash,
        payload: { changeOrder: body },
      });
      notifySupplier('po.changed', { changeOrder: body, acknowledgementRequired: next.awaitingAcknowledgement });
      // A short-closed line may be what a held invoice was waiting for.
      await rematch(actor);
    },
  });

  command<Command<CancelPurchaseOrder>>(cancel, {
    validate: (po, { body }) => {
      if (po.cancelled) return; // cancelling twice answers with the cancelled PO
      validateCancel(po, rejectInvalid(CancelPurchaseOrder, body));
    },
    run: async ({ actor, body }) => {
      if (current().cancelled) return;
      await record([{ type: 'po.cancelled', at: now(), actor, reason: body.reason }], {
        type: 'po.cancelled',
        documentKey: 'cancel',
        payload: { reason: body.reason },
      });
      notifySupplier('po.cancelled', { reason: body.reason });
    },
  });

  command<Command<AdvanceShipNotice>>(submitAsn, {
    validate: (po, { body, bodyHash }) => {
      if (isReplay(po.asns.find((a) => a.asnNumber === body.asnNumber), bodyHash, 'DUPLICATE_ASN', `ASN ${body.asnNumber}`)) return;
      validateAsn(po, rejectInvalid(AdvanceShipNotice, body));
    },
    run: async ({ actor, body, bodyHash }) => {
      if (current().asns.some((a) => a.asnNumber === body.asnNumber)) return;
      await record([{ type: 'asn.received', at: now(), actor, asn: body, bodyHash }], {
        type: 'asn.received',
        documentKey: body.asnNumber,
        document: { kind: 'asn', asnNumber: body.asnNumber },
        payload: { asn: body },
      });
    },
  });

  command<Command<GoodsReceipt>>(postReceipt, {
    validate: (po, { body, bodyHash }) => {
      if (isReplay(po.receipts.find((r) => r.receiptNumber === body.receiptNumber), bodyHash, 'DUPLICATE_RECEIPT', `Receipt ${body.receiptNumber}`)) return;
      validateReceipt(po, rejectInvalid(GoodsReceipt, body));
    },
    run: async ({ actor, body, bodyHash }) => {
      const before = current();
      if (before.receipts.some((r) => r.receiptNumber === body.receiptNumber)) return;
      const receipt: GoodsReceipt = { ...body, receivedAt: body.receivedAt ?? now() };
      const inventory = receipt.lines
        .filter((l) => !isZero(l.quantityReceived))
        .map((l) => ({ sku: lineOf(before, l.lineNo).sku, location: receipt.location, quantity: l.quantityReceived, lineNo: l.lineNo }));
      await record([{ type: 'goods.received', at: now(), actor, receipt, bodyHash }], {
        type: 'goods.received',
        documentKey: body.receiptNumber,
        document: { kind: 'receipt', receiptNumber: body.receiptNumber },
        payload: { receipt, inventory },
        journal: receiptJournal(before, receipt),
        inventory,
      });
      const rejectedLines = receipt.lines.filter((l) => !isZero(l.quantityRejected));
      if (rejectedLines.length > 0) {
        notifySupplier('receipt.discrepancy', { receiptNumber: receipt.receiptNumber, rejectedLines });
      }
      await rematch(actor);
    },
  });

  command<Command<Invoice>, InvoiceOutcome>(submitInvoice, {
    validate: (po, { body, bodyHash }) => {
      const existing = findInvoice(po, body.invoiceNumber);
      if (isReplay(existing, bodyHash, 'DUPLICATE_INVOICE', `Invoice ${body.invoiceNumber}`)) return;
      validateInvoice(po, rejectInvalid(Invoice, body));
    },
    run: async ({ actor, body, bodyHash }) => {
      if (findInvoice(current(), body.invoiceNumber)) return;
      const at = now();
      const match = threeWayMatch({ state: current(), invoice: body, at });
      await record([{ type: 'invoice.received', at, actor, invoice: body, bodyHash, match }], {
        type: matchOutboxType(match),
        documentKey: normaliseDocumentNumber(body.invoiceNumber),
        document: { kind: 'invoice', invoiceNumber: body.invoiceNumber },
        payload: { invoiceNumber: body.invoiceNumber, total: body.total, match },
      });
      if (match.status === 'exception') notifySupplier('invoice.exception', { invoiceNumber: body.invoiceNumber, match });
    },
    respond: ({ body }) => {
      const invoice = findInvoice(current(), body.invoiceNumber)!;
      return { invoiceNumber: invoice.invoiceNumber, status: invoice.status, match: invoice.match };
    },
  });

  command<Command<CreditMemo>>(submitCreditMemo, {
    validate: (po, { body, bodyHash }) => {
      const existing = po.creditMemos.find((m) => m.creditMemoNumber === body.creditMemoNumber);
      if (isReplay(existing, bodyHash, 'DUPLICATE_CREDIT_MEMO', `Credit memo ${body.creditMemoNumber}`)) return;
      validateCreditMemo(po, rejectInvalid(CreditMemo, body));
    },
    run: async ({ actor, body, bodyHash }) => {
      const before = current();
      if (before.creditMemos.some((m) => m.creditMemoNumber === body.creditMemoNumber)) return;
      const invoice = findInvoice(before, body.invoiceNumber)!;
      // A memo against an invoice already in AP is posted now; otherwise it is posted with the invoice.
      await record([{ type: 'credit_memo.received', at: now(), actor, creditMemo: body, bodyHash }], {
        type: 'credit_memo.received',
        documentKey: body.creditMemoNumber,
        document: { kind: 'credit_memo', creditMemoNumber: body.creditMemoNumber },
        payload: { creditMemo: body },
        journal: invoice.postedAt ? creditMemoJournal(before, body) : null,
      });
      await rematch(actor);
    },
  });

  command<Command<InvoiceResolution> & { invoiceNumber: string }>(resolveInvoice, {
    validate: (po, { body, invoiceNumber }) => validateResolution(po, invoiceNumber, rejectInvalid(InvoiceResolution, body)),
    run: async ({ actor, body, invoiceNumber }) => {
      const before = current();
      const invoice = findInvoice(before, invoiceNumber)!;
      // Rejecting an invoice that AP already holds (a failed payment) takes its posting back out.
      const voidJournal = body.action === 'reject' && invoice.postedAt ? invoiceVoidJournal(before, invoice.invoiceNumber) : null;
      await record([{ type: 'invoice.resolved', at: now(), actor, invoiceNumber: invoice.invoiceNumber, action: body.action, reason: body.reason }], {
        type: body.action === 'approve' ? 'invoice.approved' : 'invoice.rejected',
        documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/resolution`,
        document: { kind: 'invoice', invoiceNumber: invoice.invoiceNumber },
        payload: { invoiceNumber: invoice.invoiceNumber, action: body.action, reason: body.reason, by: actor.id },
        journal: voidJournal,
      });
      if (body.action === 'reject') {
        notifySupplier('invoice.rejected', { invoiceNumber: invoice.invoiceNumber, reason: body.reason });
        // A rejected invoice no longer counts towards the cumulative invoiced quantity: a corrected
        // re-bill held because of it (QTY_EXCEEDS_RECEIVED) must be matched again without a new receipt.
        if (heldInvoices(current()).length > 0 && patched('rematch-after-invoice-rejected')) await rematch(actor);
      }
    },
  });

  command<Command<PaymentStatusReport> & { invoiceNumber: string }>(reportPaymentStatus, {
    validate: (po, { body, invoiceNumber }) => {
      if (findInvoice(po, invoiceNumber)?.payment?.status === body.status) return; // the same report again changes nothing
      validatePaymentStatus(po, invoiceNumber, rejectInvalid(PaymentStatusReport, body));
    },
    run: async ({ actor, body, invoiceNumber }) => {
      const invoice = findInvoice(current(), invoiceNumber)!;
      const payment = invoice.payment!;
      if (payment.status === body.status) return;
      await record([{ type: 'payment.status_reported', at: now(), actor, invoiceNumber: invoice.invoiceNumber, status: body.status, reference: body.reference }], {
        type: `payment.${body.status}`,
        documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/${payment.attempt}/${body.status}`,
        document: { kind: 'payment', invoiceNumber: invoice.invoiceNumber },
        payload: { invoiceNumber: invoice.invoiceNumber, paymentId: payment.paymentId, status: body.status, reference: body.reference },
        journal: body.status === 'failed' ? paymentReversalJournal(invoice) : null,
      });
      notifySupplier('payment.status', { invoiceNumber: invoice.invoiceNumber, paymentId: payment.paymentId, status: body.status });
    },
  });

  // Async, so that allHandlersFinished() covers the re-match it runs: continue-as-new waits for it.
  setHandler(rematchHeldInvoices, async ({ actor }) => {
    await condition(() => state !== undefined);
    await lock.run(async () => {
      await rematch(actor);
      await settleSafely();
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Automatic work: re-match, AP posting, payment scheduling and execution, timers, close.
  // ---------------------------------------------------------------------------------------------

  /** Re-matches every held invoice; nobody re-submits anything (SPEC §2). */
  async function rematch(actor: Actor): Promise<void> {
    for (const invoiceNumber of heldInvoices(current())) {
      const invoice = findInvoice(current(), invoiceNumber)!;
      const at = now();
      const match = threeWayMatch({ state: current(), invoice, invoiceNumber, at });
      if (match.status === invoice.match.status && JSON.stringify(match.lines) === JSON.stringify(invoice.match.lines) && JSON.stringify(match.reasons) === JSON.stringify(invoice.match.reasons)) {
        continue;
      }
      await record([{ type: 'invoice.rematched', at, actor, invoiceNumber, match }], {
        type: matchOutboxType(match),
        documentKey: `${normaliseDocumentNumber(invoiceNumber)}/rematch`,
        document: { kind: 'invoice', invoiceNumber },
        payload: { invoiceNumber, match, rematch: true },
      });
      if (match.status === 'exception' && invoice.match.status !== 'exception') {
        notifySupplier('invoice.exception', { invoiceNumber, match });
      }
    }
  }

  /**
   * Does everything that is due now. Runs under the lock (from command handlers and the main loop).
   */
  async function settle(): Promise<void> {
    for (let progressed = true; progressed; ) {
      progressed = false;
      const po = current();
      if (po.cancelled || po.closedAt) return;
      for (const invoice of po.invoices) {
        if (invoice.status === 'approved') {
          await postAndSchedule(invoice);
          progressed = true;
          break;
        }
        if (invoice.status === 'scheduled' && invoice.payment && Date.parse(invoice.payment.scheduledFor) <= Date.now()) {
          await pay(invoice);
          progressed = true;
          break;
        }
      }
      if (progressed) continue;
      progressed = await fireDueTimers();
    }
    if (isReadyToClose(current())) {
      // Whatever GRNI is left by approved over-invoicing moves to PPV, so a closed PO leaves GRNI at 0.
      await record([{ type: 'po.closed', at: now(), actor: SYSTEM }], { type: 'po.closed', documentKey: 'close', journal: poCloseJournal(current()) });
    }
  }

  /** An approved invoice goes to AP (journal) and gets its payment date in one recorded event. */
  /** Safety net: an approved invoice that no recorded event has scheduled yet. */
  async function postAndSchedule(invoice: InvoiceState): Promise<void> {
    await record([], {
      type: 'payment.scheduled',
      documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/${invoice.payment?.attempt ?? 1}`,
      document: { kind: 'invoice', invoiceNumber: invoice.invoiceNumber },
      payload: { invoiceNumber: invoice.invoiceNumber },
    });
  }

  /** Pays a due invoice through AP and records the payment (journal AP → Bank/Discounts) in one activity. */
  async function pay(invoice: InvoiceState): Promise<void> {
    const po = current();
    const payment = invoice.payment!;
    const executed = (paymentId: string): PoEvent => ({ type: 'payment.executed', at: now(), actor: SYSTEM, invoiceNumber: invoice.invoiceNumber, paymentId });
    // AP assigns the payment id inside the activity, which writes it into this record before recording.
    const entry = businessEvent(fold(po, [executed(PAYMENT_ID_FROM_AP)]), [executed(PAYMENT_ID_FROM_AP)], {
      type: 'payment.sent',
      documentKey: `${normaliseDocumentNumber(invoice.invoiceNumber)}/${payment.attempt}`,
      document: { kind: 'payment', invoiceNumber: invoice.invoiceNumber },
      payload: { invoiceNumber: invoice.invoiceNumber, paymentId: PAYMENT_ID_FROM_AP, amount: payment.amount, discount: payment.discount },
      journal: paymentJournal(invoice),
    });
    const { paymentId } = await payables.payInvoice({
      payment: {
        idempotencyKey: `${info.workflowId}/payment/${normaliseDocumentNumber(invoice.invoiceNumber)}/${payment.attempt}`,
        poNumber: po.poNumber,
        supplierId: po.supplierId,
        invoiceNumber: invoice.invoiceNumber,
        currency: invoice.currency,
        amount: payment.amount,
        discount: payment.discount,
        attempt: payment.attempt,
      },
      record: entry,
    });
    commit(fold(current(), [executed(paymentId)]));
    notifySupplier('payment.status', { invoiceNumber: invoice.invoiceNumber, paymentId, status: 'executed', amount: payment.amount, discount: payment.discount });
  }

  interface Deadline {
    at: number;
    fire(): Promise<void>;
  }

  /** The SLA timers of SPEC §2, each computed from the state so a restart changes nothing. */
  function deadlines(po: PoState): Deadline[] {
    const result: Deadline[] = [];
    const slas = po.policy.slas;
    if (po.cancelled || po.closedAt) return result;
    if (po.awaitingAcknowledgement) {
      const since = Date.parse(awaitingSince(po));
      if (!po.reminders.ackReminderSentAt) {
        result.push({
          at: since + durationToMs(slas.ackReminder),
          fire: async () => {
            await record([{ type: 'acknowledgement.reminded', at: now(), actor: SYSTEM }], { type: 'acknowledgement.reminder', documentKey: awaitingSince(po) });
            notifySupplier('acknowledgement.reminder', { issuedAt: awaitingSince(po), dueBy: new Date(since + durationToMs(slas.ackSla)).toISOString() });
          },
        });
      }
      if (!po.reminders.ackEscalatedAt) {
        result.push({
          at: since + durationToMs(slas.ackSla),
          fire: async () => {
            await record([{ type: 'acknowledgement.escalated', at: now(), actor: SYSTEM }], {
              type: 'acknowledgement.overdue',
              documentKey: awaitingSince(po),
              payload: { buyer: po.buyer, issuedAt: awaitingSince(po), sla: slas.ackSla },
            });
          },
        });
      }
    }
    if (!po.reminders.lateDeliveryNotifiedAt && !po.awaitingAcknowledgement) {
      const lateLines = po.lines.filter((l) => !l.cancelled && l.kind === 'goods' && (l.promisedDate ?? l.requestedDate) && cmp(l.receivedQuantity, l.confirmedQuantity) < 0);
      const promised = lateLines.map((l) => Date.parse(`${l.promisedDate ?? l.requestedDate}T00:00:00.000Z`) + 86_400_000);
      if (promised.length > 0) {
        const at = Math.min(...promised) + durationToMs(slas.lateDeliveryGrace);
        result.push({
          at,
          fire: async () => {
            const overdue = lateLines.filter((l) => Date.parse(`${l.promisedDate ?? l.requestedDate}T00:00:00.000Z`) + 86_400_000 + durationToMs(slas.lateDeliveryGrace) <= Date.now()).map((l) => l.lineNo);
            await record([{ type: 'delivery.late', at: now(), actor: SYSTEM, lineNos: overdue }], {
              type: 'delivery.late',
              documentKey: 'late',
              payload: { buyer: po.buyer, lineNos: overdue },
            });
          },
        });
      }
    }
    for (const exception of po.exceptions) {
      if (exception.status !== 'open' || exception.escalatedAt) continue;
      result.push({
        at: Date.parse(exception.openedAt) + durationToMs(slas.exceptionSla),
        fire: async () => {
          await record([{ type: 'exception.escalated', at: now(), actor: SYSTEM, exceptionId: exception.id }], {
            type: 'exception.overdue',
            documentKey: exception.id,
            payload: { exceptionId: exception.id, invoiceNumber: exception.invoiceNumber, code: exception.code, openedAt: exception.openedAt, sla: slas.exceptionSla },
          });
        },
      });
    }
    for (const invoice of po.invoices) {
      if (invoice.status === 'scheduled' && invoice.payment) {
        result.push({ at: Date.parse(invoice.payment.scheduledFor), fire: async () => undefined });
      }
    }
    return result;
  }

  async function fireDueTimers(): Promise<boolean> {
    const due = deadlines(current()).filter((d) => d.at <= Date.now());
    for (const deadline of due) await deadline.fire();
    return due.length > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------

  if (input.kind === 'new') {
    const { po, requestHash, actor, issuedAt } = input;
    const policy = await reads.loadSupplierPolicy({ supplierId: po.supplierId, poPaymentTerms: po.paymentTerms });
    const issued: PoEvent = { type: 'po.issued', at: issuedAt, actor, po, requestHash, policy };
    const first = initialState(issued);
    await record([], { type: 'po.issued', documentKey: 'issue', payload: { po } }, first);
    notifySupplier('po.issued', { po, total: view(current()).total });
  } else {
    refreshSearchAttributes();
  }

  // ---------------------------------------------------------------------------------------------
  // Main loop: sleep until the next deadline or the next change.
  // ---------------------------------------------------------------------------------------------

  for (;;) {
    await lock.run(settleSafely);
    const po = current();
    if (po.cancelled || po.closedAt) break;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyThreshold) {
      if (patched('drain-handlers-before-continue-as-new')) {
        // A command admitted while the notifications were still going out must finish in this
        // run: hand over only once handlers and notifications are all quiet in the same activation.
        for (;;) {
          await condition(allHandlersFinished);
          const notificationCount = pendingNotifications.length;
          await Promise.all(pendingNotifications);
          if (allHandlersFinished() && pendingNotifications.length === notificationCount) break;
        }
      } else {
        await condition(allHandlersFinished);
        await Promise.all(pendingNotifications);
      }
      log.info('Continuing as new', { poNumber: po.poNumber, historyLength: workflowInfo().historyLength });
      await continueAsNew<typeof purchaseOrderWorkflow>({ kind: 'continued', state: current(), options: input.options });
    }
    let due = deadlines(po).map((d) => d.at);
    // Due work a partner refused (AP refusing a payment, say) stays past due until it succeeds:
    // it is retried at settleRetryAt, not on a 1 ms timer in a loop hammering the partner.
    if (settleRetryAt !== undefined && patched('retry-refused-work-at-interval')) due = due.filter((at) => at > Date.now());
    const next = Math.min(...due, settleRetryAt ?? Infinity);
    changed = false;
    if (Number.isFinite(next)) {
      await condition(() => changed, Math.max(next - Date.now(), 1));
    } else {
      await condition(() => changed);
    }
  }

  await condition(allHandlersFinished);
  await Promise.all(pendingNotifications);
  return view(current());
}

function awaitingSince(po: PoState): string {
  const lastRequest = [...po.timeline].reverse().find((t) => t.type === 'po.issued' || t.type === 'po.changed' || t.type === 'po.change_decided');
  return lastRequest?.at ?? po.createdAt;
}

function duplicate(code: string, message: string): DomainError {
  return new DomainError(code, 'conflict', message);
}

function lineOf(po: PoState, lineNo: number) {
  const line = po.lines.find((l) => l.lineNo === lineNo);
  if (!line) throw new DomainError('UNKNOWN_LINE', 'unprocessable', `Line ${lineNo} is not on purchase order ${po.poNumber}`);
  return line;
}

/** A business document sent again: the same body replays, another body is a 409. */
function isReplay(existing: { bodyHash: string } | undefined, bodyHash: string, code: string, what: string): boolean {
  if (!existing) return false;
  if (existing.bodyHash !== bodyHash) throw duplicate(code, `${what} already exists with other content`);
  return true;
}

function matchOutboxType(match: MatchResult): string {
  return match.status === 'exception' ? 'invoice.exception' : match.status === 'pending_receipt' ? 'invoice.pending_receipt' : 'invoice.matched';
}
