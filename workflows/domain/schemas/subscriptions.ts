/**
 * The wire contract of event subscriptions and dead letters (docs/events.md): what operators send
 * to `/v1/subscriptions` and `/v1/dead-letters`, and what they get back. Secrets are write-only.
 */
import { z } from 'zod';
import { EventTypeFilter } from './event-catalog';
import { DurationString, IsoDateTime, PoNumber, SupplierId } from './scalars';

const Timestamp = z.string().meta({ description: 'ISO 8601 instant.', example: '2026-11-27T09:30:00.000Z' });
const WebhookUrl = z.url({ protocol: /^https?$/ }).max(2000).meta({ example: 'https://wms.example.com/hooks/p2p' });
/** Like a supplier's webhook secret; `whsec_<base64>` is used as its decoded key (docs/architecture.md, "Supplier portal"). */
const SigningSecret = z.string().min(16).max(256).meta({ description: 'Signing secret (write-only).', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });

export const SubscriptionSource = z.enum(['api', 'config']).meta({ id: 'SubscriptionSource' });
export type SubscriptionSource = z.infer<typeof SubscriptionSource>;

export const SubscriptionInput = z
  .object({
    url: WebhookUrl,
    eventTypes: z.array(EventTypeFilter).min(1).max(100),
    /** Generated (and answered once, in the 201) when absent. */
    secret: SigningSecret.optional(),
    description: z.string().trim().max(500).optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .meta({ id: 'SubscriptionInput' });
export type SubscriptionInput = z.infer<typeof SubscriptionInput>;

export const SubscriptionPatch = z
  .object({
    url: WebhookUrl.optional(),
    eventTypes: z.array(EventTypeFilter).min(1).max(100).optional(),
    description: z.string().trim().max(500).nullable().optional(),
    enabled: z.boolean().optional(),
    /** A new secret: the current one keeps being signed with too, for `previousSecretValidFor`. */
    secret: SigningSecret.optional(),
    previousSecretValidFor: DurationString.optional().meta({ description: 'How long the current secret keeps signing beside the new one; default 24h.', example: '24h' }),
  })
  .strict()
  .refine((patch) => Object.keys(patch).some((key) => key !== 'previousSecretValidFor'), 'nothing to change')
  .refine((patch) => patch.previousSecretValidFor === undefined || patch.secret !== undefined, {
    message: 'previousSecretValidFor goes with a new secret',
    path: ['previousSecretValidFor'],
  })
  .meta({ id: 'SubscriptionPatch' });
export type SubscriptionPatch = z.infer<typeof SubscriptionPatch>;

export const SubscriptionDeliveryState = z.object({
  /** Events after the subscription's cursor that it has not taken yet (counted up to 10,000). */
  behind: z.number().int(),
  /** Deliveries that failed and wait for their next attempt. */
  retrying: z.number().int(),
  /** Later events of the same POs, waiting behind those. */
  waiting: z.number().int(),
  /** Dead letters not yet redriven. */
  deadLetters: z.number().int(),
  /** Set while the endpoint is taken to be down. */
  pausedUntil: Timestamp.nullable(),
});

export const Subscription = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    /** Why the relay disabled it (a `410 Gone`), if it did. */
    disabledReason: z.string().nullable(),
    /** `config` when seeded from EVENT_SUBSCRIBER_URLS. */
    source: SubscriptionSource,
    hasSecret: z.boolean(),
    /** While a rotated-out secret still signs deliveries. */
    previousSecretExpiresAt: Timestamp.nullable(),
    delivery: SubscriptionDeliveryState,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Subscription', description: 'An event subscription; its secret is never returned.' });
export type Subscription = z.infer<typeof Subscription>;

export const SubscriptionCreated = Subscription.extend({
  /** Only when the API generated it: keep it, it is not shown again. */
  secret: z.string().optional(),
}).meta({ id: 'SubscriptionCreated' });
export type SubscriptionCreated = z.infer<typeof SubscriptionCreated>;

export const RedriveSince = z.object({ since: IsoDateTime }).strict().meta({ id: 'RedriveSince' });

export const RedriveAccepted = z
  .object({
    subscriptionId: z.string(),
    since: Timestamp,
    /** Events recorded since then that the subscription's filter wants: each is delivered again. */
    events: z.number().int(),
    /** Dead letters of those events, now marked redriven. */
    deadLetters: z.number().int(),
  })
  .meta({ id: 'RedriveAccepted' });
export type RedriveAccepted = z.infer<typeof RedriveAccepted>;

export const DeadLetter = z
  .object({
    id: z.string(),
    /** Exactly one of subscriptionId and supplierId is set. */
    subscriptionId: z.string().nullable(),
    supplierId: z.string().nullable(),
    /** The `webhook-id` of every attempt and of a redelivery. */
    messageId: z.string(),
    eventType: z.string(),
    poNumber: z.string(),
    occurredAt: Timestamp,
    url: z.string().nullable(),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    failedAt: Timestamp,
    redrivenAt: Timestamp.nullable(),
  })
  .meta({ id: 'DeadLetter' });
export type DeadLetter = z.infer<typeof DeadLetter>;

export const DeadLetterQuery = z
  .object({
    subscriptionId: z.string().min(1).max(64).optional(),
    supplierId: SupplierId.optional(),
    type: z.string().min(1).max(64).optional(),
    poNumber: PoNumber.optional(),
    /** Failed at or after. */
    since: IsoDateTime.optional(),
    /** Failed before. */
    until: IsoDateTime.optional(),
    includeRedriven: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict()
  .meta({ id: 'DeadLetterQuery' });
export type DeadLetterQuery = z.infer<typeof DeadLetterQuery>;
