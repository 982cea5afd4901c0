/**
 * A miniature of purchaseOrderWorkflow for property tests of the finance controls: every command
 * goes through the same validate and decide functions as the COMMANDS table, outcomes are folded
 * in order, journals, inventory movements and supplier notices are kept, and `settle` does what
 * the workflow's settle does (post, pay what `firstDue` says, fire due timers, close).
 */
import * as decide from '../../workflows/domain/business-events';
import type { Outcome } from '../../workflows/domain/business-events';
import { approvalDecided, changeOrdered, validateApprovalDecision } from '../../workflows/domain/approvals';
import { deadlines } from '../../workflows/domain/deadlines';
import { firstDue, invoiceHeld, invoiceReleased, supplierHoldPlaced, supplierHoldRemoved, validateInvoiceHold, validateInvoiceRelease } from '../../workflows/domain/holds';
import { apply, initialState } from '../../workflows/domain/lifecycle/apply';
import { heldInvoices, isReadyToClose, view } from '../../workflows/domain/lifecycle/views';
import { validateAcknowledgement, validateChangeDecision, validateChangeOrder, validateInvoice, validatePaymentStatus, validateReceipt, validateResolution } from '../../workflows/domain/lifecycle/validate';
import { sameMatch, threeWayMatch } from '../../workflows/domain/matching';
import { creditMemoArrived, goodsReturned, validateCreditMemoOrSettlement, validateReturn } from '../../workflows/domain/returns';
import { CreatePurchaseOrder, Invoice } from '../../workflows/domain/schemas';
import type * as wire from '../../workflows/domain/schemas';
import type { Actor, ApprovalTier, InventoryMovement, JournalEntry, PoEvent, PoEventOf, PoState, SupplierNotice } from '../../workflows/domain/state';
import { resolveTolerances } from '../../workflows/domain/policy';
import { buyer, finance, supplier, warehouse } from './fixtures';

export const START = Date.UTC(2026, 10, 2, 9, 0, 0);

export interface SimOptions {
  lines: { lineNo: number; quantity: string; unitPrice: string }[];
  approvalTiers?: ApprovalTier[];
  paymentTerms?: wire.PaymentTerms;
}

export class Sim {
  state: PoState;
  now = START;
  journals: JournalEntry[] = [];
  movements: InventoryMovement[] = [];
  /** Every supplier notice with the state it was sent from. */
  notices: { notice: SupplierNotice; state: PoState }[] = [];
  /** Every folded event with the state it was folded into. */
  events: { event: PoEvent; before: PoState }[] = [];
  private counter = 0;

  constructor(options: SimOptions) {
    const at = this.iso();
    const event: PoEventOf<'po.issued'> = {
      type: 'po.issued',
      at,
      actor: buyer,
      requestHash: 'hash',
      po: CreatePurchaseOrder.parse({ poNumber: 'PO-SIM', supplierId: 'ACME', currency: 'USD', lines: options.lines.map((l) => ({ sku: `SKU-${l.lineNo}`, ...l })) }),
      policy: {
        paymentTerms: options.paymentTerms ?? { netDays: 30, discountPercent: '2', discountDays: 10 },
        tolerances: resolveTolerances({}),
        slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '1000d', exceptionSla: '72h' },
        captureDiscounts: true,
        ...(options.approvalTiers ? { approvalTiers: options.approvalTiers } : {}),
      },
    };
    this.state = initialState(event);
    this.events.push({ event, before: this.state });
    for (const notice of decide.issued(event, view(this.state).total).notices) this.notices.push({ notice, state: this.state });
  }

  iso(): string {
    return new Date(this.now).toISOString();
  }

  next(prefix: string): string {
    return `${prefix}-${++this.counter}`;
  }

  /** Time passes: the workflow wakes for every deadline on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (let guard = 0; guard < 100; guard++) {
      const upcoming = deadlines(this.state, this.now).map((d) => d.at).filter((at) => at > this.now && at <= target);
      if (upcoming.length === 0) break;
      this.now = Math.min(...upcoming);
      this.settle();
    }
    this.now = target;
    this.settle();
  }

  record(outcome: Outcome): void {
    if (!outcome.record) return;
    if (outcome.record.journal) this.journals.push(outcome.record.journal);
    this.movements.push(...(outcome.record.inventory ?? []));
    for (const event of outcome.record.events) {
      this.events.push({ event, before: this.state });
      this.state = apply(this.state, event);
    }
    for (const notice of outcome.notices) this.notices.push({ notice, state: this.state });
  }

  private command<T>(actor: Actor, body: T, extra: Record<string, unknown> = {}) {
    return { actor, body, bodyHash: JSON.stringify(body), ...extra } as never;
  }

  acknowledge(ack: wire.Acknowledgement = { type: 'accept' }): void {
    validateAcknowledgement(this.state, ack);
    this.record(decide.acknowledged(this.state, this.command(supplier, ack), this.iso()));
  }

  /** The buyer's decision on the supplier's proposed changes. */
  decideChanges(decision: 'approve' | 'reject'): void {
    const body: wire.ChangeDecision = { decision, reason: 'checked' };
    validateChangeDecision(this.state, body);
    this.record(decide.changesDecided(this.state, this.command(buyer, body), this.iso()));
    this.rematch();
  }

  approve(approverId: string, decision: 'approve' | 'reject'): void {
    const actor: Actor = { role: 'approver', id: approverId };
    const body = { decision, reason: 'checked' };
    validateApprovalDecision(this.state, actor, body);
    this.record(approvalDecided(this.state, this.command(actor, body), this.iso()));
    this.rematch();
  }

  changeOrder(changeOrder: wire.ChangeOrder): void {
    validateChangeOrder(this.state, changeOrder);
    this.record(changeOrdered(this.state, this.command(buyer, changeOrder), this.iso()));
    this.rematch();
  }

  receive(lines: wire.GoodsReceipt['lines']): void {
    const receipt: wire.GoodsReceipt = { receiptNumber: this.next('GR'), location: 'MAIN', lines };
    validateReceipt(this.state, receipt);
    this.record(decide.goodsReceived(this.state, this.command(warehouse, receipt), this.iso()));
    this.rematch();
  }

  returnGoods(lines: wire.ReturnLine[], replacement: boolean): void {
    const goodsReturn: wire.ReturnToVendor = { rmaNumber: this.next('RMA'), reason: 'damaged', location: 'MAIN', replacement, lines };
    validateReturn(this.state, goodsReturn);
    this.record(goodsReturned(this.state, this.command(warehouse, goodsReturn), this.iso()));
    this.rematch();
  }

  invoice(lines: [number, string, string][]): string {
    const total = lines.reduce((t, [, q, p]) => t + Math.round(Number(q) * Number(p) * 100), 0);
    const body = Invoice.parse({ invoiceNumber: this.next('INV'), invoiceDate: this.iso().slice(0, 10), currency: 'USD', lines: lines.map(([lineNo, quantity, unitPrice]) => ({ lineNo, quantity, unitPrice })), total: (total / 100).toFixed(2) });
    validateInvoice(this.state, body);
    this.record(decide.invoiceReceived(this.state, this.command(supplier, body), this.iso()));
    this.settle();
    return body.invoiceNumber;
  }

  creditMemo(memo: wire.CreditMemo): void {
    validateCreditMemoOrSettlement(this.state, memo);
    this.record(creditMemoArrived(this.state, this.command(supplier, memo), this.iso()));
    this.rematch();
  }

  resolve(invoiceNumber: string, action: 'approve' | 'reject'): void {
    validateResolution(this.state, invoiceNumber);
    this.record(decide.invoiceResolved(this.state, this.command(finance, { action, reason: 'checked' }, { invoiceNumber }), this.iso()));
    this.rematch();
  }

  holdInvoice(invoiceNumber: string, releaseOn?: string): void {
    const body = { reason: 'query', ...(releaseOn ? { releaseOn } : {}) };
    validateInvoiceHold(this.state, invoiceNumber, body);
    this.record(invoiceHeld(this.state, this.command(finance, body, { invoiceNumber }), this.iso()));
    this.settle();
  }

  releaseInvoice(invoiceNumber: string): void {
    validateInvoiceRelease(this.state, invoiceNumber);
    this.record(invoiceReleased(this.state, this.command(finance, {}, { invoiceNumber }), this.iso()));
    this.settle();
  }

  holdSupplier(holdId: string, releaseOn?: string): void {
    this.record(supplierHoldPlaced(this.state, this.command(finance, { holdId, reason: 'bank check', placedAt: this.iso(), ...(releaseOn ? { releaseOn } : {}) }), this.iso()));
    this.settle();
  }

  releaseSupplier(holdId: string): void {
    this.record(supplierHoldRemoved(this.state, this.command(finance, { holdId }), this.iso()));
    this.settle();
  }

  clear(invoiceNumber: string): void {
    validatePaymentStatus(this.state, invoiceNumber, { status: 'cleared' });
    this.record(decide.paymentStatusReported(this.state, this.command(finance, { status: 'cleared' }, { invoiceNumber }), this.iso()));
    this.settle();
  }

  rematch(): void {
    for (const invoiceNumber of heldInvoices(this.state)) {
      const invoice = this.state.invoices.find((i) => i.invoiceNumber === invoiceNumber)!;
      const match = threeWayMatch({ state: this.state, invoice, invoiceNumber, at: this.iso() });
      if (!sameMatch(match, invoice.match)) this.record(decide.invoiceRematched(this.state, invoice, match, finance));
    }
    this.settle();
  }

  /** As PurchaseOrder.settle: post and schedule, pay what is due, fire due timers, close. */
  settle(): void {
    for (let guard = 0; guard < 200; guard++) {
      if (this.state.cancelled || this.state.closedAt) return;
      const due = firstDue(this.state, this.now);
      if (due?.status === 'approved') {
        const approval = decide.pendingApproval(this.state, this.iso())!;
        this.record({ record: decide.postedAndScheduled(approval), notices: [] });
      } else if (due) {
        this.record({ record: decide.paymentExecuted(due, this.next('PAY'), this.iso()), notices: [] });
      } else {
        // One deadline at a time, each decided from the state the previous one left (as the workflow).
        const due = deadlines(this.state, this.now).filter((d) => d.at <= this.now);
        if (due.length === 0) break;
        const fired = due.find((d) => d.record);
        if (!fired) break;
        this.record({ record: fired.record!, notices: fired.notices ?? [] });
      }
    }
    if (isReadyToClose(this.state)) this.record({ record: decide.closed(this.state, this.iso()), notices: [] });
  }
}
