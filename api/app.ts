/**
 * The HTTP API (docs/api.md) as an Express app: thin over the PO workflows (commands are Updates,
 * reads are the `status` query) and the ERP read model (listing, suppliers, KPIs).
 *
 * Order matters: request id and secure headers first; public ops endpoints; then /v1 behind
 * caller identification, rate limiting, authentication and the body limit; one problem+json
 * error middleware last.
 */
import express from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type winston from 'winston';
import type { ApiPorts } from '../activities/wiring';
import { createApiPorts } from '../activities/wiring';
import { assertProductionReady } from '../temporal-config/env';
import type { AppConfig } from '../temporal-config/env';
import { ApiKeyRing, identifyCaller, requireCaller } from './auth';
import { guardJsonBody, requireJsonContentType } from './body-guards';
import { problemMiddleware, unknownRoute } from './errors';
import { idempotencyKeys } from './idempotency';
import { ApiMetrics } from './metrics';
import { createRateLimiter, rateLimit } from './rate-limit';
import { requestContext } from './request-context';
import { asyncApiRouter } from './routes/asyncapi';
import { documentsRouter } from './routes/documents';
import { deadLettersRouter, subscriptionsRouter } from './routes/event-delivery';
import { kpisRouter, publicOpsRouter } from './routes/ops';
import { PurchaseOrderGateway } from './gateway';
import { purchaseOrdersRouter } from './routes/purchase-orders';
import { suppliersRouter } from './routes/suppliers';
import { ediRouter } from './routes/edi';
import { EdiInbound } from './edi/inbound';
import { financeRouter } from './routes/finance';
import { reportsRouter } from './routes/reports';
import { supplierHoldsRouter } from './routes/supplier-holds';
import { WorkerAvailability } from './worker-availability';
import { supplierResponses } from './supplier-view';
import { workQueueRouter } from './routes/work-queue';
import { consoleRouter } from './console/router';

export interface AppDependencies {
  config: AppConfig;
  client: Client;
  knex: Knex;
  logger: winston.Logger;
  /** Default to the reference ERP's read model on `knex`; tests or a real-ERP deployment may pass others. */
  ports?: Partial<ApiPorts>;
  /** Hands out the inbound EDI service, e.g. for the inbox directory watcher (api/main.ts). */
  onEdiInbound?: (inbound: EdiInbound) => void;
}

export function createApp(deps: AppDependencies): express.Express {
  const { config, client, knex, logger } = deps;
  // An API without keys would refuse everyone; in production that is a misconfiguration, not a mode.
  assertProductionReady(config);
  const { readModel, idempotency, finance, subscriptions, deadLetters, edi, workQueue, consoleSessions } = { ...createApiPorts(knex, logger, { idempotencyLeaseMs: config.api.idempotencyLeaseMs }), ...deps.ports };
  const metrics = new ApiMetrics();
  const workers = new WorkerAvailability(client, config.temporal.taskQueue);
  const gateway = new PurchaseOrderGateway(client, undefined, readModel, { workerTimeoutMs: config.api.workerQueryTimeoutMs, workers });
  const idempotent = idempotencyKeys(idempotency, logger);
  const ediInbound = new EdiInbound({ edi, gateway, readModel, sender: config.edi.sender, logger });
  deps.onEdiInbound?.(ediInbound);
  const rateLimitOptions = config.api.rateLimit;
  const rateLimiter = createRateLimiter(knex, rateLimitOptions);

  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(logger, metrics));
  // Helmet's strict defaults hold everywhere (the docs page serves its scripts from this origin),
  // except upgrade-insecure-requests: the API is often reached over plain HTTP inside a network or
  // a compose stack, where upgrading the docs' asset URLs to https would break the page.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));

  app.use(publicOpsRouter({ client, readModel, metrics, workers }));
  app.use(asyncApiRouter());
  // The web console (docs/console.md): its own session, CSRF and CSP; the same ports and commands.
  app.use('/console', consoleRouter({ config, readModel, workQueue, consoleSessions, gateway, rateLimit: rateLimit(rateLimiter, rateLimitOptions), logger }));

  const v1 = express.Router();
  v1.use(identifyCaller(new ApiKeyRing(config.api.keys)));
  v1.use(rateLimit(rateLimiter, rateLimitOptions));
  v1.use(requireCaller);
  // Before the JSON body parser: an interchange is X12 text.
  v1.use('/edi', ediRouter({ edi, inbound: ediInbound, bodyLimit: config.api.bodyLimit }));
  v1.use(supplierResponses);
  v1.use(express.json({ limit: config.api.bodyLimit, type: ['application/json', 'application/*+json'] }));
  v1.use(requireJsonContentType);
  v1.use(guardJsonBody);
  v1.use('/suppliers', suppliersRouter({ readModel, idempotent }));
  v1.use('/purchase-orders', purchaseOrdersRouter({ client, readModel, gateway, idempotent, edi, workflowTaskTimeoutMs: config.recovery.workflowTaskTimeoutMs }));
  v1.use('/purchase-orders', documentsRouter({ readModel, gateway, idempotent }));
  v1.use('/purchase-orders', financeRouter({ readModel, gateway, idempotent }));
  v1.use('/suppliers', supplierHoldsRouter({ finance, gateway, idempotent }));
  v1.use(kpisRouter({ readModel }));
  v1.use(reportsRouter({ finance }));
  v1.use(workQueueRouter({ workQueue }));
  v1.use('/subscriptions', subscriptionsRouter({ subscriptions, idempotent }));
  v1.use('/dead-letters', deadLettersRouter({ deadLetters, idempotent }));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(problemMiddleware(logger));
  return app;
}
