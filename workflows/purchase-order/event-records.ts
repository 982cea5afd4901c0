/**
 * What the ERP is sent for one business event, built from the step the PO takes. Pure: the ids and
 * the time come in a `RecordStamp`, which the workflow draws (uuid4, workflow time) and the issue's
 * activity is handed, so both build the same record from the same step (./recorders.ts,
 * `issuePurchaseOrder` in activities/index.ts).
 */
import * as decide from '../domain/business-events';
import { SYSTEM } from '../domain/system-actor';
import { initialState } from '../domain/lifecycle/apply';
import { view } from '../domain/lifecycle/views';
import type { BusinessEvent, PoEvent, PoEventOf, PoPolicy, PoState, SupplierNotice } from '../domain/state';
import type { BusinessEventBase, EventRecord, NewPurchaseOrder, RecordStamp, SupplierNotification } from './activity-contract';

export type { RecordStamp };

/** One business event about to be recorded: the PO after it, what it records, who is told. */
export interface Step {
  next: PoState;
  record: BusinessEvent;
  /** The events of the command or timer itself (the record may carry an invoice's posting too): their time and actor stamp the record. */
  ownEvents: PoEvent[];
  notices: SupplierNotice[];
}

/** What every form of the record carries; the key makes a retried activity a no-op. */
export function businessEventBase(step: Step, workflowId: string, { eventId, at }: Pick<RecordStamp, 'eventId' | 'at'>): BusinessEventBase {
  const { next, record, ownEvents } = step;
  const last = ownEvents[ownEvents.length - 1];
  return {
    // The timeline length numbers events within the PO: a retried activity sends the same key.
    idempotencyKey: `${workflowId}/${record.type}/${record.documentKey}/${next.timeline.length}`,
    eventId,
    workflowId,
    poNumber: next.poNumber,
    supplierId: next.supplierId,
    type: record.type,
    at: last?.at ?? at,
    actor: last?.actor ?? SYSTEM,
    payload: { version: 1, poNumber: next.poNumber, status: view(next).status, ...record.payload },
    document: record.document,
    journal: record.journal ?? undefined,
    inventory: record.inventory,
  };
}

/** The supplier notices of a step as notifications, each with its id from the stamp. */
export function supplierNotificationsOf(po: PoState, notices: SupplierNotice[], { notificationIds, at }: Pick<RecordStamp, 'notificationIds' | 'at'>): SupplierNotification[] {
  if (notices.length > notificationIds.length) throw new Error(`${notices.length} supplier notices but ${notificationIds.length} notification ids`);
  return notices.map(({ type, data }, i) => ({ id: notificationIds[i]!, supplierId: po.supplierId, poNumber: po.poNumber, type, at, data }));
}

/** The compact record of a step: the PO's own events, its position and the supplier notifications. */
export function eventRecordOf(step: Step, workflowId: string, stamp: RecordStamp): EventRecord {
  return {
    ...businessEventBase(step, workflowId, stamp),
    events: step.record.events,
    sequence: step.next.timeline.length,
    notifications: supplierNotificationsOf(step.next, step.notices, stamp),
  };
}

/** The issue of a PO under `policy`: its first state, its record and the supplier's notice (none while it awaits approval). */
export function issueStep({ po, requestHash, actor, issuedAt }: NewPurchaseOrder, policy: PoPolicy): Step {
  const event: PoEventOf<'po.issued'> = { type: 'po.issued', at: issuedAt, actor, po, requestHash, policy };
  const first = initialState(event);
  const outcome = decide.issued(event, view(first).total);
  return { next: first, record: outcome.record!, ownEvents: outcome.record!.events, notices: outcome.notices };
}
