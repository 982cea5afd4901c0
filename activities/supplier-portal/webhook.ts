/**
 * Supplier portal notifications as signed webhooks (docs/architecture.md, "Supplier portal"), in the Standard Webhooks style
 * (https://www.standardwebhooks.com): headers `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. Receivers deduplicate on
 * `webhook-id`, which is the notification id and stays the same on every retry.
 *
 * Every notification is recorded in `supplier_notifications`, delivered or not, so operators can
 * see what a supplier was told and when. Delivery errors are thrown for Temporal to retry; a
 * receiver refusing the request outright (4xx other than 408/429) is not retried.
 */
import type { Knex } from 'knex';
import { Webhook } from 'standardwebhooks';
import type { ErpPort, SupplierNotification, SupplierPortalPort } from '../ports';
import { silentLog, WebhookRejectedError, type AdapterLog } from '../errors';
import { supplierView } from '../../workflows/domain/supplier-view';

/**
 * Standard Webhooks secrets look like `whsec_<base64 key>`; such a secret is used as the decoded
 * key so off-the-shelf verifiers work. Any other secret is used as its UTF-8 bytes (decoded here,
 * not by the library, which would read it as base64, or as one byte per UTF-16 code unit).
 */
function webhook(secret: string): Webhook {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
  return new Webhook(key, { format: 'raw' });
}

/** The `webhook-signature` header value for one delivery: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signWebhook(secret: string, id: string, timestamp: number | string, body: string): string {
  return webhook(secret).sign(id, new Date(Number(timestamp) * 1000), body);
}

/**
 * For receivers and tests: true when one of the (space-separated) signatures in the header is a
 * valid v1 signature of this delivery and the timestamp is within five minutes of now (replay
 * protection).
 */
export function verifyWebhook(secret: string, id: string, timestamp: number | string, body: string, signatureHeader: string): boolean {
  try {
    webhook(secret).verify(
      body,
      { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader },
      { jsonParse: false },
    );
    return true;
  } catch {
    return false;
  }
}

export interface SignedDelivery {
  url: string;
  /** Stable across retries: the receiver's deduplication key. */
  id: string;
  body: string;
  /** Without a secret the request is sent unsigned. */
  secret?: string | null;
  /** More secrets, one signature each in the header (two while a secret is being rotated). */
  secrets?: readonly string[];
  timeoutMs: number;
}

/**
 * POSTs one signed JSON delivery and answers the HTTP status. Network errors and timeouts are
 * thrown as they are. Redirects are not followed: a signed payload goes only where configured.
 */
export async function postSignedJson(delivery: SignedDelivery): Promise<{ status: number; responseText: string }> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'p2p-orchestrator',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
  };
  const secrets = [...(delivery.secret ? [delivery.secret] : []), ...(delivery.secrets ?? [])];
  if (secrets.length > 0) headers['webhook-signature'] = secrets.map((secret) => signWebhook(secret, delivery.id, timestamp, delivery.body)).join(' ');
  const response = await fetch(delivery.url, {
    method: 'POST',
    headers,
    body: delivery.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(delivery.timeoutMs),
  });
  // Only a little of the answer is kept, for the error message; a receiver may answer with a whole page.
  const responseText = (await response.text().catch(() => '')).slice(0, 500);
  return { status: response.status, responseText };
}

/** 408 and 429 ask the sender to come back later; other 4xx (and 3xx) will not change on retry. */
export function isPermanentRejection(status: number): boolean {
  return status >= 300 && status < 500 && status !== 408 && status !== 429;
}

/**
 * The body a supplier's webhook receives: `{"type", "timestamp", "data": {..., "poNumber", "supplierId"}}`,
 * as a supplier may see it (no buyer tolerances in an invoice exception's match, no buyer-side
 * people: workflows/domain/supplier-view.ts).
 */
export function supplierNotificationBody(notification: SupplierNotification): string {
  return JSON.stringify({
    type: notification.type,
    timestamp: notification.at,
    data: supplierView({ ...notification.data, poNumber: notification.poNumber, supplierId: notification.supplierId }),
  });
}

/** The columns of `supplier_notifications` that describe the notification itself. */
export function supplierNotificationRow(notification: SupplierNotification, body: string): Record<string, unknown> {
  return {
    id: notification.id,
    supplier_id: notification.supplierId,
    po_number: notification.poNumber,
    type: notification.type,
    occurred_at: notification.at,
    payload: body,
  };
}

export interface WebhookSupplierPortalOptions {
  timeoutMs: number;
}

export class WebhookSupplierPortal implements SupplierPortalPort {
  constructor(
    private readonly knex: Knex,
    private readonly erp: Pick<ErpPort, 'getSupplier'>,
    private readonly options: WebhookSupplierPortalOptions,
    private readonly log: AdapterLog = silentLog,
  ) {}

  async notify(notification: SupplierNotification): Promise<{ delivered: boolean; status?: number }> {
    const alreadyDelivered = await this.knex('supplier_notifications')
      .where({ id: notification.id, delivered: true })
      .first<{ status_code: number | null } | undefined>('status_code');
    if (alreadyDelivered) {
      // A retry after the first delivery succeeded but the activity did not complete.
      return { delivered: true, ...(alreadyDelivered.status_code === null ? {} : { status: alreadyDelivered.status_code }) };
    }

    const supplier = await this.erp.getSupplier(notification.supplierId);
    const webhookUrl = supplier?.webhookUrl ?? null;
    const body = supplierNotificationBody(notification);

    if (webhookUrl === null) {
      await this.recordAttempt(notification, body, null, { delivered: false, statusCode: null, error: null, attempted: false });
      this.log.info('Supplier has no webhook configured; notification recorded only', {
        poNumber: notification.poNumber,
        supplierId: notification.supplierId,
        notificationType: notification.type,
      });
      return { delivered: false };
    }

    let status: number;
    let responseText: string;
    try {
      ({ status, responseText } = await postSignedJson({
        url: webhookUrl,
        id: notification.id,
        body,
        secret: supplier?.webhookSecret ?? null,
        timeoutMs: this.options.timeoutMs,
      }));
    } catch (error) {
      const message = `Webhook to ${webhookUrl} failed: ${(error as Error).message}`;
      await this.recordAttempt(notification, body, webhookUrl, { delivered: false, statusCode: null, error: message, attempted: true });
      throw new Error(message);
    }

    if (status >= 200 && status < 300) {
      await this.recordAttempt(notification, body, webhookUrl, { delivered: true, statusCode: status, error: null, attempted: true });
      return { delivered: true, status };
    }

    const message = `Webhook to ${webhookUrl} answered ${status}${responseText ? `: ${responseText}` : ''}`;
    await this.recordAttempt(notification, body, webhookUrl, { delivered: false, statusCode: status, error: message, attempted: true });
    if (isPermanentRejection(status)) {
      throw new WebhookRejectedError(message, status, notification.supplierId);
    }
    throw new Error(message);
  }

  private async recordAttempt(
    notification: SupplierNotification,
    body: string,
    webhookUrl: string | null,
    outcome: { delivered: boolean; statusCode: number | null; error: string | null; attempted: boolean },
  ): Promise<void> {
    const attempts = outcome.attempted ? 1 : 0;
    // 'direct': Temporal retries this activity; the delivery queue (activities/events/) never picks it up.
    const state = outcome.delivered ? 'delivered' : webhookUrl === null ? 'recorded' : 'direct';
    await this.knex('supplier_notifications')
      .insert({
        ...supplierNotificationRow(notification, body),
        webhook_url: webhookUrl,
        state,
        delivered: outcome.delivered,
        status_code: outcome.statusCode,
        attempts,
        last_error: outcome.error,
        delivered_at: outcome.delivered ? this.knex.fn.now() : null,
      })
      .onConflict('id')
      .merge({
        webhook_url: webhookUrl,
        state,
        delivered: outcome.delivered,
        status_code: outcome.statusCode,
        attempts: this.knex.raw('supplier_notifications.attempts + ?', [attempts]),
        last_error: outcome.error,
        delivered_at: outcome.delivered ? this.knex.fn.now() : null,
        updated_at: this.knex.fn.now(),
      });
  }
}
