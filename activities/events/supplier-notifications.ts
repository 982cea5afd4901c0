/**
 * Supplier notifications as deliveries (docs/events.md, "Supplier notifications"): the ERP writes
 * one with `enqueueSupplierNotification` inside the business event's transaction, and the relay
 * sends it to the supplier's webhook with the body and headers WebhookSupplierPortal always used.
 *
 * - One supplier at a time, in the order they were written: a supplier's next notification waits
 *   until the one before it is delivered, recorded or dead. Other suppliers go on.
 * - A supplier without a webhook URL when the notification is written: recorded only, at once
 *   (state 'recorded'); the relay never claims it. One whose webhook was removed while its
 *   notifications waited: recorded only when each is due.
 * - 4xx other than 408/429 is a refusal: a dead letter at once. Anything else is retried on the
 *   relay's schedule, then a dead letter.
 * - Every attempt updates the row in `supplier_notifications` (state, delivered, status_code,
 *   attempts, last_error, webhook_url, delivered_at), so the table reads as it always did.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { SupplierNotification } from '../ports';
import { silentLog, type AdapterLog } from '../errors';
import { isPermanentRejection, supplierNotificationBody, supplierNotificationRow } from '../supplier-portal/webhook';
import { delayBeforeAttempt } from './retry-schedule';
import { attemptDelivery, type AttemptOutcome } from './webhook-delivery';

/**
 * Queues a supplier notification in the caller's transaction: it is sent once the transaction
 * commits, and never if it rolls back. Writing the same notification id twice changes nothing.
 */
export async function enqueueSupplierNotification(trx: Knex | Knex.Transaction, notification: SupplierNotification): Promise<void> {
  await supplierNotificationsInsert(trx, [notification]);
}

/**
 * The INSERT of `enqueueSupplierNotification` for several notifications, in their order (one
 * statement, so their sequence follows the list), not yet sent (or recorded only, for a supplier
 * without a webhook): to go with the transaction's other writes.
 */
export function supplierNotificationsInsert(trx: Knex | Knex.Transaction, notifications: readonly SupplierNotification[]): Knex.QueryBuilder {
  return trx('supplier_notifications')
    .insert(
      notifications.map((notification) => {
        const body = supplierNotificationBody(notification);
        // Decided in the statement: a supplier with no webhook costs the relay nothing.
        const state = trx.raw(
          `case when exists (select 1 from suppliers s where s.supplier_id = ? and s.webhook_url is not null) then 'pending' else 'recorded' end`,
          [notification.supplierId],
        );
        return { ...supplierNotificationRow(notification, body), body, state, next_attempt_at: trx.fn.now() };
      }),
    )
    .onConflict('id')
    .ignore();
}

export interface SupplierDeliveryOptions {
  owner: string;
  schedule: readonly number[];
  timeoutMs: number;
  leaseMs: number;
  /** Suppliers served side by side. */
  concurrency: number;
  log?: AdapterLog;
  random?: () => number;
}

interface QueuedNotification {
  id: string;
  supplier_id: string;
  po_number: string;
  type: string;
  occurred_at: Date;
  body: string | null;
  payload: unknown;
  retry_step: number;
  attempts: number;
  /** The supplier's webhook as the claim read it (in the same statement); absent: read it on delivery. */
  webhook?: { webhook_url: string | null; webhook_secret: string | null } | null;
}

/**
 * Claims the next notification of each supplier that has one due (except `busy` suppliers) and
 * leases it; a supplier's later notifications are not "next" until this one is settled.
 */
export async function claimDueNotifications(knex: Knex, options: SupplierDeliveryOptions, busy: readonly string[]): Promise<QueuedNotification[]> {
  const { rows } = await knex.raw<{ rows: QueuedNotification[] }>(
    `update supplier_notifications set lease_owner = ?, lease_expires_at = now() + (? * interval '1 millisecond')
      where id in (
        select n.id from supplier_notifications n
         where n.state = 'pending' and n.next_attempt_at <= now()
           and (n.lease_expires_at is null or n.lease_expires_at < now())
           and not (n.supplier_id = any(?))
           and not exists (select 1 from supplier_notifications earlier
                            where earlier.supplier_id = n.supplier_id and earlier.state = 'pending' and earlier.sequence < n.sequence)
         order by n.sequence limit ? for update skip locked)
      returning id, supplier_id, po_number, type, occurred_at, body, payload, retry_step, attempts,
                (select jsonb_build_object('webhook_url', s.webhook_url, 'webhook_secret', s.webhook_secret)
                   from suppliers s where s.supplier_id = supplier_notifications.supplier_id) as webhook`,
    [options.owner, options.leaseMs, busy as string[], options.concurrency],
  );
  return rows;
}

/** Sends one claimed notification and records the outcome (fenced by its lease). */
export async function deliverNotification(knex: Knex, notification: QueuedNotification, options: SupplierDeliveryOptions): Promise<void> {
  const log = options.log ?? silentLog;
  const supplier =
    notification.webhook !== undefined
      ? (notification.webhook ?? undefined)
      : await knex('suppliers')
          .where({ supplier_id: notification.supplier_id })
          .first<{ webhook_url: string | null; webhook_secret: string | null } | undefined>('webhook_url', 'webhook_secret');
  const fence = knex('supplier_notifications').where({ id: notification.id, lease_owner: options.owner });
  const settled = { lease_owner: null, lease_expires_at: null, updated_at: knex.fn.now() };
  const webhookUrl = supplier?.webhook_url ?? null;
  if (webhookUrl === null) {
    await fence.update({ ...settled, state: 'recorded', webhook_url: null });
    log.info('Supplier has no webhook configured; notification recorded only', { poNumber: notification.po_number, supplierId: notification.supplier_id, notificationType: notification.type });
    return;
  }

  const outcome = await attemptDelivery({
    url: webhookUrl,
    id: notification.id,
    body: notification.body ?? JSON.stringify(notification.payload),
    secret: supplier?.webhook_secret ?? null,
    timeoutMs: options.timeoutMs,
  });
  const attempt = {
    ...settled,
    webhook_url: webhookUrl,
    status_code: outcome.status,
    attempts: notification.attempts + 1,
    last_error: outcome.error,
    delivered: outcome.delivered,
  };
  if (outcome.delivered) {
    await fence.update({ ...attempt, state: 'delivered', delivered_at: knex.fn.now() });
    return;
  }
  const step = notification.retry_step + 1;
  const refused = outcome.status !== null && isPermanentRejection(outcome.status);
  const delay = refused ? undefined : delayBeforeAttempt(options.schedule, step + 1, options.random);
  if (delay !== undefined) {
    await fence.update({ ...attempt, retry_step: step, next_attempt_at: new Date(Date.now() + delay) });
    return;
  }
  await knex.transaction(async (trx) => {
    const updated = await trx('supplier_notifications').where({ id: notification.id, lease_owner: options.owner }).update({ ...attempt, retry_step: step, state: 'dead' });
    if (updated === 1) await trx('dead_letters').insert(supplierDeadLetter(notification, webhookUrl, step, outcome));
  });
  log.warn(refused ? 'Supplier refused the notification: dead letter' : 'Supplier notification gave up: dead letter', {
    poNumber: notification.po_number,
    supplierId: notification.supplier_id,
    notificationType: notification.type,
    attempts: step,
    error: outcome.error,
  });
}

function supplierDeadLetter(notification: QueuedNotification, url: string, attempts: number, outcome: AttemptOutcome): Record<string, unknown> {
  return {
    id: randomUUID(),
    supplier_id: notification.supplier_id,
    message_id: notification.id,
    event_type: notification.type,
    po_number: notification.po_number,
    occurred_at: notification.occurred_at,
    url,
    attempts,
    last_status: outcome.status,
    last_error: outcome.error,
  };
}
