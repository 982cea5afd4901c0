/**
 * How the workflow calls its activities: timeouts and retry policies per kind of partner, and the
 * one translation of refusals into the failures an Update reports (the API maps `kind` to 409/422/404).
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PurchaseOrderActivities } from './activity-contract';
import { DomainError } from '../domain/errors';

/** Refusals no retry can change: they fail the command that caused them. */
export const NON_RETRYABLE = ['DUPLICATE_INVOICE', 'UNKNOWN_SUPPLIER', 'UNBALANCED_JOURNAL', 'INVALID_COMMAND'];

/**
 * How soon an activity task whose worker died is noticed and retried: every remote activity
 * heartbeats while it runs (activities/heartbeats.ts), so a lost attempt is retried after this,
 * not after its start-to-close timeout. Local activities, which carry every ERP and AP write of
 * runs on the compact record, live and die with their workflow task (WORKFLOW_TASK_TIMEOUT_MS).
 * docs/adr/0066-recovery-from-a-dead-worker.md.
 */
const HEARTBEAT_TIMEOUT = '5 seconds';

/**
 * The ERP as an activity (runs started before the compact record): one transaction per business
 * event, retried until the database answers; a lost attempt is noticed after 5 s.
 */
export const erp = proxyActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '10 seconds',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Reading the supplier's terms is a quick read: a local activity keeps it out of the history's round trips. */
export const reads = proxyLocalActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Accounts payable: idempotent per invoice and payment attempt, so retried until AP answers; an
 * outage delays payment, it never loses or fails a PO. AP's own refusals are non-retryable.
 */
export const payables = proxyActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: [...NON_RETRYABLE, 'AP_REJECTED', 'PAYMENT_KEY_REUSED'] },
});

/**
 * The ERP as local activities (runs on the compact record): one short transaction per business
 * event, run inside the workflow task, so it leaves one marker in the history and, when its worker
 * dies, is run again by the next worker as soon as the task times out.
 */
export const ledger = proxyLocalActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Accounts payable as local activities (runs on the compact record): the same policy as `payables`. */
export const payablesLocal = proxyLocalActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: [...NON_RETRYABLE, 'AP_REJECTED', 'PAYMENT_KEY_REUSED'] },
});

/** Supplier notifications: retried for hours, then given up and logged; commands never wait for them. */
export const partners = proxyActivities<PurchaseOrderActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', maximumAttempts: 50 },
});

/** What an Update reports for a refusal: a domain rule, or a non-retryable refusal from an activity. */
export function toFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.nonRetryable(err.message, err.code, { kind: err.kind });
  }
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type && NON_RETRYABLE.includes(err.cause.type)) {
    const details = err.cause.details?.[0] ?? { kind: err.cause.type === 'DUPLICATE_INVOICE' ? 'conflict' : 'unprocessable' };
    return ApplicationFailure.nonRetryable(err.cause.message, err.cause.type, details);
  }
  return err;
}

/**
 * A command's body that the business checks cannot even read (a field missing or of another type:
 * sent around the API) is refused like a bad body, never left to fail the workflow task.
 */
export function asCommandInput<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof DomainError || err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.nonRetryable(`Invalid command: ${err instanceof Error ? err.message : String(err)}`, 'INVALID_COMMAND', { kind: 'unprocessable' });
  }
}

/**
 * Whether `err` is an activity's failure. A local activity reports its ApplicationFailure as it
 * is; a remote one wraps it in an ActivityFailure.
 */
export function isActivityFailure(err: unknown): err is ActivityFailure | ApplicationFailure {
  return err instanceof ActivityFailure || err instanceof ApplicationFailure;
}
