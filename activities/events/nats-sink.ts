/**
 * The NATS JetStream sink (docs/events.md, "NATS JetStream"): with NATS_URL set, every outbox
 * event is also published to stream `P2P_EVENTS`, subject `p2p.events.<type>`, with
 * `Nats-Msg-Id` = the outbox event id. It is a consumer of the outbox like a subscription, with its
 * own cursor, so a NATS outage delays nothing else.
 *
 * A publish whose acknowledgement did not arrive (NATS restarting, a timeout) is published again
 * on the next pass; the stream's duplicate window, longer than any wait of the relay, drops the
 * copy, so every event is in the stream exactly once. Events are never dead-lettered here: the
 * cursor waits until NATS takes them.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Knex } from 'knex';
import { silentLog, type AdapterLog } from '../errors';
import { acquireLease, commitCursor, cursorPosition, ensureCursor, keepingLease, natsConsumer, releaseLease } from './cursors';
import { currentStartPosition, readOutbox, type OutboxEvent } from './outbox-reader';
import type { PassResult } from './subscription-pass';
import { eventBody } from './webhook-delivery';

export const DEFAULT_STREAM = 'P2P_EVENTS';
export const DEFAULT_SUBJECT_PREFIX = 'p2p.events';

export interface NatsSinkOptions {
  /** NATS_URL: one or more comma-separated server URLs. */
  url: string;
  /** Tests use their own stream and subjects; production uses the defaults. */
  stream?: string;
  subjectPrefix?: string;
  /** The stream's duplicate window when the sink creates it (retry-schedule.ts, duplicateWindowMs). */
  duplicateWindowMs: number;
  batchSize?: number;
  publishTimeoutMs?: number;
}

const MAX_PAUSE_MS = 30_000;

export class NatsSink {
  readonly stream: string;
  readonly subjectPrefix: string;
  private connection: NatsConnection | undefined;
  private client: JetStreamClient | undefined;
  private connecting: Promise<JetStreamClient> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly options: NatsSinkOptions,
    private readonly log: AdapterLog = silentLog,
  ) {
    this.stream = options.stream ?? DEFAULT_STREAM;
    this.subjectPrefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  }

  get consumer(): string {
    return natsConsumer(this.stream);
  }

  subjectFor(type: string): string {
    return `${this.subjectPrefix}.${type}`;
  }

  /**
   * Connects (reconnecting forever once connected), makes sure the stream exists and the sink's
   * cursor too; a new cursor starts at the present.
   */
  async ready(): Promise<JetStreamClient> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      try {
        const connection = await connect({ servers: this.options.url.split(','), name: 'p2p-orchestrator relay', maxReconnectAttempts: -1, reconnectTimeWait: 500 });
        await this.ensureStream(connection);
        await ensureCursor(this.knex, this.consumer, await currentStartPosition(this.knex));
        this.connection = connection;
        this.client = jetstream(connection, { timeout: this.options.publishTimeoutMs ?? 5_000 });
        this.log.info('Publishing events to NATS JetStream', { stream: this.stream, subjects: `${this.subjectPrefix}.>` });
        return this.client;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private async ensureStream(connection: NatsConnection): Promise<void> {
    const manager = await jetstreamManager(connection);
    try {
      await manager.streams.info(this.stream);
      return;
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    }
    try {
      await manager.streams.add({
        name: this.stream,
        subjects: [`${this.subjectPrefix}.>`],
        storage: StorageType.File,
        duplicate_window: nanos(this.options.duplicateWindowMs),
      });
      this.log.info('Created the JetStream stream', { stream: this.stream, duplicateWindowMs: this.options.duplicateWindowMs });
    } catch (error) {
      // Another worker created it a moment ago.
      await manager.streams.info(this.stream).catch(() => Promise.reject(error));
    }
  }

  /**
   * One pass: the next batch after the sink's cursor. Each PO's events are published one after
   * another, each once the previous one is acknowledged; POs go side by side. A PO stops at its
   * first failure, so no later event of it can reach the stream before an earlier one: published
   * side by side, a later event could be stored while an earlier one was refused (JetStream not yet
   * up after a restart) and the retry would land behind it. The cursor moves to just before the
   * first event (in outbox order) that was not acknowledged; the events after it that other POs got
   * published go again on the next pass and the duplicate window drops the copies.
   */
  async pass(owner: string, leaseMs: number): Promise<PassResult | undefined> {
    const client = await this.ready();
    const cursor = await acquireLease(this.knex, this.consumer, owner, leaseMs);
    if (!cursor) return undefined;
    try {
      if (cursor.paused_until && cursor.paused_until > new Date()) {
        await releaseLease(this.knex, this.consumer, owner);
        return { delivered: 0, failed: 0, more: false };
      }
      const batchSize = this.options.batchSize ?? 500;
      const events = await readOutbox(this.knex, cursorPosition(cursor), batchSize);
      const failures = await keepingLease(this.knex, this.consumer, owner, leaseMs, () => this.publishInOrderPerPo(client, events), this.log);
      const firstFailure = events.findIndex((event) => failures.has(event.id));
      const published = firstFailure === -1 ? events.length : firstFailure;
      const last = events[published - 1];
      const failed = firstFailure !== -1;
      if (failed) {
        const reason = failures.get(events[firstFailure]!.id)!;
        this.log.warn('Publishing to NATS failed; will retry', { stream: this.stream, eventId: events[firstFailure]!.id, error: reason.message });
      }
      const streak = failed ? cursor.failure_streak + 1 : 0;
      await this.knex.transaction((trx) =>
        commitCursor(trx, this.consumer, owner, {
          ...(last ? { position: last.position } : {}),
          failureStreak: streak,
          pausedUntil: failed ? new Date(Date.now() + Math.min(MAX_PAUSE_MS, 500 * 2 ** cursor.failure_streak)) : null,
        }),
      );
      return { delivered: published, failed: failed ? events.length - published : 0, more: !failed && events.length === batchSize };
    } catch (error) {
      await releaseLease(this.knex, this.consumer, owner).catch(() => undefined);
      throw error;
    }
  }

  /** Publishes each PO's events in order, POs side by side; answers the failures by event id (one per PO at most). */
  private async publishInOrderPerPo(client: JetStreamClient, events: readonly OutboxEvent[]): Promise<Map<string, Error>> {
    const chains = new Map<string, OutboxEvent[]>();
    for (const event of events) {
      const chain = chains.get(event.poNumber);
      if (chain) chain.push(event);
      else chains.set(event.poNumber, [event]);
    }
    const failures = new Map<string, Error>();
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const event of chain) {
          try {
            await this.publish(client, event);
          } catch (error) {
            failures.set(event.id, error as Error);
            return;
          }
        }
      }),
    );
    return failures;
  }

  private async publish(client: JetStreamClient, event: OutboxEvent): Promise<void> {
    const messageHeaders = headers();
    messageHeaders.set('Content-Type', 'application/json');
    messageHeaders.set('P2p-Event-Type', event.type);
    messageHeaders.set('P2p-Po-Number', event.poNumber);
    await client.publish(this.subjectFor(event.type), eventBody(event), { msgID: event.id, headers: messageHeaders });
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.client = undefined;
    await connection?.close();
  }
}
