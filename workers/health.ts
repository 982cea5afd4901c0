/**
 * The worker's probes on WORKER_HEALTH_ADDRESS (docs/operations.md#kubernetes): `/readyz` answers
 * 200 while the worker polls (state RUNNING) and 503 otherwise, so a draining worker leaves a
 * Service's endpoints; `/healthz` answers 200 until the worker has failed, so an orchestrator never
 * kills a worker that is still finishing its tasks.
 */
import http from 'node:http';
import type { State } from '@temporalio/worker';

export interface HealthServer {
  /** The bound port (useful with port 0 in tests). */
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(address: string, state: () => State): Promise<HealthServer> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  const server = http.createServer((req, res) => {
    const current = state();
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ...body, state: current }));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') answer(405, { status: 'method_not_allowed' });
    else if (path === '/readyz') answer(current === 'RUNNING' ? 200 : 503, { status: current === 'RUNNING' ? 'ready' : 'not_ready' });
    else if (path === '/healthz') answer(current === 'FAILED' ? 503 : 200, { status: current === 'FAILED' ? 'failed' : 'ok' });
    else answer(404, { status: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  return {
    port: typeof bound === 'object' && bound ? bound.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
