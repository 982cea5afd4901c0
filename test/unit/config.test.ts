import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertProductionReady, ConfigError, loadConfig, projectRoot } from '../../temporal-config/env';
import { parseApiKeys } from '../../temporal-config/env-values';

describe('configuration from the environment', () => {
  it('starts with no variables at all, on the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.nodeEnv, 'development');
    assert.equal(config.api.port, 3000);
    assert.equal(config.api.host, '127.0.0.1', 'loopback: a development stack is not on the network by accident');
    assert.equal(config.api.bodyLimit, '1mb');
    assert.deepEqual(config.api.rateLimit, { windowMs: 60_000, max: 600 });
    assert.deepEqual(config.api.keys, []);
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.temporal.namespace, 'default');
    assert.equal(config.temporal.taskQueue, 'procure-to-pay');
    assert.equal(config.temporal.uiPort, 8233);
    assert.equal(config.temporal.tls, undefined);
    assert.equal(config.database.url, undefined);
    assert.equal(config.database.embeddedPort, 54329);
    assert.equal(config.database.poolMax, 10);
    assert.equal(config.dataDir, path.join(projectRoot, '.data'));
    assert.deepEqual(config.policy, {
      ackSla: '48h',
      ackReminder: '24h',
      lateDeliveryGrace: '24h',
      exceptionSla: '72h',
      captureDiscounts: true,
      approvalTiers: [],
      approvalSla: '48h',
      disputeSla: '5d',
    });
    assert.deepEqual(config.accountsPayable, { adapter: 'builtin' });
    assert.equal(config.portal.webhookTimeoutMs, 10_000);
    assert.deepEqual(config.outbox, { relayIntervalMs: 1_000, subscriberUrls: [] });
  });

  it('reads a production deployment with Temporal Cloud, an external database and HTTP accounts payable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      API_KEYS: 'buyer-key:procurement, acme-key:supplier:ACME-001 ,ap-key:finance',
      TEMPORAL_ADDRESS: 'p2p.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'p2p.a1b2c',
      TEMPORAL_API_KEY: 'cloud-api-key',
      DATABASE_URL: 'postgres://erp:secret@db.internal:5432/erp',
      DATABASE_POOL_MAX: '25',
      ACK_SLA: '2d',
      EXCEPTION_SLA: '30m',
      CAPTURE_DISCOUNTS: 'false',
      AP_ADAPTER: 'http',
      AP_HTTP_URL: 'https://ap.example.com/api',
      AP_HTTP_TOKEN: 'ap-token',
      EVENT_SUBSCRIBER_URLS: 'https://events.example.com/hook, http://localhost:9000/events',
      EVENT_SIGNING_SECRET: 'whsec',
      DATA_DIR: '/var/lib/p2p',
    });
    assert.equal(config.api.port, 8080);
    assert.deepEqual(config.api.keys, [
      { key: 'buyer-key', role: 'procurement' },
      { key: 'acme-key', role: 'supplier', supplierId: 'ACME-001' },
      { key: 'ap-key', role: 'finance' },
    ]);
    assert.equal(config.temporal.address, 'p2p.a1b2c.tmprl.cloud:7233');
    assert.equal(config.temporal.apiKey, 'cloud-api-key');
    assert.deepEqual(config.temporal.tls, {}, 'an API key implies TLS with system roots');
    assert.equal(config.database.url, 'postgres://erp:secret@db.internal:5432/erp');
    assert.equal(config.database.poolMax, 25);
    assert.equal(config.policy.ackSla, '2d');
    assert.equal(config.policy.exceptionSla, '30m');
    assert.equal(config.policy.captureDiscounts, false);
    assert.deepEqual(config.accountsPayable, { adapter: 'http', url: 'https://ap.example.com/api', token: 'ap-token' });
    assert.deepEqual(config.outbox.subscriberUrls, ['https://events.example.com/hook', 'http://localhost:9000/events']);
    assert.equal(config.dataDir, '/var/lib/p2p');
    assert.doesNotThrow(() => assertProductionReady(config));
  });

  it('binds the API where HOST says, as containers do with 0.0.0.0', () => {
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).api.host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: '' }).api.host, '127.0.0.1');
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '  ', API_KEYS: '' });
    assert.equal(config.api.port, 3000);
    assert.equal(config.database.url, undefined);
    assert.deepEqual(config.api.keys, []);
  });

  it('lets TEMPORAL_TLS=false switch TLS off even with an API key (a local proxy terminates it)', () => {
    const config = loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' });
    assert.equal(config.temporal.tls, undefined);
    assert.deepEqual(loadConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).temporal.tls, {
      serverName: 'temporal.internal',
    });
  });

  it('reads a flag as true/1/yes/on or false/0/no/off in any case, and names what it got otherwise', () => {
    for (const [text, expected] of [['YES', true], [' On ', true], ['1', true], ['Off', false], ['no', false], ['0', false], ['', true]] as const) {
      assert.equal(loadConfig({ CAPTURE_DISCOUNTS: text }).policy.captureDiscounts, expected, JSON.stringify(text));
    }
    assert.throws(() => loadConfig({ CAPTURE_DISCOUNTS: 'y' }), /CAPTURE_DISCOUNTS: expected true or false, got "y"/);
  });

  it('reads approval tiers per currency: USD from 10,000 one approver, from 100,000 two; EUR its own', () => {
    const config = loadConfig({ PO_APPROVAL_TIERS: 'USD>=10000:1, USD>=100000:2,EUR>=9000.50:1', APPROVAL_SLA: '1d', DISPUTE_SLA: '3d' });
    assert.deepEqual(config.policy.approvalTiers, [
      { currency: 'USD', atLeast: '10000', approvals: 1 },
      { currency: 'USD', atLeast: '100000', approvals: 2 },
      { currency: 'EUR', atLeast: '9000.50', approvals: 1 },
    ]);
    assert.equal(config.policy.approvalSla, '1d');
    assert.equal(config.policy.disputeSla, '3d');
    assert.deepEqual(loadConfig({}).policy.approvalTiers, [], 'no tiers: no PO waits for approval');
    assert.equal(loadConfig({}).policy.approvalSla, '48h');
    assert.throws(() => loadConfig({ PO_APPROVAL_TIERS: 'usd>=10:1' }), /PO_APPROVAL_TIERS: entry 1 "usd>=10:1": expected <currency>>=<amount>:<approvers>/);
    assert.throws(() => loadConfig({ PO_APPROVAL_TIERS: 'USD>=10:9' }), /1 to 5 approvers/);
    assert.throws(() => loadConfig({ PO_APPROVAL_TIERS: 'USD>=10:1,USD>=10:2' }), /USD 10 is listed twice/);
  });

  it('accepts approver keys (segregation of duties: approvers are not buyers)', () => {
    assert.deepEqual(loadConfig({ API_KEYS: 'boss-key:approver' }).api.keys, [{ key: 'boss-key', role: 'approver' }]);
  });

  it('names every bad variable at once, so one restart fixes them all', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        ACK_SLA: '48',
        LATE_DELIVERY_GRACE: 'soon',
        CAPTURE_DISCOUNTS: 'maybe',
        AP_ADAPTER: 'http',
        API_KEYS: 'k:boss',
        NODE_ENV: 'staging',
        EVENT_SUBSCRIBER_URLS: 'ftp://files.example.com',
        TEMPORAL_TLS_CERT: '/nonexistent/client.pem',
      });
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ConfigError);
    const message = error.message;
    for (const variable of [
      'PORT',
      'ACK_SLA',
      'LATE_DELIVERY_GRACE',
      'CAPTURE_DISCOUNTS',
      'AP_HTTP_URL',
      'API_KEYS',
      'NODE_ENV',
      'EVENT_SUBSCRIBER_URLS',
      'TEMPORAL_TLS_CERT',
      'TEMPORAL_TLS_KEY',
    ]) {
      assert.match(message, new RegExp(`^  - ${variable}: `, 'm'), `${variable} missing from:\n${message}`);
    }
    assert.equal(error.problems.length, 10);
  });

  it('refuses a production API without keys, and allows a development one', () => {
    assert.throws(() => assertProductionReady(loadConfig({ NODE_ENV: 'production' })), /API_KEYS: required when NODE_ENV=production/);
    assert.doesNotThrow(() => assertProductionReady(loadConfig({ NODE_ENV: 'development' })));
  });
});

describe('tracing and worker sizing settings', () => {
  it('leaves tracing off by default, and when OTEL_SDK_DISABLED=true even with an endpoint', () => {
    assert.deepEqual(loadConfig({}).tracing, { enabled: false, protocol: 'http/protobuf' });
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing.enabled, false);
  });

  it('turns tracing on with an OTLP endpoint, for all signals or traces only, with the protocol and service name given', () => {
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing, { enabled: true, protocol: 'http/protobuf' });
    assert.deepEqual(
      loadConfig({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_SERVICE_NAME: 'p2p-api-eu',
      }).tracing,
      { enabled: true, protocol: 'grpc', serviceName: 'p2p-api-eu' },
    );
  });

  it('refuses an endpoint that is not a URL and a protocol the exporters do not speak', () => {
    assert.throws(
      () => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }),
      (error: ConfigError) =>
        error.problems.some((problem) => problem.startsWith('OTEL_EXPORTER_OTLP_ENDPOINT')) &&
        error.problems.some((problem) => problem.startsWith('OTEL_EXPORTER_OTLP_PROTOCOL')),
    );
  });

  it('reads explicit worker sizing and the health address, and derives whatever is unset', () => {
    assert.deepEqual(loadConfig({}).worker, { sizing: {} });
    const worker = loadConfig({
      WORKER_HEALTH_ADDRESS: '0.0.0.0:8080',
      WORKER_MEMORY_LIMIT_MB: '2048',
      WORKER_MAX_CACHED_WORKFLOWS: '3000',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '30',
      WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '25',
    }).worker;
    assert.deepEqual(worker, {
      healthAddress: '0.0.0.0:8080',
      sizing: {
        memoryLimitBytes: 2048 * 1024 * 1024,
        maxCachedWorkflows: 3000,
        maxConcurrentWorkflowTaskExecutions: 20,
        maxConcurrentActivityTaskExecutions: 30,
        maxConcurrentLocalActivityExecutions: 25,
      },
    });
    assert.throws(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }), /WORKER_MAX_CACHED_WORKFLOWS: expected an integer between 1/);
    assert.throws(() => loadConfig({ WORKER_HEALTH_ADDRESS: '8080' }), /WORKER_HEALTH_ADDRESS: expected host:port/);
  });
});

describe('API_KEYS', () => {
  it('binds each key to a role, and supplier keys to one supplier', () => {
    assert.deepEqual(parseApiKeys('wms-1:warehouse,ops:operator,globex:supplier:GLOBEX'), [
      { key: 'wms-1', role: 'warehouse' },
      { key: 'ops', role: 'operator' },
      { key: 'globex', role: 'supplier', supplierId: 'GLOBEX' },
    ]);
  });

  it('is empty when unset or blank', () => {
    assert.deepEqual(parseApiKeys(undefined), []);
    assert.deepEqual(parseApiKeys(' , '), []);
  });

  it('rejects a supplier key without a supplier, an unknown role, a duplicate key and stray parts', () => {
    assert.throws(() => parseApiKeys('k:supplier'), /entry 1: supplier keys must be bound to a supplier/);
    assert.throws(() => parseApiKeys('k:accountant'), /entry 1: unknown role "accountant"/);
    assert.throws(() => parseApiKeys('k:finance,k:operator'), /entry 2: the same key is configured twice/);
    assert.throws(() => parseApiKeys('k:finance:ACME'), /only supplier keys take a supplierId/);
    assert.throws(() => parseApiKeys('k:supplier:ACME:extra'), /too many/);
    assert.throws(() => parseApiKeys('lonely-key'), /expected key:role/);
  });

  it('names entries the way the caller asks (the development keys file names its properties)', () => {
    const names = ['procurement', 'supplier'];
    assert.throws(
      () => parseApiKeys('k1:procurement,k2:supplier', (index) => `"${names[index]}"`),
      /"supplier": supplier keys must be bound to a supplier/,
    );
  });

  it('never echoes a key in its error messages', () => {
    assert.throws(
      () => parseApiKeys('s3cr3t-value:nobody'),
      (error: Error) => !error.message.includes('s3cr3t-value'),
    );
  });

  it('event delivery: the Svix-like retry schedule by default, another from EVENT_RETRY_SCHEDULE, NATS only with NATS_URL', () => {
    assert.deepEqual(loadConfig({}).events, { retrySchedule: [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] });
    const config = loadConfig({ EVENT_RETRY_SCHEDULE: '0s, 1s, 1m', NATS_URL: 'nats://127.0.0.1:4222,nats://10.0.0.2:4222' });
    assert.deepEqual(config.events, { retrySchedule: [0, 1_000, 60_000], natsUrl: 'nats://127.0.0.1:4222,nats://10.0.0.2:4222' });
    assert.throws(() => loadConfig({ EVENT_RETRY_SCHEDULE: '0s,later' }), /EVENT_RETRY_SCHEDULE: expected durations/);
    assert.throws(() => loadConfig({ NATS_URL: 'http://127.0.0.1:4222' }), /NATS_URL: expected nats:\/\/host:port/);
  });

  it('EDI: our identity ZZ/P2PORCH by default, GS id from the ISA id unless set; the inbox off unless EDI_INBOX_DIR', () => {
    assert.deepEqual(loadConfig({}).edi, { sender: { qualifier: 'ZZ', id: 'P2PORCH', gsId: 'P2PORCH' }, inboxIntervalMs: 5_000 });
    const config = loadConfig({ EDI_SENDER_QUALIFIER: '01', EDI_SENDER_ID: '123456789', EDI_SENDER_GS_ID: 'DISTAPP', EDI_INBOX_DIR: '/srv/edi/in', EDI_INBOX_INTERVAL_MS: '1000' });
    assert.deepEqual(config.edi, { sender: { qualifier: '01', id: '123456789', gsId: 'DISTAPP' }, inboxDir: '/srv/edi/in', inboxIntervalMs: 1_000 });
    assert.throws(() => loadConfig({ EDI_SENDER_QUALIFIER: 'zzz' }), /EDI_SENDER_QUALIFIER: expected a two-character ISA qualifier/);
    assert.throws(() => loadConfig({ EDI_SENDER_ID: 'A'.repeat(16) }), /EDI_SENDER_ID: expected 1 to 15/);
  });
});
