/**
 * The worker's probes (workers/health.ts): ready only while it polls, alive until it has failed,
 * so Kubernetes takes a draining worker out of rotation without killing it mid-task.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { State } from '@temporalio/worker';
import { startHealthServer, type HealthServer } from '../../workers/health';

describe('the worker health endpoint', () => {
  let state: State = 'INITIALIZED';
  let server: HealthServer;
  const probe = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    server = await startHealthServer('127.0.0.1:0', () => state);
  });
  after(() => server.close());

  it('is alive but not ready before the worker polls', async () => {
    assert.deepEqual(await probe('/healthz'), { status: 200, body: { status: 'ok', state: 'INITIALIZED' } });
    assert.deepEqual(await probe('/readyz'), { status: 503, body: { status: 'not_ready', state: 'INITIALIZED' } });
  });

  it('is ready while RUNNING', async () => {
    state = 'RUNNING';
    assert.deepEqual(await probe('/readyz'), { status: 200, body: { status: 'ready', state: 'RUNNING' } });
  });

  it('stays alive but leaves rotation while it drains on a deploy', async () => {
    state = 'DRAINING';
    assert.equal((await probe('/readyz')).status, 503);
    assert.equal((await probe('/healthz')).status, 200);
  });

  it('reports a failed worker as not alive, and unknown paths as 404', async () => {
    state = 'FAILED';
    assert.deepEqual(await probe('/healthz'), { status: 503, body: { status: 'failed', state: 'FAILED' } });
    assert.equal((await probe('/metrics')).status, 404);
  });
});
