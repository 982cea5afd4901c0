/**
 * One purchase order inside its workflow: the state, the Update handlers and the steps they take.
 *
 * Every command follows the same path: the Update's validator refuses what the business does not
 * allow before it enters history; the handler, holding the mutex, validates again (handlers
 * interleave at every await), records the event through ONE activity (documents, journal, outbox
 * in one transaction) and only then folds it into the state, so a refused or failed command
 * changes nothing. Then it runs whatever the event made due (`settle`).
 */
import { ApplicationFailure, condition, log, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { PAYMENT_ID_FROM_AP } from './activity-contract';
import * as decide from '../domain/business-events';
import type { Approval, Outcome } from '../domain/business-events';
import { deadlines } from '../domain/deadlines';
import { apply, normaliseState } from '../domain/lifecycle/apply';
import { firstDue } from '../domain/holds';
import { heldInvoices, isReadyToClose, view } from '../domain/lifecycle/views';
import { requireInvoice } from '../domain/lookups';
import { sameMatch, threeWayMatch } from '../domain/matching';
import type { Actor, InvoiceState, PoEvent, PoState, PoView, SupplierNotice } from '../domain/state';
import { asCommandInput, isActivityFailure, partners, reads, toFailure } from './activities';
import { COMMANDS } from './commands';
import { Lock } from './lock';
import { HAS_OPEN_EXCEPTION, PO_STATUS, PO_TOTAL, confirmIssued, rematchHeldInvoices, status, type CommandAck, type PurchaseOrderWorkflowInput } from './definitions';
import type { NewPurchaseOrder } from './activity-contract';
import { issueStep } from './event-records';
import { supplierNotifications, type InvoiceForAp, type Recorder, type Step } from './recorders';

const FIRE_DEADLINES_ONE_AT_A_TIME = 'fire-deadlines-one-at-a-time';
/** The patch that resolves the policy and records the issue in one activity (docs/adr/0110-issue-in-one-activity.md). */
export const ISSUE_IN_ONE_ACTIVITY = 'issue-in-one-activity';
/** After a partner refused due work (AP refusing a payment, say), when it is tried again. */
const SETTLE_RETRY_MS = 15 * 60_000;

const now = () => new Date().toISOString();
const fold = (base: PoState, events: PoEvent[]) => events.reduce(apply, base);

export class PurchaseOrder {
  private state: PoState | undefined;
  /**
   * Handlers interleave at every await (an activity, a timer): each command validates, records
   * and folds while holding this, so two commands never decide on the same stale state.
   */
  private readonly mutex = new Lock();
  /** Set by every change so the main loop re-plans its timers. */
  changed = false;
  /** Notifications run beside the command that caused them; awaited before the run ends. */
  readonly notifications: Promise<unknown>[] = [];
  /** When due work that a partner refused is tried again. */
  settleRetryAt: number | undefined;
  private lastSearchAttributes = '';
  private readonly workflowId = workflowInfo().workflowId;

  constructor(
    state: PoState | undefined,
    /** How this run records its events (docs/adr/0080-compact-history.md). */
    private readonly recorder: Recorder,
  ) {
    this.state = state && normaliseState(state);
    if (!recorder.notifiesSeparately) {
      // Search attributes the PO was started (or continued) with need no upsert of their own.
      const attributes = workflowInfo().typedSearchAttributes;
      const [poStatus, open, total] = [attributes.get(PO_STATUS), attributes.get(HAS_OPEN_EXCEPTION), attributes.get(PO_TOTAL)];
      if (poStatus !== undefined && open !== undefined && total !== undefined) this.lastSearchAttributes = `${poStatus}|${open}|${total}`;
    }
  }

  get current(): PoState {
    if (!this.state) throw ApplicationFailure.nonRetryable('The purchase order is still being issued; retry shortly', 'PO_NOT_READY', { kind: 'conflict' });
    return this.state;
  }

  get isFinished(): boolean {
    return Boolean(this.current.cancelled || this.current.closedAt);
  }

  /** Runs `step` alone: no command or timer decides while another is between its decision and its record. */
  exclusive<T>(step: () => Promise<T>): Promise<T> {
    return this.mutex.run(step);
  }

  // -------------------------------------------------------------------------------------------
  // Start
  // -------------------------------------------------------------------------------------------

  /**
   * Resolves the supplier's policy, records the issued PO and tells the supplier: in one local
   * activity on the compact record (ADR 0110); runs started before read the policy first.
   */
  async issue(input: Extract<PurchaseOrderWorkflowInput, { kind: 'new' }>): Promise<void> {
    const { po, requestHash, actor, issuedAt } = input;
    const issue: NewPurchaseOrder = { po, requestHash, actor, issuedAt };
    if (this.recorder.recordIssue && patched(ISSUE_IN_ONE_ACTIVITY)) {
      this.commit((await this.recorder.recordIssue(issue)).next);
      return;
    }
    const policy = await reads.loadSupplierPolicy({ supplierId: po.supplierId, poPaymentTerms: po.paymentTerms });
    await this.write(issueStep(issue, policy));
  }

  resume(): void {
    this.refreshSearchAttributes();
  }

  // -------------------------------------------------------------------------------------------
  // Handlers
  // -------------------------------------------------------------------------------------------

  registerHandlers(): void {
    setHandler(status, () => view(this.current));
    setHandler(confirmIssued, async () => {
      if (this.state === undefined) await this.issued();
      return this.ack();
    });
    for (const command of COMMANDS) {
      const check = (arg: unknown, inHandler: boolean): void => {
        try {
          asCommandInput(() => command.validate(this.current, arg, inHandler));
        } catch (err) {
          throw toFailure(err);
        }
      };
      setHandler(
        command.update,
        async (arg: unknown) => {
          if (this.state === undefined) await this.issued();
          return this.exclusive(async () => {
            check(arg, true);
            try {
              const actor = (arg as { actor: Actor }).actor;
              const outcome = asCommandInput(() => command.decide(this.current, arg, now()));
              const next = outcome.record ? asCommandInput(() => fold(this.current, outcome.record!.events)) : undefined;
              await this.record(outcome, next);
              if (command.rematchAfter?.(this.current, arg)) await this.rematch(actor);
              if (this.hasDueWork()) await this.settleSafely();
            } catch (err) {
              throw toFailure(err);
            }
            return this.ack();
          });
        },
        { validator: (arg: unknown) => check(arg, false) },
      );
    }
    // Async, so that allHandlersFinished() covers the re-match it runs: continue-as-new waits for it.
    setHandler(rematchHeldInvoices, async ({ actor }) => {
      if (this.state === undefined) await this.issued();
      await this.exclusive(async () => {
        await this.rematch(actor);
        if (this.hasDueWork()) await this.settleSafely();
      });
    });
  }

  /**
   * Until the PO is issued. Handlers await it only while the PO is not (a command racing the
   * start): every promise a workflow creates costs the SDK's promise hook a stack trace, so the
   * hot path awaits nothing it does not need (bench/README.md, "Where the time goes").
   */
  private issued(): Promise<void> {
    return condition(() => this.state !== undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Recording
  // -------------------------------------------------------------------------------------------

  /**
   * Records what a command or timer decided and tells the supplier. When the event leaves an
   * invoice approved and the event posts no journal of its own, the invoice is posted to AP and
   * scheduled for payment in the same activity (`recordWithPosting`).
   */
  private async record(outcome: Outcome, folded?: PoState): Promise<void> {
    if (!outcome.record) return;
    const next = folded ?? fold(this.current, outcome.record.events);
    const approval = outcome.record.journal ? undefined : decide.pendingApproval(next, now());
    if (approval) await this.recordWithPosting(outcome, next, approval);
    else await this.write({ next, record: outcome.record, ownEvents: outcome.record.events, notices: outcome.notices });
  }

  /**
   * The event that approved an invoice, with the invoice's posting to AP and its payment date. If
   * AP refuses the invoice, the event itself is still recorded and the posting is tried again by
   * `settle` (`postApproved`); the command that triggered it does not fail.
   */
  private async recordWithPosting(outcome: Outcome, next: PoState, approval: Approval): Promise<void> {
    const record = outcome.record!;
    try {
      await this.postToAccountsPayable({ next: fold(next, approval.events), record: decide.withApproval(record, approval), ownEvents: record.events, notices: outcome.notices }, approval);
    } catch (err) {
      if (!isActivityFailure(err) || !approval.needsPosting || record.events.length === 0) throw err;
      log.error('AP refused an approved invoice; posting will be retried', { poNumber: next.poNumber, invoiceNumber: approval.invoice.invoiceNumber, error: String(err.cause ?? err) });
      await this.write({ next, record, ownEvents: record.events, notices: outcome.notices });
    }
  }

  /** Posting an approved invoice to AP (first approval only) and its schedule: one activity, one event. */
  private async postToAccountsPayable(step: Step, approval: Approval): Promise<void> {
    const po = step.next;
    await this.write(step, approval.needsPosting ? { ...approval.invoice, poNumber: po.poNumber, supplierId: po.supplierId } : undefined);
  }

  /** An approved invoice that no recorded event has posted and scheduled yet. */
  private async postApproved(): Promise<void> {
    const approval = decide.pendingApproval(this.current, now())!;
    const record = decide.postedAndScheduled(approval);
    await this.postToAccountsPayable({ next: fold(this.current, approval.events), record, ownEvents: record.events, notices: [] }, approval);
  }

  /** Pays a due invoice through AP and records the payment (journal AP → Bank/Discounts) in one activity. */
  private async pay(invoice: InvoiceState): Promise<void> {
    const po = this.current;
    const payment = invoice.payment!;
    // AP assigns the payment id inside the activity, which writes it into this record before recording.
    const placeholder = decide.paymentExecuted(invoice, PAYMENT_ID_FROM_AP, now());
    const notices: SupplierNotice[] = [
      { type: 'payment.status', data: { invoiceNumber: invoice.invoiceNumber, paymentId: PAYMENT_ID_FROM_AP, status: 'executed', amount: payment.amount, discount: payment.discount } },
    ];
    const paymentId = await this.recorder.pay(
      { next: fold(po, placeholder.events), record: placeholder, ownEvents: placeholder.events, notices },
      {
        idempotencyKey: `${this.workflowId}/payment/${placeholder.documentKey}`,
        poNumber: po.poNumber,
        supplierId: po.supplierId,
        invoiceNumber: invoice.invoiceNumber,
        currency: invoice.currency,
        amount: payment.amount,
        discount: payment.discount,
        attempt: payment.attempt,
      },
    );
    this.commit(fold(this.current, decide.paymentExecuted(invoice, paymentId, placeholder.events[0]!.at).events));
    if (this.recorder.notifiesSeparately) this.notify([{ ...notices[0]!, data: { ...notices[0]!.data, paymentId } }]);
  }

  /** Records one step through the recorder of this run, then commits it; notices follow as the recorder sends them. */
  private async write(step: Step, postToAp?: InvoiceForAp): Promise<void> {
    await this.recorder.record(step, postToAp);
    this.commit(step.next);
    if (this.recorder.notifiesSeparately) this.notify(step.notices);
  }

  private commit(next: PoState): void {
    this.state = next;
    this.changed = true;
    this.refreshSearchAttributes();
  }

  /** Notices as their own activities, beside the command (runs on the legacy recorder). */
  private notify(notices: SupplierNotice[]): void {
    const po = this.current;
    for (const notification of supplierNotifications(po, notices)) {
      const { type } = notification;
      this.notifications.push(
        partners.notifySupplier(notification).catch((err: unknown) => log.warn('Supplier notification gave up', { poNumber: po.poNumber, type, error: String(err) })),
      );
    }
  }

  private refreshSearchAttributes(): void {
    const v = view(this.current);
    const key = `${v.status}|${v.hasOpenException}|${Number(v.total)}`;
    if (key === this.lastSearchAttributes) return;
    this.lastSearchAttributes = key;
    upsertSearchAttributes([
      { key: PO_STATUS, value: v.status },
      { key: HAS_OPEN_EXCEPTION, value: v.hasOpenException },
      { key: PO_TOTAL, value: Number(v.total) },
    ]);
  }

  // -------------------------------------------------------------------------------------------
  // Automatic work: re-match, AP posting, payment, timers, close.
  // -------------------------------------------------------------------------------------------

  /** Re-matches every held invoice; nobody re-submits anything. */
  async rematch(actor: Actor): Promise<void> {
    for (const invoiceNumber of heldInvoices(this.current)) {
      const invoice = requireInvoice(this.current, invoiceNumber);
      const match = threeWayMatch({ state: this.current, invoice, invoiceNumber, at: now() });
      if (sameMatch(match, invoice.match)) continue;
      await this.record(decide.invoiceRematched(this.current, invoice, match, actor));
    }
  }

  /**
   * Runs what is due without letting a partner's refusal (AP_REJECTED, say) fail the command that
   * triggered it or the PO: the PO stays open and tries again later; operators see the failed
   * activity in the Web UI and the worker log.
   */
  async settleSafely(): Promise<void> {
    try {
      await this.settle();
      this.settleRetryAt = undefined;
    } catch (err) {
      if (!isActivityFailure(err)) throw err;
      log.error('Due work failed; retrying later', { poNumber: this.current.poNumber, error: String(err.cause ?? err) });
      this.settleRetryAt = Date.now() + SETTLE_RETRY_MS;
    }
  }

  /**
   * Whether `settle` has anything to do now. Handlers and the main loop settle only then: settling
   * with nothing due records nothing, but its awaits cost promises (see `issued`). These are the
   * conditions `settle` acts on: a kind of due work added there must be added here too.
   */
  hasDueWork(): boolean {
    if (this.isFinished) return false;
    const nowMs = Date.now();
    return (
      this.settleRetryAt !== undefined ||
      firstDue(this.current, nowMs) !== undefined ||
      deadlines(this.current, nowMs).some((deadline) => deadline.at <= nowMs) ||
      isReadyToClose(this.current)
    );
  }

  /** Everything due now, in order: postings, payments, timers; then the close. Holds the mutex. */
  private async settle(): Promise<void> {
    for (let progressed = true; progressed; ) {
      const po = this.current;
      if (this.isFinished) return;
      // What is due is the domain's decision: a held invoice is never paid (../domain/holds.ts).
      const due = firstDue(po, Date.now());
      if (due?.status === 'approved') await this.postApproved();
      else if (due) await this.pay(due);
      else progressed = await this.fireDueTimers();
    }
    if (isReadyToClose(this.current)) await this.record({ record: decide.closed(this.current, now()), notices: [] });
  }

  private async fireDueTimers(): Promise<boolean> {
    const due = deadlines(this.current, Date.now()).filter((deadline) => deadline.at <= Date.now());
    let recording = due.filter((deadline) => deadline.record);
    // Deadlines due at the same instant are decided one at a time, each from the state the previous
    // one left: an invoice hold and a supplier hold ending together must see each other's release
    // (the second release replans a payment whose discount window passed). Older runs fired them
    // all from one state.
    if (recording.length > 1 && patched(FIRE_DEADLINES_ONE_AT_A_TIME)) recording = recording.slice(0, 1);
    for (const deadline of recording) await this.record({ record: deadline.record!, notices: deadline.notices ?? [] });
    return due.length > 0;
  }

  /** When the main loop must wake up next (epoch ms), or undefined to wait for a command. */
  nextWakeUp(retryRefusedWorkAtInterval: () => boolean): number | undefined {
    let due = deadlines(this.current, Date.now()).map((deadline) => deadline.at);
    // Due work a partner refused stays past due until it succeeds: it is retried at settleRetryAt,
    // not on a 1 ms timer in a loop hammering the partner.
    if (this.settleRetryAt !== undefined && retryRefusedWorkAtInterval()) due = due.filter((at) => at > Date.now());
    const next = Math.min(...due, this.settleRetryAt ?? Infinity);
    return Number.isFinite(next) ? next : undefined;
  }

  view(): PoView {
    return view(this.current);
  }

  /**
   * What an Update answers: which state of the PO the command left (its event count). The API
   * reads that state from the ERP, where it was recorded before the Update completed, instead of
   * carrying the whole PO in every Update's result (docs/adr/0080-compact-history.md).
   */
  private ack(): CommandAck {
    return { poNumber: this.current.poNumber, sequence: this.current.timeline.length };
  }
}
