/** The event delivery operations of the HTTP API: subscriptions, dead letters, the AsyncAPI document. */
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import * as wire from '../../workflows/domain/schemas/subscriptions';
import { AUTHENTICATED, IdempotencyKeyHeader, json, problems } from './components';

const exampleSubscription: wire.Subscription = {
  id: 'sub_5b0c2f7e9a4d4c1b8e3f6a2d',
  url: 'https://wms.example.com/hooks/p2p',
  eventTypes: ['goods.received', 'inventory.*'],
  description: 'Warehouse management system',
  enabled: true,
  disabledReason: null,
  source: 'api',
  hasSecret: true,
  previousSecretExpiresAt: null,
  delivery: { behind: 0, retrying: 0, waiting: 0, deadLetters: 0, pausedUntil: null },
  createdAt: '2026-11-27T09:30:00.000Z',
  updatedAt: '2026-11-27T09:30:00.000Z',
};

const exampleDeadLetter: wire.DeadLetter = {
  id: '7d3c1f52-8a0b-4d6e-9c3a-1b2e4f6a8c0d',
  subscriptionId: exampleSubscription.id,
  supplierId: null,
  messageId: '0f9c2b1e-5d0e-4e58-9a57-4f1c2d3e4b5a',
  eventType: 'goods.received',
  poNumber: 'PO-10001',
  occurredAt: '2026-11-27T09:30:00.000Z',
  url: exampleSubscription.url,
  attempts: 8,
  lastStatus: 503,
  lastError: 'https://wms.example.com/hooks/p2p answered 503',
  failedAt: '2026-11-28T13:41:07.000Z',
  redrivenAt: null,
};

const OPERATOR = 'Roles: operator.';
const subscriptionPath = z.object({ subscriptionId: z.string() });
const idempotencyHeader = z.object({ 'Idempotency-Key': IdempotencyKeyHeader });

export function eventPaths(): ZodOpenApiPathsObject {
  return {
    '/v1/subscriptions': {
      post: {
        operationId: 'createSubscription',
        tags: ['Events'],
        summary: 'Subscribe a webhook URL to events',
        description: `${OPERATOR} Event types are exact (\`goods.received\`), a prefix (\`invoice.*\`) or \`*\`. Without a secret one is generated and answered once. The subscription receives events recorded from now on.`,
        requestParams: { header: idempotencyHeader },
        requestBody: { required: true, content: json(wire.SubscriptionInput, { url: exampleSubscription.url, eventTypes: exampleSubscription.eventTypes, description: 'Warehouse management system' }) },
        responses: {
          '201': { description: 'Created; `secret` is present when it was generated.', content: json(wire.SubscriptionCreated, { ...exampleSubscription, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) },
          ...problems(400, ...AUTHENTICATED, 409, 413, 415),
        },
      },
      get: {
        operationId: 'listSubscriptions',
        tags: ['Events'],
        summary: 'List subscriptions with their delivery state',
        description: OPERATOR,
        responses: { '200': { description: 'Every subscription.', content: json(z.object({ items: z.array(wire.Subscription) }), { items: [exampleSubscription] }) }, ...problems(...AUTHENTICATED) },
      },
    },
    '/v1/subscriptions/{subscriptionId}': {
      get: {
        operationId: 'getSubscription',
        tags: ['Events'],
        summary: 'Read a subscription',
        description: OPERATOR,
        requestParams: { path: subscriptionPath },
        responses: { '200': { description: 'The subscription.', content: json(wire.Subscription, exampleSubscription) }, ...problems(...AUTHENTICATED, 404) },
      },
      patch: {
        operationId: 'updateSubscription',
        tags: ['Events'],
        summary: 'Change, disable, enable or rotate the secret of a subscription',
        description: `${OPERATOR} A new \`secret\` is rotated in: deliveries are signed with both until \`previousSecretValidFor\` (default 24h) has passed. Enabling again resumes where it stopped.`,
        requestParams: { path: subscriptionPath, header: idempotencyHeader },
        requestBody: { required: true, content: json(wire.SubscriptionPatch, { secret: 'whsec_bmV3LXNlY3JldC1mb3ItdGhlLXdtcw==', previousSecretValidFor: '24h' }) },
        responses: { '200': { description: 'The subscription as stored.', content: json(wire.Subscription, exampleSubscription) }, ...problems(400, ...AUTHENTICATED, 404, 409, 413, 415) },
      },
      delete: {
        operationId: 'deleteSubscription',
        tags: ['Events'],
        summary: 'Delete a subscription, its pending deliveries and its dead letters',
        description: OPERATOR,
        requestParams: { path: subscriptionPath },
        responses: { '204': { description: 'Deleted.' }, ...problems(...AUTHENTICATED, 404) },
      },
    },
    '/v1/subscriptions/{subscriptionId}/redrive': {
      post: {
        operationId: 'redriveSubscription',
        tags: ['Events'],
        summary: 'Deliver everything recorded since a time again',
        description: `${OPERATOR} Every event the subscription wants that was recorded since \`since\` is delivered again, with its original \`webhook-id\`; its dead letters among them are marked redriven.`,
        requestParams: { path: subscriptionPath, header: idempotencyHeader },
        requestBody: { required: true, content: json(wire.RedriveSince, { since: '2026-11-27T00:00:00Z' }) },
        responses: {
          '202': { description: 'Queued.', content: json(wire.RedriveAccepted, { subscriptionId: exampleSubscription.id, since: '2026-11-27T00:00:00.000Z', events: 42, deadLetters: 1 }) },
          ...problems(400, ...AUTHENTICATED, 404, 409, 413, 415),
        },
      },
    },
    '/v1/dead-letters': {
      get: {
        operationId: 'listDeadLetters',
        tags: ['Events'],
        summary: 'Deliveries that failed their last attempt, newest first',
        description: `${OPERATOR} Redriven ones only with \`includeRedriven=true\`.`,
        requestParams: { query: wire.DeadLetterQuery },
        responses: {
          '200': { description: 'One page.', content: json(z.object({ items: z.array(wire.DeadLetter), nextCursor: z.string().nullable() }), { items: [exampleDeadLetter], nextCursor: null }) },
          ...problems(400, ...AUTHENTICATED),
        },
      },
    },
    '/v1/dead-letters/{deadLetterId}/redrive': {
      post: {
        operationId: 'redriveDeadLetter',
        tags: ['Events'],
        summary: 'Deliver a dead letter again, with the same webhook-id',
        description: OPERATOR,
        requestParams: { path: z.object({ deadLetterId: z.string() }), header: idempotencyHeader },
        responses: { '202': { description: 'Queued.', content: json(wire.DeadLetter, { ...exampleDeadLetter, redrivenAt: '2026-11-29T08:00:00.000Z' }) }, ...problems(...AUTHENTICATED, 404, 409) },
      },
    },
    '/v1/asyncapi.json': {
      get: {
        operationId: 'asyncApiDocument',
        tags: ['Events'],
        summary: 'The AsyncAPI 3.0 document of every event (rendered at /asyncapi)',
        security: [],
        responses: { '200': { description: 'The document.', content: { 'application/json': { schema: z.looseObject({ asyncapi: z.string() }), example: { asyncapi: '3.0.0' } } } } },
      },
    },
    '/asyncapi': {
      get: {
        operationId: 'asyncApiPage',
        tags: ['Events'],
        summary: 'The event catalog as a page',
        security: [],
        responses: { '200': { description: 'An HTML page.', content: { 'text/html': { schema: z.string(), example: '<!doctype html>' } } } },
      },
    },
  };
}
