/**
 * Dead letters (docs/events.md, "Dead letters and redrive"): deliveries to a subscription or a
 * supplier that failed their last attempt. Listing them, and redriving one: it is queued again,
 * due at once, under the same message id, so the receiver's `webhook-id` deduplication still holds.
 */
import type { Knex } from 'knex';
import type { DeadLetter, DeadLetterQuery } from '../../workflows/domain/schemas/subscriptions';
import { InvalidCursorError, silentLog, type AdapterLog } from '../errors';
import type { DeadLettersPort } from '../ports';
import { iso } from '../erp/rows';
import { outboxEventsById } from './outbox-reader';

interface DeadLetterRow {
  id: string;
  subscription_id: string | null;
  supplier_id: string | null;
  message_id: string;
  event_type: string;
  po_number: string;
  occurred_at: Date;
  url: string | null;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  failed_at: Date;
  redriven_at: Date | null;
  /** failed_at to the microsecond, for the page cursor. */
  cursor_failed_at?: string;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    supplierId: row.supplier_id,
    messageId: row.message_id,
    eventType: row.event_type,
    poNumber: row.po_number,
    occurredAt: iso(row.occurred_at),
    url: row.url,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    failedAt: iso(row.failed_at),
    redrivenAt: row.redriven_at ? iso(row.redriven_at) : null,
  };
}

const encodeCursor = (failedAt: string, id: string): string => Buffer.from(JSON.stringify([failedAt, id]), 'utf8').toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string' && !Number.isNaN(Date.parse(parsed[0]))) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // fall through: any undecodable cursor is reported the same way
  }
  throw new InvalidCursorError();
}

export class KnexDeadLetters implements DeadLettersPort {
  constructor(
    private readonly knex: Knex,
    private readonly log: AdapterLog = silentLog,
  ) {}

  async list(query: DeadLetterQuery): Promise<{ items: DeadLetter[]; nextCursor: string | null }> {
    const rows = this.knex<DeadLetterRow>('dead_letters')
      .select('*', this.knex.raw(`to_char(failed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_failed_at`))
      .orderBy([{ column: 'failed_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .limit(query.limit + 1);
    if (query.subscriptionId !== undefined) rows.where({ subscription_id: query.subscriptionId });
    if (query.supplierId !== undefined) rows.where({ supplier_id: query.supplierId });
    if (query.type !== undefined) rows.where({ event_type: query.type });
    if (query.poNumber !== undefined) rows.where({ po_number: query.poNumber });
    if (query.since !== undefined) rows.where('failed_at', '>=', query.since);
    if (query.until !== undefined) rows.where('failed_at', '<', query.until);
    if (!query.includeRedriven) rows.whereNull('redriven_at');
    if (query.cursor !== undefined) {
      const [failedAt, id] = decodeCursor(query.cursor);
      rows.whereRaw('(failed_at, id) < (?::timestamptz, ?)', [failedAt, id]);
    }
    const found: DeadLetterRow[] = await rows;
    const page = found.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map(toDeadLetter), nextCursor: found.length > query.limit && last ? encodeCursor(last.cursor_failed_at!, last.id) : null };
  }

  async redrive(id: string): Promise<DeadLetter | undefined> {
    const redriven = await this.knex.transaction(async (trx) => {
      const row = await trx<DeadLetterRow>('dead_letters').where({ id }).forUpdate().first();
      if (!row) return undefined;
      if (row.subscription_id !== null) {
        const event = (await outboxEventsById(trx, [row.message_id])).get(row.message_id)!;
        // Unordered: the PO's later events went on long ago; this one goes again on its own.
        await trx('event_deliveries')
          .insert({
            subscription_id: row.subscription_id,
            event_id: event.id,
            tx_id: event.position.tx,
            sequence: event.position.seq,
            po_number: event.poNumber,
            event_type: event.type,
            ordered: false,
            state: 'retrying',
            attempts: 0,
            next_attempt_at: trx.fn.now(),
          })
          .onConflict(['subscription_id', 'event_id'])
          .merge({ next_attempt_at: trx.fn.now() });
      } else {
        await trx('supplier_notifications')
          .where({ id: row.message_id })
          .update({ state: 'pending', next_attempt_at: trx.fn.now(), retry_step: 0, updated_at: trx.fn.now() });
      }
      const [updated] = await trx<DeadLetterRow>('dead_letters').where({ id }).update({ redriven_at: trx.fn.now() }).returning('*');
      return updated;
    });
    if (redriven) this.log.info('Dead letter redriven', { deadLetterId: id, messageId: redriven.message_id, poNumber: redriven.po_number });
    return redriven ? toDeadLetter(redriven) : undefined;
  }
}
