/** The baseline's one activity: one row, one transaction (bench/raw/workflows.ts). */
import type { Knex } from 'knex';

export const RAW_TABLE = 'bench_raw_steps';

export interface StepRecord {
  workflowId: string;
  step: number;
  payload: Record<string, unknown>;
}

export async function createRawTable(knex: Knex): Promise<void> {
  await knex.raw(`create table if not exists ${RAW_TABLE} (
    workflow_id text not null, step integer not null, payload jsonb not null, recorded_at timestamptz not null default now(),
    primary key (workflow_id, step))`);
}

export function createRawActivities(knex: Knex) {
  return {
    async recordStep(record: StepRecord): Promise<void> {
      await knex.transaction((trx) =>
        trx(RAW_TABLE).insert({ workflow_id: record.workflowId, step: record.step, payload: JSON.stringify(record.payload) }).onConflict(['workflow_id', 'step']).ignore(),
      );
    },
  };
}
