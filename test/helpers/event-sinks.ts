/**
 * What tests (and the fault-injection suite, `npm run chaos`) need to watch event delivery from
 * the outside: a subscriber endpoint that records what it receives and answers as told, the
 * message ids in a JetStream stream, and one check that every outbox event reached every sink
 * exactly once by id, in order per PO.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Knex } from 'knex';

export interface ReceivedDelivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  type: string;
  poNumber: string;
  /** What this endpoint answered. */
  status: number;
}

/** An answer: an HTTP status, or 'hang' to keep the request open until `release()`. */
export type Answer = number | 'hang';

export class RecordingSubscriber {
  /** Every request, in arrival order. */
  readonly requests: ReceivedDelivery[] = [];
  /** How to answer the next request; 200 unless a test says otherwise. */
  answer: (delivery: Omit<ReceivedDelivery, 'status'>) => Answer = () => 200;
  private hanging: (() => void)[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(path = '/events'): Promise<RecordingSubscriber> {
    let subscriber: RecordingSubscriber | undefined;
    const server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => subscriber!.handle(request, body, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    subscriber = new RecordingSubscriber(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    return subscriber;
  }

  private handle(request: http.IncomingMessage, body: string, response: http.ServerResponse): void {
    let parsed: { type?: string; poNumber?: string } = {};
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      // recorded as it came
    }
    const delivery = {
      id: String(request.headers['webhook-id']),
      timestamp: String(request.headers['webhook-timestamp']),
      signature: String(request.headers['webhook-signature'] ?? ''),
      body,
      type: String(parsed.type),
      poNumber: String(parsed.poNumber ?? (parsed as { data?: { poNumber?: string } }).data?.poNumber),
    };
    const answer = this.answer(delivery);
    if (answer === 'hang') {
      this.hanging.push(() => {
        this.requests.push({ ...delivery, status: 503 });
        response.writeHead(503).end();
      });
      return;
    }
    this.requests.push({ ...delivery, status: answer });
    response.writeHead(answer).end();
  }

  /** The deliveries it accepted (2xx), in order. */
  get accepted(): ReceivedDelivery[] {
    return this.requests.filter((delivery) => delivery.status >= 200 && delivery.status < 300);
  }

  /** Answers every hanging request (503) and stops hanging new ones. */
  release(): void {
    this.answer = () => 200;
    for (const finish of this.hanging.splice(0)) finish();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Waits until `condition` holds (checked every 25 ms), or fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every message id (Nats-Msg-Id) in a stream, in stream order. */
export async function streamMessageIds(natsUrl: string, stream: string): Promise<string[]> {
  const connection = await connect({ servers: natsUrl });
  try {
    const manager = await jetstreamManager(connection);
    const info = await manager.streams.info(stream);
    const consumer = await jetstream(connection).consumers.get(stream);
    const ids: string[] = [];
    if (info.state.messages === 0) return ids;
    const messages = await consumer.fetch({ max_messages: info.state.messages, expires: 5_000 });
    for await (const message of messages) {
      ids.push(message.headers?.get('Nats-Msg-Id') ?? '');
      if (ids.length === info.state.messages) break;
    }
    return ids;
  } finally {
    await connection.close();
  }
}

export interface SinkReport {
  name: string;
  /** Events the sink should have and does not. */
  missing: string[];
  /** Ids it got that are not expected events. */
  unexpected: string[];
  /** Ids it got more than once (a webhook subscriber deduplicates them; a stream must have none). */
  duplicates: string[];
  /** POs whose events it got (first copies) in another order than the outbox's. */
  outOfOrderPos: string[];
}

export interface DeliveryCheck {
  expected: number;
  sinks: SinkReport[];
  /** True when no sink misses an event, has a stranger, or has a PO out of order. */
  ok: boolean;
}

/**
 * The outbox events (optionally of some types, or recorded since a time) in outbox order, as
 * `{id, poNumber}`: what every sink should end up with.
 */
export async function expectedEvents(knex: Knex, options: { types?: string[]; since?: Date } = {}): Promise<{ id: string; poNumber: string }[]> {
  const query = knex('outbox').select('id', 'po_number').orderBy([{ column: 'tx_id' }, { column: 'sequence' }]);
  if (options.types) query.whereIn('type', options.types);
  if (options.since) query.where('created_at', '>=', options.since);
  const rows: { id: string; po_number: string }[] = await query;
  return rows.map((row) => ({ id: row.id, poNumber: row.po_number }));
}

/**
 * "Every event delivered exactly once to subscriber X and to the stream": compares what each sink
 * received (ids in arrival order) with the outbox. Use it as `assert.ok(check.ok, JSON.stringify(check))`;
 * `duplicates` are reported apart, since a webhook subscriber may see a redelivery after a crash.
 */
export function checkDeliveries(expected: { id: string; poNumber: string }[], sinks: { name: string; receivedIds: readonly string[] }[]): DeliveryCheck {
  const expectedIds = new Set(expected.map((event) => event.id));
  const poOf = new Map(expected.map((event) => [event.id, event.poNumber]));
  const reports = sinks.map(({ name, receivedIds }) => {
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    const firstCopies: string[] = [];
    for (const id of receivedIds) {
      if (seen.has(id)) duplicates.add(id);
      else firstCopies.push(id);
      seen.add(id);
    }
    const outOfOrder = new Set<string>();
    for (const po of new Set(expected.map((event) => event.poNumber))) {
      const want = expected.filter((event) => event.poNumber === po && seen.has(event.id)).map((event) => event.id);
      const got = firstCopies.filter((id) => poOf.get(id) === po);
      if (want.join() !== got.join()) outOfOrder.add(po);
    }
    return {
      name,
      missing: [...expectedIds].filter((id) => !seen.has(id)),
      unexpected: [...seen].filter((id) => !expectedIds.has(id)),
      duplicates: [...duplicates],
      outOfOrderPos: [...outOfOrder],
    };
  });
  return {
    expected: expected.length,
    sinks: reports,
    ok: reports.every((report) => report.missing.length === 0 && report.unexpected.length === 0 && report.outOfOrderPos.length === 0),
  };
}

/**
 * The whole check in one call, for the fault-injection suite: every outbox event recorded since
 * `since` (of `types`, when given) reached each recording subscriber and the stream exactly once
 * by id, in order per PO. Assert `check.ok` and, for a run without crashes, no duplicates.
 */
export async function verifyEventDelivery(options: {
  knex: Knex;
  since?: Date;
  types?: string[];
  subscribers: Record<string, RecordingSubscriber>;
  nats?: { url: string; stream: string };
}): Promise<DeliveryCheck> {
  const expected = await expectedEvents(options.knex, { ...(options.since ? { since: options.since } : {}), ...(options.types ? { types: options.types } : {}) });
  const sinks = Object.entries(options.subscribers).map(([name, subscriber]) => ({ name, receivedIds: subscriber.accepted.map((delivery) => delivery.id) }));
  if (options.nats) {
    const expectedIds = new Set(expected.map((event) => event.id));
    // The stream holds other runs' events too: only this run's matter here.
    const inStream = (await streamMessageIds(options.nats.url, options.nats.stream)).filter((id) => expectedIds.has(id));
    sinks.push({ name: `stream ${options.nats.stream}`, receivedIds: inStream });
  }
  return checkDeliveries(expected, sinks);
}
