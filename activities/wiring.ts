/**
 * Builds the adapters from configuration: the one place that decides which ERP, portal, AP and
 * outbox implementations a process uses.
 */
import type { Knex } from 'knex';
import type { AppConfig } from '../temporal-config/env';
import type { AccountsPayablePort, ConsoleSessionsPort, DeadLettersPort, EdiPort, FinancePort, IdempotencyRecordsPort, Ports, ReadModelPort, SubscriptionsPort, WorkQueuePort } from './ports';
import { BuiltinAccountsPayable } from './accounts-payable/builtin';
import { HttpAccountsPayable } from './accounts-payable/http';
import type { AdapterLog } from './errors';
import { KnexEdi } from './edi/knex-edi';
import { KnexErp } from './erp/knex-erp';
import { KnexFinance } from './erp/knex-finance';
import { KnexIdempotencyRecords } from './erp/knex-idempotency';
import { KnexReadModel } from './erp/knex-read-model';
import { KnexWorkQueue } from './erp/knex-work-queue';
import { KnexConsoleSessions } from './erp/knex-console-sessions';
import { KnexDeadLetters } from './events/dead-letters';
import { EventRelay } from './events/relay';
import { DEFAULT_RETRY_SCHEDULE_MS, duplicateWindowMs } from './events/retry-schedule';
import { KnexSubscriptions } from './events/subscriptions';
import { WebhookSupplierPortal } from './supplier-portal/webhook';

export interface PortDependencies {
  config: Pick<AppConfig, 'accountsPayable' | 'portal' | 'outbox'> & Partial<Pick<AppConfig, 'events' | 'edi'>>;
  knex: Knex;
  logger: AdapterLog;
}

/** The concrete adapters, so the worker can run the relay loop (`outbox.start` / `outbox.stop`). */
export interface WiredPorts extends Ports {
  outbox: EventRelay;
}

/** What the API reads and keeps: the ERP's read model and the Idempotency-Key records. */
export interface ApiPorts {
  readModel: ReadModelPort;
  idempotency: IdempotencyRecordsPort;
  /** Supplier payment holds and the finance reports. */
  finance: FinancePort;
  subscriptions: SubscriptionsPort;
  deadLetters: DeadLettersPort;
  /** EDI trading partners, control numbers and the interchange log. */
  edi: EdiPort;
  /** Open exceptions, journals, the buyers' list and payments (docs/console.md). */
  workQueue: WorkQueuePort;
  consoleSessions: ConsoleSessionsPort;
}

export function createApiPorts(knex: Knex, logger?: AdapterLog, options: { idempotencyLeaseMs?: number } = {}): ApiPorts {
  return {
    readModel: new KnexReadModel(knex),
    idempotency: new KnexIdempotencyRecords(knex, options.idempotencyLeaseMs === undefined ? {} : { leaseMs: options.idempotencyLeaseMs }),
    finance: new KnexFinance(knex),
    subscriptions: new KnexSubscriptions(knex, logger),
    deadLetters: new KnexDeadLetters(knex, logger),
    edi: new KnexEdi(knex),
    workQueue: new KnexWorkQueue(knex),
    consoleSessions: new KnexConsoleSessions(knex),
  };
}

export function createPorts({ config, knex, logger }: PortDependencies): WiredPorts {
  const erp = new KnexErp(knex, logger);
  const portal = new WebhookSupplierPortal(knex, erp, { timeoutMs: config.portal.webhookTimeoutMs }, logger);
  return {
    erp,
    portal,
    ap: createAccountsPayable(config.accountsPayable, knex),
    outbox: createEventRelay(config, knex, logger),
  };
}

/** The relay of outbox events (subscriptions, NATS) and queued supplier notifications. */
export function createEventRelay(config: PortDependencies['config'], knex: Knex, logger: AdapterLog): EventRelay {
  const retrySchedule = config.events?.retrySchedule;
  const natsUrl = config.events?.natsUrl;
  return new EventRelay(
    knex,
    {
      ...(retrySchedule ? { retrySchedule } : {}),
      timeoutMs: config.portal.webhookTimeoutMs,
      seed: { urls: config.outbox.subscriberUrls, ...(config.outbox.signingSecret === undefined ? {} : { secret: config.outbox.signingSecret }) },
      ...(natsUrl ? { nats: { url: natsUrl, duplicateWindowMs: duplicateWindowMs(retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS) } } : {}),
      ...(config.edi ? { edi: { sender: config.edi.sender } } : {}),
    },
    logger,
  );
}

function createAccountsPayable(settings: AppConfig['accountsPayable'], knex: Knex): AccountsPayablePort {
  if (settings.adapter === 'http') {
    // env.ts already refuses AP_ADAPTER=http without AP_HTTP_URL; this guards hand-built configs.
    if (!settings.url) throw new Error('accountsPayable.url is required for the http AP adapter (AP_HTTP_URL)');
    return new HttpAccountsPayable({ url: settings.url, ...(settings.token === undefined ? {} : { token: settings.token }) });
  }
  return new BuiltinAccountsPayable(knex);
}
