/**
 * `inOneRoundTrip` (activities/erp/round-trips.ts): writes that decide nothing sent as one
 * statement, a named clause read by another write of the batch, a batch too large for one
 * statement sent write by write with each clause carried along, and array bindings left to knex's
 * own builder (docs/adr/0074-fewer-round-trips-per-command.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { inOneRoundTrip, withClause } from '../../activities/erp/round-trips';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
  await db.knex.raw(`create table rt_headers (id bigserial primary key, name text not null unique)`);
  await db.knex.raw(`create table rt_lines (header_id bigint not null references rt_headers (id), line_no int not null, codes text[], primary key (header_id, line_no))`);
});

after(async () => {
  await db?.drop();
});

/** Runs `writes` in a transaction and counts the statements it sent. */
async function counted(writes: (trx: Knex.Transaction) => Parameters<typeof inOneRoundTrip>[1]): Promise<number> {
  let statements = 0;
  const count = () => void (statements += 1);
  db.knex.on('query', count);
  try {
    await db.knex.transaction((trx) => inOneRoundTrip(trx, writes(trx)));
  } finally {
    db.knex.removeListener('query', count);
  }
  return statements - 2; // BEGIN and COMMIT
}

function headerWithLines(trx: Knex.Transaction, name: string, lines: number) {
  const clause = `header_${name.replace(/\W/g, '_')}`;
  return withClause(
    clause,
    trx('rt_headers').insert({ name }).returning('id'),
    trx('rt_lines').insert(Array.from({ length: lines }, (_, i) => ({ header_id: trx.raw(`(select id from ${clause})`), line_no: i + 1 }))),
  );
}

async function linesOf(name: string): Promise<number> {
  const [{ count }] = await db.knex('rt_lines').join('rt_headers', 'rt_headers.id', 'rt_lines.header_id').where({ name }).count<{ count: string }[]>({ count: '*' });
  return Number(count);
}

describe('independent writes in one round trip', () => {
  test('a header and its lines reading its id, with another write, go in one statement', async () => {
    const statements = await counted((trx) => [headerWithLines(trx, 'small', 3), trx('rt_headers').insert({ name: 'other' })]);
    assert.equal(statements, 1);
    assert.equal(await linesOf('small'), 3);
    assert.equal((await db.knex('rt_headers').where({ name: 'other' })).length, 1);
  });

  test('a batch over the bindings limit goes write by write, each named clause with its write', async () => {
    const statements = await counted((trx) => [headerWithLines(trx, 'large', 1100), trx('rt_headers').insert({ name: 'after-large' })]);
    assert.equal(statements, 2, 'the header with its 1,100 lines in one statement, the other write in another');
    assert.equal(await linesOf('large'), 1100);
  });

  test('a write binding an array is sent after the batch through the builder, as an array', async () => {
    const statements = await counted((trx) => [
      trx('rt_lines').insert({ header_id: trx.raw(`(select id from rt_headers where name = 'other')`), line_no: 1, codes: ['PRICE_VARIANCE', 'QTY_VARIANCE'] }),
      headerWithLines(trx, 'with-array-neighbour', 2),
    ]);
    assert.equal(statements, 2);
    const [row] = await db.knex('rt_lines').join('rt_headers', 'rt_headers.id', 'rt_lines.header_id').where({ name: 'other' }).select('codes');
    assert.deepEqual(row.codes, ['PRICE_VARIANCE', 'QTY_VARIANCE']);
    assert.equal(await linesOf('with-array-neighbour'), 2);
  });

  test('a failing write fails the whole batch: nothing of it is written', async () => {
    await assert.rejects(counted((trx) => [headerWithLines(trx, 'rolled-back', 2), trx('rt_headers').insert({ name: 'small' })]), /duplicate key/);
    assert.equal((await db.knex('rt_headers').where({ name: 'rolled-back' })).length, 0);
  });
});
