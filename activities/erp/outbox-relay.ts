/**
 * Relays the transactional outbox to event subscribers (docs/architecture.md, "Outbox relay"), signed like the supplier
 * webhooks with EVENT_SIGNING_SECRET.
 *
 * Delivery is at-least-once: a row is marked published only after every subscriber accepted it,
 * so a crash or a failing subscriber means others may see the row again — they deduplicate on
 * `webhook-id` (the outbox id). Several workers may run a relay: rows are claimed with
 * FOR UPDATE SKIP LOCKED, so no row is ever relayed by two relays at the same time.
 *
 * Within one relay pass rows go out in outbox order, and a failing row stops the pass so later
 * events of the same PO are not delivered before it. (Across several relays, batches run side by
 * side, so global order is only best effort.)
 *
 * With no subscribers configured, rows are still marked relayed: the outbox then serves as an
 * audit log in the ERP database and is not left growing as an ever-larger "unprocessed" backlog
 * that a subscriber added later would suddenly receive in full.
 */
import type { Knex } from 'knex';
import type { EventOutboxPort } from '../ports';
import { silentLog, type AdapterLog } from '../errors';
import { RelayLoop } from '../relay-loop';
import { postSignedJson } from '../supplier-portal/webhook';

export interface OutboxRelayOptions {
  subscriberUrls: string[];
  signingSecret?: string;
  /** Per delivery; default 10 s. */
  timeoutMs?: number;
  /** Rows claimed per pass; default 50. The claim holds row locks while the pass delivers. */
  batchSize?: number;
}

interface OutboxRow {
  id: string;
  type: string;
  po_number: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
}

export class OutboxRelay implements EventOutboxPort {
  private readonly loop: RelayLoop;

  constructor(
    private readonly knex: Knex,
    private readonly options: OutboxRelayOptions,
    private readonly log: AdapterLog = silentLog,
  ) {
    this.loop = new RelayLoop('Outbox relay', () => this.relayPending(), this.batchSize, log);
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 50;
  }

  async relayPending(limit: number = this.batchSize): Promise<number> {
    return this.knex.transaction(async (trx) => {
      const rows = await trx<OutboxRow>('outbox')
        .select('id', 'type', 'po_number', 'occurred_at', 'payload')
        .whereNull('published_at')
        .orderBy('sequence')
        .limit(limit)
        .forUpdate()
        .skipLocked();
      if (rows.length === 0) return 0;

      if (this.options.subscriberUrls.length === 0) {
        await trx('outbox')
          .whereIn(
            'id',
            rows.map((row) => row.id),
          )
          .update({ published_at: trx.fn.now() });
        return rows.length;
      }

      let published = 0;
      for (const row of rows) {
        try {
          await this.deliver(row);
        } catch (error) {
          const message = (error as Error).message;
          await trx('outbox')
            .where({ id: row.id })
            .update({ attempts: trx.raw('attempts + 1'), last_error: message.slice(0, 1000) });
          this.log.warn('Outbox event not relayed; will retry', { poNumber: row.po_number, eventId: row.id, eventType: row.type, error: message });
          break;
        }
        await trx('outbox').where({ id: row.id }).update({ published_at: trx.fn.now(), attempts: trx.raw('attempts + 1'), last_error: null });
        published += 1;
      }
      return published;
    });
  }

  /** Starts relaying every `intervalMs`; a full batch is followed at once by the next. */
  start(intervalMs: number): void {
    this.loop.start(intervalMs);
  }

  /** Stops the loop and waits for a pass in progress to finish. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const body = JSON.stringify({
      id: row.id,
      type: row.type,
      timestamp: row.occurred_at.toISOString(),
      poNumber: row.po_number,
      data: row.payload,
    });
    for (const url of this.options.subscriberUrls) {
      const { status, responseText } = await postSignedJson({
        url,
        id: row.id,
        body,
        secret: this.options.signingSecret ?? null,
        timeoutMs: this.options.timeoutMs ?? 10_000,
      });
      if (status < 200 || status >= 300) {
        throw new Error(`Subscriber ${url} answered ${status}${responseText ? `: ${responseText}` : ''}`);
      }
    }
  }
}
