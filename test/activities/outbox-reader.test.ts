/**
 * The outbox reader's order is the numeric (tx_id, sequence) order, also where transaction ids
 * and sequences cross a power of ten. The reader hands both back as text under their own names; a
 * bare `order by tx_id` once sorted that text ("1000" before "876") and cursors jumped over events
 * (docs/adr/0040-per-consumer-cursors-over-the-outbox.md).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { readOutbox, type OutboxPosition } from '../../activities/events/outbox-reader';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});

after(async () => {
  await db?.drop();
});

/**
 * Rows at these exact positions. Transaction ids up to 100 are long finished on any server that has
 * run its migrations, so they are all below the reader's horizon.
 */
async function rowsAt(positions: [tx: number, seq: number][]): Promise<void> {
  for (const [tx, seq] of positions) {
    await db.knex.raw(`insert into outbox (id, type, po_number, occurred_at, payload, tx_id, sequence) values (?, 'goods.received', 'PO-ORDER', now(), '{}'::jsonb, ?::xid8, ?)`, [
      randomUUID(),
      String(tx),
      seq,
    ]);
  }
}

/** Walks the outbox from the start in batches of `batch`, the way a consumer's cursor does. */
async function walk(batch: number): Promise<string[]> {
  let position: OutboxPosition = { tx: '0', seq: '0' };
  const seen: string[] = [];
  for (;;) {
    const events = await readOutbox(db.knex, position, batch);
    if (events.length === 0) return seen;
    seen.push(...events.map((event) => `${event.position.tx}/${event.position.seq}`));
    position = events[events.length - 1]!.position;
  }
}

describe('outbox reader order', () => {
  test('walks transaction ids and sequences in numeric order across powers of ten, whatever the batch size', async () => {
    // Inserted out of order, so the heap order does not happen to be the right one.
    const positions: [number, number][] = [
      [100, 20],
      [9, 3],
      [99, 11],
      [11, 12],
      [10, 9],
      [10, 10],
      [10, 100],
      [87, 4],
      [100, 19],
    ];
    await rowsAt(positions);
    const want = [...positions].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([tx, seq]) => `${tx}/${seq}`);
    for (const batch of [1, 2, 3, 4, 100]) assert.deepEqual(await walk(batch), want, `batches of ${batch}`);
  });

  test('reads up to an inclusive end position in the same order', async () => {
    const events = await readOutbox(db.knex, { tx: '9', seq: '3' }, 100, { tx: '99', seq: '11' });
    assert.deepEqual(
      events.map((event) => `${event.position.tx}/${event.position.seq}`),
      ['10/9', '10/10', '10/100', '11/12', '87/4', '99/11'],
    );
  });
});
