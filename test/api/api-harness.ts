/**
 * The API under test over real HTTP: `createApp` listening on 127.0.0.1:0, a fresh migrated
 * PostgreSQL database, and a Temporal client (real, or a lazy one pointing nowhere for tests
 * that must not reach a workflow). Log lines are captured so tests can assert on them.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import winston from 'winston';
import type { ReadModelPort } from '../../activities/ports';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { createApp } from '../../api/app';
import { answerClientErrors } from '../../api/request-context';
import { loadConfig } from '../../temporal-config/env';
import type { AppConfig } from '../../temporal-config/env';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';

export const KEYS = {
  procurement: 'proc-key-0123456789',
  warehouse: 'wh-key-0123456789',
  finance: 'fin-key-0123456789',
  operator: 'ops-key-0123456789',
  acme: 'acme-key-0123456789',
  globex: 'globex-key-0123456789',
} as const;

export type KeyName = keyof typeof KEYS;

export const API_KEYS_ENV = [
  `${KEYS.procurement}:procurement`,
  `${KEYS.warehouse}:warehouse`,
  `${KEYS.finance}:finance`,
  `${KEYS.operator}:operator`,
  `${KEYS.acme}:supplier:ACME`,
  `${KEYS.globex}:supplier:GLOBEX`,
].join(',');

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Awaits an API call and asserts its status (the body in the message when it is not): the answer, for reading. */
export async function ok(response: Promise<ApiResponse>, status = 200): Promise<ApiResponse<any>> {
  const answered = await response;
  assert.equal(answered.status, status, answered.text);
  return answered;
}

export interface RequestOptions {
  key?: KeyName | string;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface ApiUnderTest {
  baseUrl: string;
  config: AppConfig;
  database: TestDatabase;
  client: Client;
  logLines: Record<string, unknown>[];
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment for loadConfig (e.g. API_RATE_LIMIT_MAX). */
  env?: Record<string, string>;
  /** A connected client; default: a lazy client to an address where nothing listens. */
  client?: Client;
  /** Wraps the real read model, e.g. to count or fail calls. */
  wrapReadModel?: (readModel: ReadModelPort) => ReadModelPort;
  database?: TestDatabase;
}

export async function startApi(options: StartOptions = {}): Promise<ApiUnderTest> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    API_KEYS: API_KEYS_ENV,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'info',
    // A worker on a busy test machine may take more than the production default to answer; the
    // tests about workers that are down set their own, shorter one.
    WORKER_QUERY_TIMEOUT_MS: '20000',
    ...options.env,
  });
  const logLines: Record<string, unknown>[] = [];
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.json(),
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer, _encoding, callback) {
            logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
            callback();
          },
        }),
      }),
    ],
  });
  const ownClient = options.client === undefined;
  // Nothing listens there, and one attempt is enough: Temporal being down is what these tests want.
  const client =
    options.client ??
    new Client({
      connection: Connection.lazy({
        address: '127.0.0.1:1',
        connectTimeout: 500,
        interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
      }),
    });
  const readModel = options.wrapReadModel?.(new KnexReadModel(database.knex));
  const app = createApp({ config, client, knex: database.knex, logger, ...(readModel ? { ports: { readModel } } : {}) });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  // As api/main.ts does: requests Node refuses before Express still carry an x-request-id.
  answerClientErrors(server);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    config,
    database,
    client,
    logLines,
    async request(method, path, requestOptions = {}) {
      const headers: Record<string, string> = { ...requestOptions.headers };
      const key = requestOptions.key;
      if (key !== undefined) headers.authorization = `Bearer ${key in KEYS ? KEYS[key as KeyName] : key}`;
      let body: string | undefined;
      if (requestOptions.rawBody !== undefined) body = requestOptions.rawBody;
      else if (requestOptions.body !== undefined) body = JSON.stringify(requestOptions.body);
      if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Not JSON (metrics, docs): keep the text.
      }
      return { status: response.status, headers: response.headers, body: parsed as any, text };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownClient) await client.connection.close().catch(() => undefined);
      if (!options.database) await database.drop();
    },
  };
}

/** The configuration of a worker or API on the test's database and Temporal namespace, with the test keys. */
export function stackConfig(database: TestDatabase, address: string, namespace: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    API_KEYS: API_KEYS_ENV,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    LOG_LEVEL: 'warn',
    ...env,
  });
}

export const ALL_KEYS: KeyName[] = ['procurement', 'warehouse', 'finance', 'operator', 'acme', 'globex'];

/** Asserts the RFC 9457 shape every error must have, and that nothing internal leaks. */
export function problemShape(response: ApiResponse<any>): { type: string; title: string; status: number; detail: string; code?: string } {
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/problem+json')) throw new Error(`expected problem+json, got ${contentType}: ${response.text}`);
  const body = response.body as Record<string, unknown>;
  for (const field of ['type', 'title', 'detail']) {
    if (typeof body[field] !== 'string') throw new Error(`problem without ${field}: ${response.text}`);
  }
  if (body.status !== response.status) throw new Error(`problem status ${String(body.status)} differs from HTTP ${response.status}`);
  if (/\bat .+\(.*:\d+:\d+\)|node_modules|\.ts:\d+/.test(response.text)) throw new Error(`stack trace leaked: ${response.text}`);
  return body as any;
}

/**
 * Validates bodies against the OpenAPI document's own schemas (JSON Schema 2020-12, as OpenAPI
 * 3.1 uses), e.g. a real response against what the document promises for that status.
 */
export function openApiValidator(document: object) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  const pointer = (...segments: string[]) => segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const check = (ref: string, value: unknown): string | null => {
    let validate = compiled.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: ref });
      compiled.set(ref, validate);
    }
    return validate(value) ? null : ajv.errorsText(validate.errors, { separator: '; ' });
  };
  return {
    response(method: string, pathTemplate: string, status: number, mediaType: string, body: unknown): string | null {
      return check(`openapi.json#/${pointer('paths', pathTemplate, method.toLowerCase(), 'responses', String(status), 'content', mediaType, 'schema')}`, body);
    },
    requestBody(method: string, pathTemplate: string, body: unknown): string | null {
      return check(`openapi.json#/${pointer('paths', pathTemplate, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema')}`, body);
    },
  };
}

/** Asserts a response is what the OpenAPI document promises for its operation, status and media type. */
export function conformance(document: object): (method: string, template: string, response: ApiResponse) => void {
  const validator = openApiValidator(JSON.parse(JSON.stringify(document)) as object);
  return (method, template, response) => {
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!;
    const body = mediaType.startsWith('text/') ? response.text : response.body;
    const error = validator.response(method, template, response.status, mediaType, body);
    if (error !== null) throw new Error(`${method} ${template} ${response.status} does not match the OpenAPI document: ${error}\n${response.text.slice(0, 500)}`);
  };
}
