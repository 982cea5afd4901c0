/**
 * Subscriptions as rows of `event_subscriptions`, as the relay reads them.
 */
import type { Knex } from 'knex';

export interface SubscriptionRow {
  id: string;
  url: string;
  event_types: string[];
  description: string | null;
  /** Null only for a subscription seeded from EVENT_SUBSCRIBER_URLS without EVENT_SIGNING_SECRET. */
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  enabled: boolean;
  disabled_reason: string | null;
  source: 'api' | 'config';
  created_at: Date;
  updated_at: Date;
}

export async function loadSubscriptionRow(knex: Knex, id: string): Promise<SubscriptionRow | undefined> {
  return knex<SubscriptionRow>('event_subscriptions').where({ id }).first();
}

export async function enabledSubscriptionIds(knex: Knex): Promise<string[]> {
  return knex('event_subscriptions').where({ enabled: true }).orderBy('id').pluck('id');
}

/** The secrets a delivery is signed with: the current one, and a rotated-out one until it expires. */
export function activeSecrets(row: Pick<SubscriptionRow, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>, now = new Date()): string[] {
  const secrets = row.secret ? [row.secret] : [];
  if (row.previous_secret && row.previous_secret_expires_at && row.previous_secret_expires_at > now) secrets.push(row.previous_secret);
  return secrets;
}
