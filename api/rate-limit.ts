/**
 * Fixed-window rate limit per API key (per client address for callers without a valid key),
 * announced with the IETF httpapi RateLimit headers (draft-ietf-httpapi-ratelimit-headers):
 *   RateLimit-Policy: "default";q=600;w=60
 *   RateLimit: "default";r=599;t=42
 * The counts live in PostgreSQL (rate-limiter-flexible's store, table `api_rate_limits`), so a key
 * gets `max` requests per window across all API instances, not per instance. When the database
 * fails or does not answer within STORE_TIMEOUT_MS, the request is counted in this instance's
 * memory instead: the limit degrades to per instance for the outage rather than refusing or
 * stalling every request.
 */
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import { RLWrapperTimeouts, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from './errors';

export interface RateLimitOptions {
  windowMs: number;
  max: number;
}

/** Long enough for a busy database, short enough that a hung one does not hold every request. */
const STORE_TIMEOUT_MS = 1_000;

export function createRateLimiter(knex: Knex, options: RateLimitOptions): RateLimiterAbstract {
  const limit = { keyPrefix: 'api', points: options.max, duration: options.windowMs / 1000 };
  const store = new RateLimiterPostgres({
    ...limit,
    storeClient: knex,
    storeType: 'knex',
    tableName: 'api_rate_limits',
    tableCreated: true,
    // A client over its limit is then refused from this instance's memory for the rest of its
    // window: a runaway integration does not cost a database write per request.
    inMemoryBlockOnConsumed: options.max + 1,
  });
  return new RLWrapperTimeouts({
    limiter: store,
    timeoutMs: STORE_TIMEOUT_MS,
    insuranceLimiter: new RateLimiterMemory(limit),
  });
}

export function rateLimit(limiter: RateLimiterAbstract, options: RateLimitOptions): RequestHandler {
  const policy = `"default";q=${options.max};w=${Math.max(1, Math.round(options.windowMs / 1000))}`;
  return async (req, res, next) => {
    const client = req.context.actor?.id ?? `address:${req.ip ?? 'unknown'}`;
    // The limiter answers a spent window by rejecting with the same RateLimiterRes it resolves with.
    const [allowed, counted] = await limiter.consume(client).then(
      (result) => [true, result] as const,
      (refusal: unknown) => {
        if (refusal instanceof RateLimiterRes) return [false, refusal] as const;
        throw refusal;
      },
    );
    const resetSeconds = Math.max(1, Math.ceil(counted.msBeforeNext / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `"default";r=${counted.remainingPoints};t=${resetSeconds}`);
    if (!allowed) {
      throw new RateLimitedError(
        `Rate limit of ${options.max} requests per ${options.windowMs / 1000}s exceeded; retry in ${resetSeconds}s.`,
        resetSeconds,
      );
    }
    next();
  };
}
