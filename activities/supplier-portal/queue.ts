/**
 * Supplier notifications queued with the business event that caused them (in its transaction, so
 * neither is ever written without the other) and delivered afterwards by a relay in the worker,
 * through the same signed-webhook portal the notification activities used. Several workers may run
 * the relay: a pass leases the rows it takes, so no notification is sent by two relays at once.
 */
import type { Knex } from 'knex';
import { silentLog, WebhookRejectedError, type AdapterLog } from '../errors';
import type { SupplierNotification, SupplierPortalPort } from '../ports';
import { RelayLoop } from '../relay-loop';

/** The body a supplier's portal receives (and the row keeps). */
export function notificationBody(notification: SupplierNotification): string {
  return JSON.stringify({
    type: notification.type,
    timestamp: notification.at,
    data: { ...notification.data, poNumber: notification.poNumber, supplierId: notification.supplierId },
  });
}

/** Queues a notification inside the caller's transaction; the same id again changes nothing. */
export async function enqueueSupplierNotification(trx: Knex.Transaction, notification: SupplierNotification): Promise<void> {
  await trx('supplier_notifications')
    .insert({
      id: notification.id,
      supplier_id: notification.supplierId,
      po_number: notification.poNumber,
      type: notification.type,
      occurred_at: notification.at,
      payload: notificationBody(notification),
      delivered: false,
      attempts: 0,
      next_attempt_at: trx.fn.now(),
    })
    .onConflict('id')
    .ignore();
}

export interface NotificationRelayOptions {
  /** Rows taken per pass; default 20. */
  batchSize?: number;
  /** How long a pass holds the rows it took before another relay may take them; default 2 min. */
  leaseMs?: number;
  /** Attempts before a notification is given up (logged, kept with its last error); default 50. */
  maxAttempts?: number;
}

interface QueuedRow {
  id: string;
  supplier_id: string;
  po_number: string;
  type: SupplierNotification['type'];
  occurred_at: Date;
  payload: { data?: Record<string, unknown> };
  attempts: number;
}

/** 5 s, doubling, at most 30 minutes between attempts: the retry policy the notification activities had. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(attempts - 1, 0), 30 * 60_000);
}

export class SupplierNotificationRelay {
  private readonly loop: RelayLoop;

  constructor(
    private readonly knex: Knex,
    private readonly portal: SupplierPortalPort,
    private readonly options: NotificationRelayOptions = {},
    private readonly log: AdapterLog = silentLog,
  ) {
    this.loop = new RelayLoop('Supplier notification relay', () => this.relayPending(), this.batchSize, log);
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 20;
  }

  /** Delivers the notifications that are due; answers how many it took. */
  async relayPending(): Promise<number> {
    const leaseMs = this.options.leaseMs ?? 120_000;
    const taken = (await this.knex.raw<{ rows: QueuedRow[] }>(
      `update supplier_notifications set next_attempt_at = now() + ? * interval '1 millisecond'
        where id in (select id from supplier_notifications
                      where next_attempt_at <= now()
                      order by next_attempt_at, created_at
                      limit ? for update skip locked)
        returning id, supplier_id, po_number, type, occurred_at, payload, attempts`,
      [leaseMs, this.batchSize],
    )).rows;
    for (const row of taken) await this.deliver(row);
    return taken.length;
  }

  private async deliver(row: QueuedRow): Promise<void> {
    const { poNumber: _poNumber, supplierId: _supplierId, ...data } = row.payload.data ?? {};
    const notification: SupplierNotification = {
      id: row.id,
      supplierId: row.supplier_id,
      poNumber: row.po_number,
      type: row.type,
      at: row.occurred_at.toISOString(),
      data,
    };
    let retryAt: Date | null = null;
    try {
      await this.portal.notify(notification);
    } catch (error) {
      const attempts = row.attempts + 1;
      if (error instanceof WebhookRejectedError || attempts >= (this.options.maxAttempts ?? 50)) {
        this.log.warn('Supplier notification given up', { poNumber: row.po_number, notificationId: row.id, attempts, error: (error as Error).message });
      } else {
        retryAt = new Date(Date.now() + retryDelayMs(attempts));
      }
    }
    await this.knex('supplier_notifications').where({ id: row.id }).update({ next_attempt_at: retryAt });
  }

  start(intervalMs: number): void {
    this.loop.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
