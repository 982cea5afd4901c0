/**
 * Several independent writes of one transaction sent as ONE statement (data-modifying WITH
 * clauses): one round trip to PostgreSQL instead of one per write (docs/adr/0074-fewer-round-trips.md).
 *
 * Only for writes that do not read each other's effects: the sub-statements of one statement share
 * a snapshot. Foreign keys and AFTER triggers still see every row, since they run at the end of the
 * statement. Builders whose bindings hold arrays (which `raw` would expand) are sent one by one,
 * and so are large writes (a 200-line PO's lines), where one round trip more is nothing and the
 * combined statement costs more to build than it saves.
 */

const MAX_COMBINED_BINDINGS = 1_000;
import type { Knex } from 'knex';

export async function inOneRoundTrip(trx: Knex | Knex.Transaction, statements: readonly Knex.QueryBuilder[]): Promise<void> {
  if (statements.length === 0) return;
  const compiled = statements.map((statement) => statement.toSQL());
  const bindings = compiled.reduce((total, c) => total + c.bindings.length, 0);
  if (statements.length === 1 || bindings > MAX_COMBINED_BINDINGS || compiled.some((c) => c.bindings.some((binding) => Array.isArray(binding)))) {
    for (const statement of statements) await statement;
    return;
  }
  const last = compiled[compiled.length - 1]!;
  const clauses = compiled.slice(0, -1).map((c, i) => `write_${i} as (${c.sql})`);
  await trx.raw(`with ${clauses.join(', ')} ${last.sql}`, compiled.flatMap((c) => c.bindings) as Knex.RawBinding[]);
}
