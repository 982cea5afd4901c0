/**
 * Integration failure resolution time: an AP call that fails and succeeds on a later attempt opens
 * and closes one incident, and the KPI reports it; business refusals are not integration failures.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from '@temporalio/activity';
import { KnexIncidentRecorder } from '../../activities/erp/integration-incidents';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { incidentInterceptor } from '../../activities/incidents';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';

function context(activityType: string, attempt: number): Context {
  return { info: { workflowExecution: { workflowId: 'purchase-order:PO-INC', runId: 'r' }, activityType, activityId: String(attempt), attempt } } as unknown as Context;
}

describe('integration incidents', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it('an AP outage retried to success is one resolved incident; a duplicate invoice is none', async () => {
    const intercept = incidentInterceptor(new KnexIncidentRecorder(database.knex));
    const call = (activityType: string, attempt: number, outcome: () => Promise<unknown>) =>
      intercept(context(activityType, attempt)).inbound!.execute!({ args: [{ payment: { poNumber: 'PO-INC' } }], headers: {} }, outcome);

    await assert.rejects(call('payInvoice', 1, () => Promise.reject(new Error('connect ECONNREFUSED ap.internal'))));
    const open = await new KnexReadModel(database.knex).kpis(new Date());
    assert.deepEqual([open.integrationFailureResolution.open, open.integrationFailureResolution.resolved], [1, 0]);

    await call('payInvoice', 2, () => Promise.resolve({ paymentId: 'PAY-1' }));
    const refusal = Object.assign(new Error('duplicate'), { type: 'DUPLICATE_INVOICE' });
    await assert.rejects(call('recordBusinessEvent', 1, () => Promise.reject(refusal)));

    const rows = await database.knex('integration_incidents').select('subject', 'po_number', 'resolved_at', 'last_error');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].subject, 'payInvoice');
    assert.equal(rows[0].po_number, 'PO-INC');
    assert.ok(rows[0].resolved_at);
    assert.match(rows[0].last_error, /ECONNREFUSED/);
    const kpis = await new KnexReadModel(database.knex).kpis(new Date());
    assert.equal(kpis.integrationFailureResolution.resolved, 1);
    assert.equal(kpis.integrationFailureResolution.open, 0);
    assert.ok((kpis.integrationFailureResolution.averageMinutes ?? -1) >= 0);
  });
});
