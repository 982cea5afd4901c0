/**
 * The AsyncAPI 3.0 document of the events (docs/events.md), generated from the event catalog's zod
 * schemas (`workflows/domain/schemas/event-catalog.ts`): one channel per event type, on NATS JetStream
 * (`p2p.events.<type>`) and on subscribers' webhooks. Served at /v1/asyncapi.json, rendered at
 * /asyncapi.
 */
import { z } from 'zod';
import { EVENT_CATALOG, eventEnvelope, type CatalogEntry } from '../../workflows/domain/schemas/event-catalog';
import { EVENT_EXAMPLES } from './examples';

type Json = Record<string, unknown>;

export const messageKey = (entry: CatalogEntry): string => `${entry.type}.v${entry.version}`;
const envelopeKey = (entry: CatalogEntry): string => `${messageKey(entry)}.envelope`;

/** Where the shared schemas land, and where zod's generated references point. */
const SCHEMAS = '#/components/schemas/';
const SHARED = '__shared';

/**
 * JSON Schema for every payload and envelope, with the schemas they share (PoStatus, GoodsReceipt,
 * …) lifted into components. `additionalProperties: false` is dropped: consumers must ignore fields
 * they do not know, since a version may gain fields (docs/events.md, "Versions").
 */
function componentSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const entry of EVENT_CATALOG) {
    registry.add(entry.payload, { id: messageKey(entry) });
    registry.add(eventEnvelope(entry), { id: envelopeKey(entry) });
  }
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-7', io: 'output', unrepresentable: 'any', uri: (id) => `${SCHEMAS}${id}` });
  const { [SHARED]: shared, ...own } = schemas as Record<string, Json>;
  const all: Record<string, Json> = { ...((shared?.definitions as Record<string, Json> | undefined) ?? {}), ...own };
  return Object.fromEntries(Object.entries(all).map(([key, schema]) => [key, tidy(schema) as Json]));
}

function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const result: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === '$schema' || key === '$id' || (key === 'additionalProperties' && value === false)) continue;
    if (key === '$ref' && typeof value === 'string') result[key] = value.replace(`${SCHEMAS}${SHARED}#/definitions/`, SCHEMAS);
    else if (key === 'example') result.examples = [value];
    else result[key] = tidy(value);
  }
  return result;
}

const DELIVERY_HEADERS: Json = {
  type: 'object',
  description: 'Webhook deliveries carry the Standard Webhooks headers; NATS messages carry Nats-Msg-Id. Both equal the event id.',
  properties: {
    'webhook-id': { type: 'string', description: 'The event id; the same on every retry and redelivery. Deduplicate on it.' },
    'webhook-timestamp': { type: 'string', description: 'Unix seconds of this attempt.' },
    'webhook-signature': { type: 'string', description: 'Space-separated `v1,<base64 HMAC-SHA256>` signatures (two while a secret is rotated).' },
    'Nats-Msg-Id': { type: 'string', description: 'The event id; JetStream drops a repeat within the duplicate window.' },
    'P2p-Event-Type': { type: 'string', description: 'The event type (NATS only).' },
    'P2p-Po-Number': { type: 'string', description: 'The PO number (NATS only).' },
  },
};

let cached: Json | undefined;

/** Built once per process: the catalog is static. */
export function asyncApiDocument(): Json {
  if (cached) return cached;
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const entry of EVENT_CATALOG) {
    const key = messageKey(entry);
    messages[key] = {
      name: entry.type,
      title: entry.type,
      summary: entry.summary,
      contentType: 'application/json',
      headers: { $ref: `${SCHEMAS}DeliveryHeaders` },
      payload: { $ref: `${SCHEMAS}${envelopeKey(entry)}` },
      examples: [
        {
          name: key,
          payload: { id: '0f9c2b1e-5d0e-4e58-9a57-4f1c2d3e4b5a', type: entry.type, timestamp: '2026-11-27T09:30:00.000Z', poNumber: 'PO-10001', data: EVENT_EXAMPLES[entry.type] },
        },
      ],
    };
    channels[entry.type] = {
      address: `p2p.events.${entry.type}`,
      title: entry.type,
      description: `${entry.summary} On NATS the subject is the address; on a webhook the body's \`type\` is \`${entry.type}\`.`,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
    };
    operations[`publish.${entry.type}`] = {
      action: 'send',
      summary: entry.summary,
      channel: { $ref: `#/channels/${entry.type}` },
      messages: [{ $ref: `#/channels/${entry.type}/messages/${key}` }],
    };
  }
  cached = {
    asyncapi: '3.0.0',
    info: {
      title: 'P2P Orchestrator events',
      version: '1.0.0',
      description:
        'Every business event of a purchase order, as published to NATS JetStream (stream P2P_EVENTS) and to webhook subscriptions (POST /v1/subscriptions). Delivery is at least once; deduplicate on the event id.',
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      jetstream: { host: 'localhost:4222', protocol: 'nats', description: 'NATS JetStream at NATS_URL: stream P2P_EVENTS, subjects p2p.events.<type>.' },
      webhooks: { host: 'subscriber.example.com', protocol: 'https', description: "A subscription's URL: Standard Webhooks signed POSTs." },
    },
    channels,
    operations,
    components: { schemas: { DeliveryHeaders: DELIVERY_HEADERS, ...componentSchemas() }, messages },
  };
  return cached;
}
