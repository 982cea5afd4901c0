/**
 * Subscriptions as data (docs/events.md, "Subscriptions"): what `/v1/subscriptions` reads and
 * writes, the seeding from EVENT_SUBSCRIBER_URLS, and the redrive of a subscription since a time.
 * A new subscription's cursor starts at the present: it receives new events, not the history
 * (a redrive since a time is how it gets older ones).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { durationToMs } from '../../workflows/domain/calendar';
import type { RedriveAccepted, Subscription, SubscriptionCreated, SubscriptionInput, SubscriptionPatch } from '../../workflows/domain/schemas/subscriptions';
import { silentLog, type AdapterLog } from '../errors';
import type { SubscriptionsPort } from '../ports';
import { iso } from '../erp/rows';
import { comparePositions, currentStartPosition, positionBefore, type OutboxPosition } from './outbox-reader';
import { ensureCursor, subscriptionConsumer } from './cursors';
import type { SubscriptionRow } from './subscription-rows';

const DEFAULT_PREVIOUS_SECRET_VALIDITY = '24h';
/** How far `behind` counts; past that, the exact number does not change what an operator does. */
const BEHIND_COUNT_LIMIT = 10_000;
/** Where the relay this engine replaced had got to (written by the migration that introduced it). */
const LEGACY_RELAY_CONSUMER = 'legacy-relay';

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** SQL matching `type` against a subscription's filters (see matchesEventFilter in the catalog). */
export function eventFilterSql(filters: readonly string[], column = 'type'): { sql: string; bindings: string[] } {
  if (filters.includes('*')) return { sql: 'true', bindings: [] };
  const exact = filters.filter((filter) => !filter.endsWith('.*'));
  const prefixes = filters.filter((filter) => filter.endsWith('.*')).map((filter) => `${filter.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`);
  const parts = [...exact.map(() => `${column} = ?`), ...prefixes.map(() => `${column} like ?`)];
  return { sql: `(${parts.join(' or ')})`, bindings: [...exact, ...prefixes] };
}

export class KnexSubscriptions implements SubscriptionsPort {
  constructor(
    private readonly knex: Knex,
    private readonly log: AdapterLog = silentLog,
  ) {}

  async create(input: SubscriptionInput): Promise<SubscriptionCreated> {
    const id = `sub_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const secret = input.secret ?? generateSigningSecret();
    await this.knex.transaction(async (trx) => {
      await trx('event_subscriptions').insert({
        id,
        url: input.url,
        event_types: input.eventTypes,
        description: input.description ?? null,
        secret,
        enabled: input.enabled,
        source: 'api',
      });
      await ensureCursor(trx, subscriptionConsumer(id), await currentStartPosition(trx), id);
    });
    this.log.info('Subscription created', { subscriptionId: id, url: input.url, eventTypes: input.eventTypes });
    const created = (await this.get(id))!;
    return input.secret === undefined ? { ...created, secret } : created;
  }

  async list(): Promise<Subscription[]> {
    const rows = await this.knex<SubscriptionRow>('event_subscriptions').orderBy('created_at').orderBy('id');
    return Promise.all(rows.map((row) => this.view(row)));
  }

  async get(id: string): Promise<Subscription | undefined> {
    const row = await this.knex<SubscriptionRow>('event_subscriptions').where({ id }).first();
    return row ? this.view(row) : undefined;
  }

  async update(id: string, patch: SubscriptionPatch): Promise<Subscription | undefined> {
    const found = await this.knex.transaction(async (trx) => {
      const row = await trx<SubscriptionRow>('event_subscriptions').where({ id }).forUpdate().first();
      if (!row) return false;
      const changes: Record<string, unknown> = { updated_at: trx.fn.now() };
      if (patch.url !== undefined) changes.url = patch.url;
      if (patch.eventTypes !== undefined) changes.event_types = patch.eventTypes;
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.enabled !== undefined) {
        changes.enabled = patch.enabled;
        if (patch.enabled) changes.disabled_reason = null;
      }
      if (patch.secret !== undefined) Object.assign(changes, rotation(row.secret, patch.secret, patch.previousSecretValidFor));
      await trx('event_subscriptions').where({ id }).update(changes);
      // Enabled again: the endpoint gets a fresh chance at once.
      if (patch.enabled) await trx('event_cursors').where({ subscription_id: id }).update({ paused_until: null, failure_streak: 0 });
      return true;
    });
    return found ? this.get(id) : undefined;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.knex('event_subscriptions').where({ id }).delete()) > 0;
  }

  async redriveSince(id: string, since: Date): Promise<RedriveAccepted | undefined> {
    return this.knex.transaction(async (trx) => {
      const row = await trx<SubscriptionRow>('event_subscriptions').where({ id }).first();
      if (!row) return undefined;
      const cursor = await trx('event_cursors')
        .where({ consumer: subscriptionConsumer(id) })
        .forUpdate()
        .first<{ position_tx: string; position_seq: string; replay_since: Date | null }>(
          trx.raw('position_tx::text as position_tx'),
          trx.raw('position_seq::text as position_seq'),
          'replay_since',
        );
      const start = await positionBefore(trx, since);
      const until: OutboxPosition = { tx: cursor!.position_tx, seq: cursor!.position_seq };
      const accepted: RedriveAccepted = { subscriptionId: id, since: since.toISOString(), events: 0, deadLetters: 0 };
      if (!start || comparePositions(start, until) >= 0) return accepted;

      const filter = eventFilterSql(row.event_types);
      const [{ count }] = await trx.raw<{ rows: { count: string }[] }>(
        `select count(*) as count from outbox
          where tx_id >= ?::xid8 and (tx_id > ?::xid8 or sequence > ?::bigint)
            and tx_id <= ?::xid8 and (tx_id < ?::xid8 or sequence <= ?::bigint)
            and created_at >= ? and ${filter.sql}`,
        // Row comparisons spelled out, as in outbox-reader.ts (docs/adr/0040).
        [start.tx, start.tx, start.seq, until.tx, until.tx, until.seq, since, ...filter.bindings],
      ).then((result) => result.rows);
      // A replay already under way is widened, never narrowed.
      await trx.raw(
        `update event_cursors set
           replay_since = least(coalesce(replay_since, ?), ?),
           replay_tx = case when replay_tx is null or (?::xid8, ?::bigint) < (replay_tx, replay_seq) then ?::xid8 else replay_tx end,
           replay_seq = case when replay_tx is null or (?::xid8, ?::bigint) < (replay_tx, replay_seq) then ?::bigint else replay_seq end,
           replay_until_tx = position_tx, replay_until_seq = position_seq
         where consumer = ?`,
        [since, since, start.tx, start.seq, start.tx, start.tx, start.seq, start.seq, subscriptionConsumer(id)],
      );
      const deadLetters = await trx('dead_letters')
        .where({ subscription_id: id })
        .whereNull('redriven_at')
        .whereIn('message_id', trx('outbox').select('id').where('created_at', '>=', since))
        .update({ redriven_at: trx.fn.now() });
      this.log.info('Subscription redrive requested', { subscriptionId: id, since: since.toISOString(), events: Number(count) });
      return { ...accepted, events: Number(count), deadLetters };
    });
  }

  private async view(row: SubscriptionRow): Promise<Subscription> {
    const [held, dead, cursor] = await Promise.all([
      this.knex('event_deliveries').where({ subscription_id: row.id }).groupBy('state').select('state').count<{ state: string; count: string }[]>({ count: '*' }),
      this.knex('dead_letters').where({ subscription_id: row.id }).whereNull('redriven_at').count<{ count: string }[]>({ count: '*' }),
      this.knex('event_cursors')
        .where({ consumer: subscriptionConsumer(row.id) })
        .first<{ position_tx: string; position_seq: string; paused_until: Date | null } | undefined>(
          this.knex.raw('position_tx::text as position_tx'),
          this.knex.raw('position_seq::text as position_seq'),
          'paused_until',
        ),
    ]);
    const behind = cursor
      ? await this.knex
          .raw<{ rows: { count: string }[] }>(
            'select count(*) as count from (select 1 from outbox where tx_id >= ?::xid8 and (tx_id > ?::xid8 or sequence > ?::bigint) limit ?) as ahead',
            [cursor.position_tx, cursor.position_tx, cursor.position_seq, BEHIND_COUNT_LIMIT],
          )
          .then((result) => Number(result.rows[0]!.count))
      : 0;
    const countOf = (state: string) => Number(held.find((entry) => entry.state === state)?.count ?? 0);
    return {
      id: row.id,
      url: row.url,
      eventTypes: row.event_types,
      description: row.description,
      enabled: row.enabled,
      disabledReason: row.disabled_reason,
      source: row.source,
      hasSecret: row.secret !== null,
      previousSecretExpiresAt: row.previous_secret && row.previous_secret_expires_at ? iso(row.previous_secret_expires_at) : null,
      delivery: {
        behind,
        retrying: countOf('retrying'),
        waiting: countOf('waiting'),
        deadLetters: Number(dead[0]?.count ?? 0),
        pausedUntil: cursor?.paused_until ? iso(cursor.paused_until) : null,
      },
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  }
}

/** The columns that rotate a secret: the current one keeps signing beside the new one for a while. */
function rotation(current: string | null, next: string, validFor = DEFAULT_PREVIOUS_SECRET_VALIDITY): Record<string, unknown> {
  if (current === null || current === next) return { secret: next };
  return { secret: next, previous_secret: current, previous_secret_expires_at: new Date(Date.now() + durationToMs(validFor)) };
}

/** A seeded subscription's id: stable per URL, so every worker and every start agrees on it. */
export const seededSubscriptionId = (url: string): string => `cfg_${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;

/**
 * Makes sure every URL of EVENT_SUBSCRIBER_URLS has a subscription to every event, signed with
 * EVENT_SIGNING_SECRET (a changed secret is rotated in). Seeds are created once; afterwards they
 * are data like any other subscription. On the first start after the upgrade they begin where the
 * relay they replace had got to, so nothing it had not yet delivered is lost.
 */
export async function seedSubscriptions(knex: Knex, urls: readonly string[], secret: string | undefined, log: AdapterLog = silentLog): Promise<void> {
  await knex.transaction(async (trx) => {
    // Workers starting together seed one after the other.
    await trx.raw(`select pg_advisory_xact_lock(hashtext('p2p-orchestrator:seed-subscriptions'))`);
    const legacy = await trx('event_cursors')
      .where({ consumer: LEGACY_RELAY_CONSUMER })
      .first<{ tx: string; seq: string } | undefined>(trx.raw('position_tx::text as tx'), trx.raw('position_seq::text as seq'));
    const start = legacy ?? (await currentStartPosition(trx));
    for (const url of urls) {
      const id = seededSubscriptionId(url);
      const existing = await trx<SubscriptionRow>('event_subscriptions').where({ id }).first();
      if (!existing) {
        await trx('event_subscriptions').insert({ id, url, event_types: ['*'], secret: secret ?? null, source: 'config', description: 'EVENT_SUBSCRIBER_URLS' });
        await ensureCursor(trx, subscriptionConsumer(id), start, id);
        log.info('Subscription seeded from EVENT_SUBSCRIBER_URLS', { subscriptionId: id, url });
      } else if (secret !== undefined && existing.secret !== secret) {
        await trx('event_subscriptions').where({ id }).update({ ...rotation(existing.secret, secret), updated_at: trx.fn.now() });
      }
    }
    if (legacy) await trx('event_cursors').where({ consumer: LEGACY_RELAY_CONSUMER }).delete();
  });
}
