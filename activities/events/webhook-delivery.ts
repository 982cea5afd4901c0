/**
 * One signed POST of an event to a subscriber, and what its answer means (docs/events.md,
 * "Webhook deliveries"). The body and headers are those every subscriber has always received.
 */
import { postSignedJson, type SignedDelivery } from '../supplier-portal/webhook';
import type { OutboxEvent } from './outbox-reader';

export interface AttemptOutcome {
  delivered: boolean;
  /** The HTTP status, or null when no answer came (network error, timeout). */
  status: number | null;
  error: string | null;
}

/** `{"id", "type", "timestamp", "poNumber", "data"}`: the webhook body and the NATS message alike. */
export function eventBody(event: Pick<OutboxEvent, 'id' | 'type' | 'occurredAt' | 'poNumber' | 'payload'>): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: event.occurredAt.toISOString(), poNumber: event.poNumber, data: event.payload });
}

/** Any 2xx is accepted; anything else, or no answer in time, is a failed attempt. */
export async function attemptDelivery(delivery: SignedDelivery): Promise<AttemptOutcome> {
  try {
    const { status, responseText } = await postSignedJson(delivery);
    if (status >= 200 && status < 300) return { delivered: true, status, error: null };
    return { delivered: false, status, error: `${delivery.url} answered ${status}${responseText ? `: ${responseText}` : ''}`.slice(0, 1000) };
  } catch (error) {
    return { delivered: false, status: null, error: `${delivery.url} failed: ${(error as Error).message}`.slice(0, 1000) };
  }
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
