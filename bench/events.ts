/**
 * The event relay's throughput to NATS JetStream (docs/events.md): one relay pass of 500 outbox
 * events (read after the cursor, published with Nats-Msg-Id, acknowledged, cursor written) against
 * publishing the same 500 events straight to JetStream from memory. Measured on a small outbox and
 * again behind 200,000 older rows, to show a pass costs the same however large the outbox grows
 * (cursor-based, indexed).
 *
 * Needs NATS with JetStream: NATS_TEST_URL, else nats://127.0.0.1:4222.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Knex } from 'knex';
import winston from 'winston';
import { NatsSink } from '../activities/events/nats-sink';
import { eventBody } from '../activities/events/webhook-delivery';
import { createTestDatabase } from '../test/helpers/database';
import { measurePair, result, type BenchResult } from './measure';

const BATCH = 500;
const WARMUP = 2;
const ITERATIONS = 10;
const LARGE_OUTBOX = 200_000;
const MAX_RATIO = 3;

interface BenchEvent {
  id: string;
  type: string;
  poNumber: string;
  occurredAt: Date;
  payload: Record<string, unknown>;
}

/** `rounds` batches of goods receipts and inventory adjustments over 50 POs, written to the outbox. */
async function writeBatches(knex: Knex, rounds: number): Promise<BenchEvent[][]> {
  const batches: BenchEvent[][] = [];
  for (let round = 0; round < rounds; round++) {
    const batch = Array.from({ length: BATCH }, (_, index): BenchEvent => {
      const poNumber = `PO-BENCH-${index % 50}`;
      const type = index % 2 === 0 ? 'goods.received' : 'inventory.adjusted';
      return { id: randomUUID(), type, poNumber, occurredAt: new Date(), payload: { version: 1, poNumber, status: 'received', movements: [{ sku: `SKU-${index % 20}`, location: 'MAIN', quantity: '5', lineNo: 1 }] } };
    });
    await knex('outbox').insert(batch.map((event) => ({ id: event.id, type: event.type, po_number: event.poNumber, occurred_at: event.occurredAt, payload: JSON.stringify(event.payload) })));
    batches.push(batch);
  }
  return batches;
}

/** Older rows the consumer has long passed: the outbox's history. */
async function writeHistory(knex: Knex, rows: number): Promise<void> {
  await knex.raw(
    `insert into outbox (id, type, po_number, occurred_at, payload)
     select 'history-' || n, 'goods.received', 'PO-HISTORY-' || (n % 5000), now(), '{"version": 1}'::jsonb from generate_series(1, ?) as n`,
    [rows],
  );
}

export async function eventBenchmarks(say: (line: string) => void): Promise<BenchResult[]> {
  const natsUrl = process.env.NATS_TEST_URL || 'nats://127.0.0.1:4222';
  const tag = randomBytes(4).toString('hex');
  const relayStream = { stream: `BENCH_RELAY_${tag}`, subjectPrefix: `bench${tag}.relay` };
  const directStream = { stream: `BENCH_DIRECT_${tag}`, subjectPrefix: `bench${tag}.direct` };
  const database = await createTestDatabase();
  const connection = await connect({ servers: natsUrl });
  const sink = new NatsSink(database.knex, { url: natsUrl, ...relayStream, duplicateWindowMs: 3_600_000, batchSize: BATCH }, winston.createLogger({ silent: true }));
  const manager = await jetstreamManager(connection);
  try {
    await sink.ready();
    await manager.streams.add({ name: directStream.stream, subjects: [`${directStream.subjectPrefix}.>`], duplicate_window: nanos(3_600_000) });
    const direct = jetstream(connection);

    const measure = async (label: string) => {
      const batches = await writeBatches(database.knex, WARMUP + ITERATIONS);
      return measurePair({
        warmup: WARMUP,
        iterations: ITERATIONS,
        subject: async () => {
          const pass = await sink.pass(`bench-${tag}`, 60_000);
          if (pass?.delivered !== BATCH) throw new Error(`${label}: the relay pass published ${pass?.delivered} events, not ${BATCH}`);
        },
        baseline: async (i) => {
          await Promise.all(batches[i]!.map((event) => direct.publish(`${directStream.subjectPrefix}.${event.type}`, eventBody(event), { msgID: event.id })));
        },
      });
    };

    say(`events: relay vs direct publish on a small outbox (${BATCH} events per pass) ...`);
    const small = await measure('small outbox');
    say(`events: writing ${LARGE_OUTBOX.toLocaleString('en')} older outbox rows ...`);
    // History written after the relay's cursor would be relayed too: it goes in first, then the cursor moves past it.
    await writeHistory(database.knex, LARGE_OUTBOX);
    await database.knex.raw(`update event_cursors set (position_tx, position_seq) = (select tx_id, sequence from outbox order by tx_id desc, sequence desc limit 1) where consumer = ?`, [sink.consumer]);
    const outboxRows = Number((await database.knex('outbox').count<{ count: string }[]>({ count: '*' }))[0]!.count);
    const large = await measure('large outbox');

    const perSecond = (ms: number) => Math.round((BATCH * 1000) / ms).toLocaleString('en');
    const growth = large.subject.p50Ms / small.subject.p50Ms;
    return [
      result('events', `relay pass of ${BATCH} events to JetStream, outbox of ${(WARMUP + ITERATIONS) * BATCH} rows`, small, `${BATCH} publishes straight to JetStream`, MAX_RATIO, [
        `relay ≈ ${perSecond(small.subject.p50Ms)} events/s, direct ≈ ${perSecond(small.baseline.p50Ms)} events/s (p50)`,
      ]),
      result('events', `relay pass of ${BATCH} events to JetStream, outbox of ${outboxRows.toLocaleString('en')} rows`, large, `${BATCH} publishes straight to JetStream`, MAX_RATIO, [
        `relay ≈ ${perSecond(large.subject.p50Ms)} events/s; large-outbox pass ÷ small-outbox pass = ${growth.toFixed(2)} (1.00 = no degradation)`,
      ]),
    ];
  } finally {
    await sink.close();
    await manager.streams.delete(relayStream.stream).catch(() => false);
    await manager.streams.delete(directStream.stream).catch(() => false);
    await connection.close();
    await database.drop();
  }
}
