/**
 * Several writes of one transaction sent as ONE statement (data-modifying WITH clauses): one round
 * trip to PostgreSQL instead of one per write (docs/adr/0074-fewer-round-trips-per-command.md).
 *
 * Only for writes that do not read each other's effects: the sub-statements of one statement share
 * a snapshot. Foreign keys and AFTER triggers still see every row, since they run at the end of the
 * statement. A write may name a clause of its own that another write of the same batch reads with
 * `(select … from name)` — a document's header that its lines reference (`withClause`); that
 * clause goes before every write, and a write sent alone carries it with it. Builders whose
 * bindings hold arrays (which `raw` would expand) are sent after the batch, one by one; a large
 * batch (a 200-line PO's lines) is sent one write at a time, where one round trip more is nothing
 * and the combined statement costs more to build than it saves.
 */
import type { Knex } from 'knex';

const MAX_COMBINED_BINDINGS = 1_000;

export type Write = Knex.QueryBuilder | Knex.Raw | NamedWrite;

/** A write that other writes of its batch read by name: `name as (clause)` goes first. */
export interface NamedWrite {
  clause: { name: string; statement: Knex.QueryBuilder };
  /** The write that reads it; it goes where the write was placed. */
  statement: Knex.QueryBuilder;
}

export function withClause(name: string, clause: Knex.QueryBuilder, statement: Knex.QueryBuilder): NamedWrite {
  return { clause: { name, statement: clause }, statement };
}

interface Compiled {
  clauses: { name: string; sql: string; bindings: readonly unknown[] }[];
  sql: string;
  bindings: readonly unknown[];
}

const isNamed = (write: Write): write is NamedWrite => 'clause' in write && !('toSQL' in write);
const holdsArrays = (part: Compiled) => [part.bindings, ...part.clauses.map((clause) => clause.bindings)].some((list) => list.some((binding) => Array.isArray(binding)));
const bindingCount = (part: Compiled) => part.bindings.length + part.clauses.reduce((total, clause) => total + clause.bindings.length, 0);

function compile(write: Write): Compiled {
  if (isNamed(write)) {
    const clause = write.clause.statement.toSQL();
    const statement = write.statement.toSQL();
    return { clauses: [{ name: write.clause.name, sql: clause.sql, bindings: clause.bindings }], sql: statement.sql, bindings: statement.bindings };
  }
  const { sql, bindings } = write.toSQL();
  return { clauses: [], sql, bindings };
}

function run(trx: Knex | Knex.Transaction, parts: Compiled[]): Promise<unknown> {
  const clauses = [
    ...parts.flatMap((part) => part.clauses).map((clause) => ({ head: `${clause.name} as (${clause.sql})`, bindings: clause.bindings })),
    ...parts.slice(0, -1).map((part, i) => ({ head: `write_${i} as (${part.sql})`, bindings: part.bindings })),
  ];
  const last = parts[parts.length - 1]!;
  const sql = clauses.length === 0 ? last.sql : `with ${clauses.map((clause) => clause.head).join(', ')} ${last.sql}`;
  return trx.raw(sql, [...clauses.flatMap((clause) => clause.bindings), ...last.bindings] as Knex.RawBinding[]);
}

export async function inOneRoundTrip(trx: Knex | Knex.Transaction, writes: readonly Write[]): Promise<void> {
  const combined: Compiled[] = [];
  // Array bindings (a text[] column) only survive knex's own builder: such writes go after the rest, each alone.
  const alone: (Knex.QueryBuilder | Knex.Raw)[] = [];
  for (const write of writes) {
    const part = compile(write);
    if (holdsArrays(part) && !isNamed(write)) alone.push(write);
    else combined.push(part);
  }
  if (combined.reduce((total, part) => total + bindingCount(part), 0) > MAX_COMBINED_BINDINGS) {
    for (const part of combined) await run(trx, [part]);
  } else if (combined.length > 0) {
    await run(trx, combined);
  }
  for (const write of alone) await write;
}
