/**
 * Fixed-window rate limit per API key (per client address for callers without a valid key),
 * announced with the IETF httpapi RateLimit headers (draft-ietf-httpapi-ratelimit-headers):
 *   RateLimit-Policy: "default";q=600;w=60
 *   RateLimit: "default";r=599;t=42
 * In memory per API instance: with N instances behind a balancer a key gets up to N × max, which
 * is acceptable for a guard against runaway integrations (it is not a billing quota).
 */
import type { RequestHandler } from 'express';
import { RateLimitedError } from './errors';

export interface RateLimitOptions {
  windowMs: number;
  max: number;
  /** Injected clock for tests. */
  now?: () => number;
}

interface Window {
  startedAt: number;
  count: number;
}

/** Above this many tracked clients, expired windows are swept before adding another. */
const SWEEP_THRESHOLD = 10_000;

export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts one request for `client`; reports what remains and when the window resets. */
  take(client: string): { allowed: boolean; remaining: number; resetSeconds: number } {
    const now = this.now();
    let window = this.windows.get(client);
    if (!window || now - window.startedAt >= this.options.windowMs) {
      if (!window && this.windows.size >= SWEEP_THRESHOLD) this.sweep(now);
      window = { startedAt: now, count: 0 };
      this.windows.set(client, window);
    }
    window.count += 1;
    const resetSeconds = Math.max(1, Math.ceil((window.startedAt + this.options.windowMs - now) / 1000));
    return {
      allowed: window.count <= this.options.max,
      remaining: Math.max(0, this.options.max - window.count),
      resetSeconds,
    };
  }

  private sweep(now: number): void {
    for (const [client, window] of this.windows) {
      if (now - window.startedAt >= this.options.windowMs) this.windows.delete(client);
    }
  }
}

export function rateLimit(limiter: FixedWindowRateLimiter, options: RateLimitOptions): RequestHandler {
  const policy = `"default";q=${options.max};w=${Math.max(1, Math.round(options.windowMs / 1000))}`;
  return (req, res, next) => {
    const client = req.context.actor?.id ?? `address:${req.ip ?? 'unknown'}`;
    const { allowed, remaining, resetSeconds } = limiter.take(client);
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `"default";r=${remaining};t=${resetSeconds}`);
    if (!allowed) {
      throw new RateLimitedError(
        `Rate limit of ${options.max} requests per ${options.windowMs / 1000}s exceeded; retry in ${resetSeconds}s.`,
        resetSeconds,
      );
    }
    next();
  };
}
