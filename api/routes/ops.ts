/**
 * Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document and its
 * rendered docs (public, for probes and scrapers), and the KPIs (finance and operators).
 */
import path from 'node:path';
import express, { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { ReadModelPort } from '../../activities/ports';
import { z } from 'zod';
import { allowRoles } from '../auth';
import { InputError, zodIssuesToErrors } from '../errors';
import type { ApiMetrics } from '../metrics';
import type { WorkerAvailability } from '../worker-availability';
import { openApiDocument } from '../openapi';

/** A probe must answer quickly even when a dependency hangs. */
const READINESS_TIMEOUT_MS = 3_000;

function withTimeout<T>(operation: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}

/** A short, non-sensitive reason for a failed check (no hosts, no credentials). */
function reason(error: unknown): string {
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  if (typeof code === 'number') return `grpc code ${code}`;
  if (typeof message === 'string' && /did not answer/.test(message)) return 'timeout';
  return typeof name === 'string' ? name : 'error';
}

async function check(probe: () => Promise<unknown>, what: string): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(probe(), READINESS_TIMEOUT_MS, what);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: reason(error) };
  }
}

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>P2P Orchestrator API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/p2p-initializer.js"></script>
</body>
</html>
`;

/** A file rather than an inline script, so the strict Content-Security-Policy (helmet) holds. */
const DOCS_INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    // No call to the public online validator: the docs must work offline.
    validatorUrl: null,
  });
};
`;

export interface OpsRouteDeps {
  client: Client;
  readModel: Pick<ReadModelPort, 'ping'>;
  metrics: ApiMetrics;
  /** Whether any worker polls the PO task queue (reported, not required: reads fall back to the ERP snapshot). */
  workers: Pick<WorkerAvailability, 'check'>;
}

/** Unauthenticated: orchestrators' probes and Prometheus carry no API key. */
export function publicOpsRouter({ client, readModel, metrics, workers }: OpsRouteDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [temporal, database, workerCheck] = await Promise.all([
      check(() => client.workflowService.getSystemInfo({}), 'Temporal'),
      check(() => readModel.ping(), 'database'),
      workers.check(),
    ]);
    // The API itself is ready without workers (PO reads fall back to the ERP snapshot, commands
    // answer 503 WORKER_UNAVAILABLE): taking it out of rotation would only turn those into errors.
    const ready = temporal.ok && database.ok;
    const { temporalAnswered: _temporalAnswered, ...workersReport } = workerCheck;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { temporal, database, workers: workersReport } });
  });

  router.get('/metrics', async (_req, res) => {
    const { contentType, text } = await metrics.render();
    res.type(contentType).send(text);
  });

  router.get('/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  // Swagger UI from the swagger-ui-dist package: the docs work without internet access.
  const swaggerUiDirectory = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  router.get(['/docs', '/docs/', '/docs/index.html'], (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });
  router.get('/docs/p2p-initializer.js', (_req, res) => {
    res.type('application/javascript').send(DOCS_INITIALIZER);
  });
  router.use('/docs', express.static(swaggerUiDirectory, { index: false, fallthrough: true, maxAge: '1h' }));

  return router;
}

export const KpiQuery = z.object({ grniOlderThanDays: z.coerce.number().int().min(0).max(3650).optional() }).strict().meta({ id: 'KpiQuery' });

/** Mounted under /v1 behind authentication. */
export function kpisRouter({ readModel }: { readModel: Pick<ReadModelPort, 'kpis'> }): Router {
  const router = Router();
  router.get('/kpis', allowRoles('finance', 'operator'), async (req, res) => {
    const parsed = KpiQuery.safeParse(req.query);
    if (!parsed.success) throw new InputError('The query parameters are invalid.', zodIssuesToErrors(parsed.error));
    res.json(await readModel.kpis(new Date(), parsed.data));
  });
  return router;
}
