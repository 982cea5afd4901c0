/**
 * One purchase order inside its workflow: the state, the Update handlers and the steps they take.
 *
 * Every command follows the same path: the Update's validator refuses what the business does not
 * allow before it enters history; the handler, holding the mutex, validates again (handlers
 * interleave at every await), records the event through ONE activity (documents, journal, outbox
 * in one transaction) and only then folds it into the state, so a refused or failed command
 * changes nothing. Then it runs whatever the event made due (`settle`).
 */
import { ActivityFailure, ApplicationFailure, condition, log, setHandler, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { PAYMENT_ID_FROM_AP, type BusinessEventRecord, type SupplierNotification } from './activity-contract';
import * as decide from '../domain/business-events';
import type { Approval, Outcome } from '../domain/business-events';
import { SYSTEM, deadlines } from '../domain/deadlines';
import { apply, initialState, normaliseState } from '../domain/lifecycle/apply';
import { firstDue } from '../domain/holds';
import { heldInvoices, isReadyToClose, view } from '../domain/lifecycle/views';
import { requireInvoice } from '../domain/lookups';
import { sameMatch, threeWayMatch } from '../domain/matching';
import type { Actor, BusinessEvent, InvoiceState, PoEvent, PoEventOf, PoState, PoView, SupplierNotice } from '../domain/state';
import { erp, partners, payables, reads, toFailure } from './activities';
import { COMMANDS } from './commands';
import { HAS_OPEN_EXCEPTION, PO_STATUS, PO_TOTAL, confirmIssued, rematchHeldInvoices, status, type PurchaseOrderWorkflowInput } from './definitions';

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
  private readonly mutex = new Mutex();
  /** Set by every change so the main loop re-plans its timers. */
  changed = false;
  /** Notifications run beside the command that caused them; awaited before the run ends. */
  readonly notifications: Promise<unknown>[] = [];
  /** When due work that a partner refused is tried again. */
  settleRetryAt: number | undefined;
  private lastSearchAttributes = '';
  private readonly workflowId = workflowInfo().workflowId;

  constructor(state?: PoState) {
    this.state = state && normaliseState(state);
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
    return this.mutex.runExclusive(step);
  }

  // -------------------------------------------------------------------------------------------
  // Start
  // -------------------------------------------------------------------------------------------

  /** Resolves the supplier's policy, records the issued PO and tells the supplier. */
  async issue(input: Extract<PurchaseOrderWorkflowInput, { kind: 'new' }>): Promise<void> {
    const { po, requestHash, actor, issuedAt } = input;
    const policy = await reads.loadSupplierPolicy({ supplierId: po.supplierId, poPaymentTerms: po.paymentTerms });
    const event: PoEventOf<'po.issued'> = { type: 'po.issued', at: issuedAt, actor, po, requestHash, policy };
    const first = initialState(event);
    const outcome = decide.issued(event, view(first).total);
    await erp.recordBusinessEvent(this.businessEvent(first, outcome.record!));
    this.commit(first);
    this.notify(outcome.notices);
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
      await condition(() => this.state !== undefined);
      return view(this.current);
    });
    for (const command of COMMANDS) {
      const check = (arg: unknown): void => {
        try {
          command.validate(this.current, arg);
        } catch (err) {
          throw toFailure(err);
        }
      };
      setHandler(
        command.update,
        async (arg: unknown) => {
          await condition(() => this.state !== undefined);
          return this.exclusive(async () => {
            check(arg);
            try {
              const actor = (arg as { actor: Actor }).actor;
              await this.record(command.decide(this.current, arg, now()));
              if (command.rematchAfter?.(this.current, arg)) await this.rematch(actor);
              await this.settleSafely();
            } catch (err) {
              throw toFailure(err);
            }
            return command.respond ? command.respond(this.current, arg) : view(this.current);
          });
        },
        { validator: check },
      );
    }
    // Async, so that allHandlersFinished() covers the re-match it runs: continue-as-new waits for it.
    setHandler(rematchHeldInvoices, async ({ actor }) => {
      await condition(() => this.state !== undefined);
      await this.exclusive(async () => {
        await this.rematch(actor);
        await this.settleSafely();
      });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Recording
  // -------------------------------------------------------------------------------------------

  /**
   * Records what a command or timer decided and tells the supplier. When the event leaves an
   * invoice approved and the event posts no journal of its own, the invoice is posted to AP and
   * scheduled for payment in the same activity (`recordWithPosting`).
   */
  private async record(outcome: Outcome): Promise<void> {
    if (!outcome.record) return;
    const next = fold(this.current, outcome.record.events);
    const approval = outcome.record.journal ? undefined : decide.pendingApproval(next, now());
    if (approval) await this.recordWithPosting(outcome.record, next, approval);
    else {
      await erp.recordBusinessEvent(this.businessEvent(next, outcome.record));
      this.commit(next);
    }
    this.notify(outcome.notices);
  }

  /**
   * The event that approved an invoice, with the invoice's posting to AP and its payment date. If
   * AP refuses the invoice, the event itself is still recorded and the posting is tried again by
   * `settle` (`postApproved`); the command that triggered it does not fail.
   */
  private async recordWithPosting(record: BusinessEvent, next: PoState, approval: Approval): Promise<void> {
    const combined = decide.withApproval(record, approval);
    try {
      await this.postToAccountsPayable(fold(next, approval.events), combined, approval, record.events);
    } catch (err) {
      if (!(err instanceof ActivityFailure) || !approval.needsPosting || record.events.length === 0) throw err;
      log.error('AP refused an approved invoice; posting will be retried', { poNumber: next.poNumber, invoiceNumber: approval.invoice.invoiceNumber, error: String(err.cause ?? err) });
      await erp.recordBusinessEvent(this.businessEvent(next, record));
      this.commit(next);
    }
  }

  /** Posting an approved invoice to AP (first approval only) and its schedule: one activity, one event. */
  private async postToAccountsPayable(next: PoState, record: BusinessEvent, approval: Approval, ownEvents: PoEvent[] = record.events): Promise<void> {
    const entry = this.businessEvent(next, record, ownEvents);
    if (approval.needsPosting) {
      await payables.postApprovedInvoice({ invoice: { ...approval.invoice, poNumber: next.poNumber, supplierId: next.supplierId }, record: entry });
    } else {
      await erp.recordBusinessEvent(entry);
    }
    this.commit(next);
  }

  /** An approved invoice that no recorded event has posted and scheduled yet. */
  private async postApproved(): Promise<void> {
    const approval = decide.pendingApproval(this.current, now())!;
    await this.postToAccountsPayable(fold(this.current, approval.events), decide.postedAndScheduled(approval), approval);
  }

  /** Pays a due invoice through AP and records the payment (journal AP → Bank/Discounts) in one activity. */
  private async pay(invoice: InvoiceState): Promise<void> {
    const po = this.current;
    const payment = invoice.payment!;
    // AP assigns the payment id inside the activity, which writes it into this record before recording.
    const placeholder = decide.paymentExecuted(invoice, PAYMENT_ID_FROM_AP, now());
    const { paymentId } = await payables.payInvoice({
      payment: {
        idempotencyKey: `${this.workflowId}/payment/${placeholder.documentKey}`,
        poNumber: po.poNumber,
        supplierId: po.supplierId,
        invoiceNumber: invoice.invoiceNumber,
        currency: invoice.currency,
        amount: payment.amount,
        discount: payment.discount,
        attempt: payment.attempt,
      },
      record: this.businessEvent(fold(po, placeholder.events), placeholder),
    });
    this.commit(fold(this.current, decide.paymentExecuted(invoice, paymentId, placeholder.events[0]!.at).events));
    this.notify([{ type: 'payment.status', data: { invoiceNumber: invoice.invoiceNumber, paymentId, status: 'executed', amount: payment.amount, discount: payment.discount } }]);
  }

  /** What the ERP records for an event: the PO after it, and a key that makes a retried activity a no-op. */
  private businessEvent(next: PoState, record: BusinessEvent, ownEvents: PoEvent[] = record.events): BusinessEventRecord {
    const poView = view(next);
    const last = ownEvents[ownEvents.length - 1];
    return {
      // The timeline length numbers events within the PO: a retried activity sends the same key.
      idempotencyKey: `${this.workflowId}/${record.type}/${record.documentKey}/${next.timeline.length}`,
      eventId: uuid4(),
      workflowId: this.workflowId,
      poNumber: next.poNumber,
      supplierId: next.supplierId,
      type: record.type,
      at: last?.at ?? now(),
      actor: last?.actor ?? SYSTEM,
      payload: { version: 1, poNumber: next.poNumber, status: poView.status, ...record.payload },
      po: poView,
      document: record.document,
      journal: record.journal ?? undefined,
      inventory: record.inventory,
    };
  }

  private commit(next: PoState): void {
    this.state = next;
    this.changed = true;
    this.refreshSearchAttributes();
  }

  private notify(notices: SupplierNotice[]): void {
    const po = this.current;
    for (const { type, data } of notices) {
      const notification: SupplierNotification = { id: uuid4(), supplierId: po.supplierId, poNumber: po.poNumber, type, at: now(), data };
      this.notifications.push(
        partners.notifySupplier(notification).catch((err: unknown) => log.warn('Supplier notification gave up', { poNumber: po.poNumber, type, error: String(err) })),
      );
    }
  }

  private refreshSearchAttributes(): void {
    const v = view(this.current);
    const key = `${v.status}|${v.hasOpenException}|${v.total}`;
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
      if (!(err instanceof ActivityFailure)) throw err;
      log.error('Due work failed; retrying later', { poNumber: this.current.poNumber, error: String(err.cause ?? err) });
      this.settleRetryAt = Date.now() + SETTLE_RETRY_MS;
    }
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
    for (const deadline of due) {
      if (deadline.record) await this.record({ record: deadline.record, notices: deadline.notices ?? [] });
    }
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
}
