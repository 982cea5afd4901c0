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
import { view } from '../domain/lifecycle/views';
import type { InvoiceState, PoState, SupplierNotice } from '../domain/state';
import type { BusinessEventRecord, EventRecord, NewPurchaseOrder, PaymentExecution, SupplierNotification } from './activity-contract';
import { erp, ledger, payables, payablesLocal } from './activities';
import { businessEventBase, eventRecordOf, issueStep, supplierNotificationsOf, type RecordStamp, type Step } from './event-records';

export type { Step };

/** An approved invoice to register with AP in the same activity, before its event is recorded. */
export type InvoiceForAp = InvoiceState & { poNumber: string; supplierId: string };

export interface Recorder {
  /** True when notices go out as their own activities after the commit (not in the record). */
  readonly notifiesSeparately: boolean;
  record(step: Step, postToAp?: InvoiceForAp): Promise<unknown>;
  /** Pays through AP and records the payment; answers AP's payment id. */
  pay(step: Step, payment: PaymentExecution): Promise<string>;
  /**
   * Resolves the supplier's policy and records the issue in one activity; answers the step the
   * issue took. Absent: the policy is read first, then the issue recorded like any step.
   */
  recordIssue?(issue: NewPurchaseOrder): Promise<Step>;
}

const now = () => new Date().toISOString();

/** The workflow's ids and time for a record with `noticeCount` supplier notices (uuid4 from the workflow's seeded PRNG: the event's id first, then one per notice). */
function stamp(noticeCount: number): RecordStamp {
  const eventId = uuid4();
  return { eventId, notificationIds: Array.from({ length: noticeCount }, () => uuid4()), at: now() };
}

/** Notices as notifications with ids and time drawn by the workflow (the legacy recorder sends them as activities). */
export function supplierNotifications(po: PoState, notices: SupplierNotice[]): SupplierNotification[] {
  return supplierNotificationsOf(po, notices, { notificationIds: notices.map(() => uuid4()), at: now() });
}

export class CompactRecorder implements Recorder {
  readonly notifiesSeparately = false;

  constructor(private readonly workflowId: string) {}

  private eventRecord(step: Step): EventRecord {
    return eventRecordOf(step, this.workflowId, stamp(step.notices.length));
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

  /** The issue's one notice at most (none while the PO awaits approval) gets an id either way. */
  async recordIssue(issue: NewPurchaseOrder): Promise<Step> {
    const { policy } = await ledger.issuePurchaseOrder({ issue, workflowId: this.workflowId, stamp: stamp(1) });
    return issueStep(issue, policy);
  }
}

export class LegacyRecorder implements Recorder {
  readonly notifiesSeparately = true;

  constructor(private readonly workflowId: string) {}

  private businessEventRecord(step: Step): BusinessEventRecord {
    return { ...businessEventBase(step, this.workflowId, { eventId: uuid4(), at: now() }), po: view(step.next) };
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
