/**
 * How a PurchaseOrder's decisions reach the ERP. Two ways, chosen once per workflow run:
 *
 * - `CompactRecorder` (new runs): one local activity per business event carrying the PO's own
 *   events (the ERP folds them onto its snapshot with the same domain code) and the supplier
 *   notifications, written in the same transaction. Nothing of it lands in the history but a
 *   marker, so a PO's history stays small (docs/adr/0080-compact-history.md).
 * - `LegacyRecorder` (runs started before it): the activities and their inputs as the first
 *   version scheduled them, so those histories replay unchanged; notifications are separate
 *   activities sent after the commit.
 */
import { uuid4 } from '@temporalio/workflow';
import { SYSTEM } from '../domain/deadlines';
import { view } from '../domain/lifecycle/views';
import type { BusinessEvent, InvoiceState, PoEvent, PoState, SupplierNotice } from '../domain/state';
import type { BusinessEventBase, BusinessEventRecord, EventRecord, PaymentExecution, SupplierNotification } from './activity-contract';
import { erp, ledger, payables, payablesLocal } from './activities';

/** One business event about to be recorded: the PO after it, what it records, who is told. */
export interface Step {
  next: PoState;
  record: BusinessEvent;
  /** The events of the command or timer itself (the record may carry an invoice's posting too): their time and actor stamp the record. */
  ownEvents: PoEvent[];
  notices: SupplierNotice[];
}

/** An approved invoice to register with AP in the same activity, before its event is recorded. */
export type InvoiceForAp = InvoiceState & { poNumber: string; supplierId: string };

export interface Recorder {
  /** True when notices go out as their own activities after the commit (not in the record). */
  readonly notifiesSeparately: boolean;
  record(step: Step, postToAp?: InvoiceForAp): Promise<unknown>;
  /** Pays through AP and records the payment; answers AP's payment id. */
  pay(step: Step, payment: PaymentExecution): Promise<string>;
}

const now = () => new Date().toISOString();

/** What every form of the record carries; the key makes a retried activity a no-op. */
function base(step: Step, workflowId: string): BusinessEventBase {
  const { next, record, ownEvents } = step;
  const last = ownEvents[ownEvents.length - 1];
  return {
    // The timeline length numbers events within the PO: a retried activity sends the same key.
    idempotencyKey: `${workflowId}/${record.type}/${record.documentKey}/${next.timeline.length}`,
    eventId: uuid4(),
    workflowId,
    poNumber: next.poNumber,
    supplierId: next.supplierId,
    type: record.type,
    at: last?.at ?? now(),
    actor: last?.actor ?? SYSTEM,
    payload: { version: 1, poNumber: next.poNumber, status: view(next).status, ...record.payload },
    document: record.document,
    journal: record.journal ?? undefined,
    inventory: record.inventory,
  };
}

export function supplierNotifications(po: PoState, notices: SupplierNotice[]): SupplierNotification[] {
  return notices.map(({ type, data }) => ({ id: uuid4(), supplierId: po.supplierId, poNumber: po.poNumber, type, at: now(), data }));
}

export class CompactRecorder implements Recorder {
  readonly notifiesSeparately = false;

  constructor(private readonly workflowId: string) {}

  private eventRecord(step: Step): EventRecord {
    return { ...base(step, this.workflowId), events: step.record.events, sequence: step.next.timeline.length, notifications: supplierNotifications(step.next, step.notices) };
  }

  /** Not async: the activity's own promise is the answer, with no wrapper around it. */
  record(step: Step, postToAp?: InvoiceForAp): Promise<unknown> {
    const record = this.eventRecord(step);
    return postToAp ? payablesLocal.postInvoiceToAp({ invoice: postToAp, record }) : ledger.recordEvent(record);
  }

  async pay(step: Step, payment: PaymentExecution): Promise<string> {
    const { paymentId } = await payablesLocal.payInvoiceThroughAp({ payment, record: this.eventRecord(step) });
    return paymentId;
  }
}

export class LegacyRecorder implements Recorder {
  readonly notifiesSeparately = true;

  constructor(private readonly workflowId: string) {}

  private businessEventRecord(step: Step): BusinessEventRecord {
    return { ...base(step, this.workflowId), po: view(step.next) };
  }

  async record(step: Step, postToAp?: InvoiceForAp): Promise<void> {
    const record = this.businessEventRecord(step);
    if (postToAp) await payables.postApprovedInvoice({ invoice: postToAp, record });
    else await erp.recordBusinessEvent(record);
  }

  async pay(step: Step, payment: PaymentExecution): Promise<string> {
    const { paymentId } = await payables.payInvoice({ payment, record: this.businessEventRecord(step) });
    return paymentId;
  }
}
