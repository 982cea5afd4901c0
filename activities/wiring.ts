/**
 * Builds the adapters from configuration: the one place that decides which ERP, portal, AP and
 * outbox implementations a process uses.
 */
import type { Knex } from 'knex';
import type { AppConfig } from '../temporal-config/env';
import type { AccountsPayablePort, FinancePort, IdempotencyRecordsPort, Ports, ReadModelPort } from './ports';
import { BuiltinAccountsPayable } from './accounts-payable/builtin';
import { HttpAccountsPayable } from './accounts-payable/http';
import type { AdapterLog } from './errors';
import { KnexErp } from './erp/knex-erp';
import { KnexFinance } from './erp/knex-finance';
import { KnexIdempotencyRecords } from './erp/knex-idempotency';
import { KnexReadModel } from './erp/knex-read-model';
import { OutboxRelay } from './erp/outbox-relay';
import { SupplierNotificationRelay } from './supplier-portal/queue';
import { WebhookSupplierPortal } from './supplier-portal/webhook';

export interface PortDependencies {
  config: Pick<AppConfig, 'accountsPayable' | 'portal' | 'outbox'>;
  knex: Knex;
  logger: AdapterLog;
}

/** The concrete adapters, so the worker can run the relay loop (`outbox.start` / `outbox.stop`). */
export interface WiredPorts extends Ports {
  outbox: OutboxRelay;
  /** Delivers the supplier notifications queued with business events. */
  notifications: SupplierNotificationRelay;
}

/** What the API reads and keeps: the ERP's read model and the Idempotency-Key records. */
export interface ApiPorts {
  readModel: ReadModelPort;
  idempotency: IdempotencyRecordsPort;
  /** Supplier payment holds and the finance reports. */
  finance: FinancePort;
}

export function createApiPorts(knex: Knex): ApiPorts {
  return { readModel: new KnexReadModel(knex), idempotency: new KnexIdempotencyRecords(knex), finance: new KnexFinance(knex) };
}

export function createPorts({ config, knex, logger }: PortDependencies): WiredPorts {
  const erp = new KnexErp(knex, logger);
  const portal = new WebhookSupplierPortal(knex, erp, { timeoutMs: config.portal.webhookTimeoutMs }, logger);
  return {
    erp,
    portal,
    notifications: new SupplierNotificationRelay(knex, portal, {}, logger),
    ap: createAccountsPayable(config.accountsPayable, knex),
    outbox: new OutboxRelay(
      knex,
      {
        subscriberUrls: config.outbox.subscriberUrls,
        ...(config.outbox.signingSecret === undefined ? {} : { signingSecret: config.outbox.signingSecret }),
        timeoutMs: config.portal.webhookTimeoutMs,
      },
      logger,
    ),
  };
}

function createAccountsPayable(settings: AppConfig['accountsPayable'], knex: Knex): AccountsPayablePort {
  if (settings.adapter === 'http') {
    // env.ts already refuses AP_ADAPTER=http without AP_HTTP_URL; this guards hand-built configs.
    if (!settings.url) throw new Error('accountsPayable.url is required for the http AP adapter (AP_HTTP_URL)');
    return new HttpAccountsPayable({ url: settings.url, ...(settings.token === undefined ? {} : { token: settings.token }) });
  }
  return new BuiltinAccountsPayable(knex);
}
