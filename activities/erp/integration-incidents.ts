/**
 * Integration failures as the ERP keeps them, for the resolution-time KPI (docs/operations.md,
 * "KPIs"): an activity attempt that failed opens an incident under its workflow and activity id;
 * the next success of the same kind of call for that PO closes it (../incidents.ts decides when
 * to look, so a success with no incident behind it costs no query).
 */
import type { Knex } from 'knex';
import type { IncidentRecorder } from '../incidents';

export class KnexIncidentRecorder implements IncidentRecorder {
  constructor(private readonly knex: Knex) {}

  async failed(incident: { key: string; kind: string; subject: string; poNumber?: string; at: string; error: string }): Promise<void> {
    await this.reopenIfResolved(incident.key);
    await this.knex('integration_incidents')
      .insert({
        incident_key: incident.key,
        kind: incident.kind,
        subject: incident.subject,
        po_number: incident.poNumber ?? null,
        first_failed_at: incident.at,
        last_error: incident.error.slice(0, 2000),
      })
      .onConflict('incident_key')
      .merge({ last_error: incident.error.slice(0, 2000), failures: this.knex.raw('integration_incidents.failures + 1') });
  }

  async succeeded(key: string, at: string): Promise<void> {
    await this.knex('integration_incidents').where({ incident_key: key }).whereNull('resolved_at').update({ resolved_at: at });
  }

  /** A later failure of a resolved incident starts a new one. */
  async reopenIfResolved(key: string): Promise<void> {
    await this.knex('integration_incidents').where({ incident_key: key }).whereNotNull('resolved_at').delete();
  }
}
