/**
 * Console sessions and CSRF (docs/console.md, "Sign-in and sessions"; docs/adr/0091-console-sessions-in-postgresql.md).
 *
 * - A session id is 32 random bytes in an HttpOnly, SameSite=Strict cookie scoped to /console
 *   (Secure when the request came over TLS); the server keeps only its SHA-256, with the actor
 *   the API key resolved to (never the key), a CSRF token and the expiry.
 * - Every POST carries the session's CSRF token (a hidden `_csrf` field, or `X-CSRF-Token`);
 *   sign-in, which has no session yet, uses a double-submit token in its own cookie.
 * - A session ends at its expiry, at sign-out, or as soon as its key is no longer configured.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { ConsoleSession, ConsoleSessionsPort } from '../../activities/ports';
import type { ApiKey } from '../../temporal-config/env';
import { durationToMs } from '../../workflows/domain/calendar';
import type { Actor } from '../../workflows/domain/state';
import { actorForKey, ApiKeyRing } from '../auth';

export const SESSION_COOKIE = 'p2p_console';
export const SIGN_IN_COOKIE = 'p2p_console_sign_in';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const COOKIE_PATH = '/console';
/** The sign-in form's token lives as long as someone may reasonably take to paste a key. */
const SIGN_IN_TOKEN_MS = 60 * 60 * 1000;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

/** Constant time in the presented token. */
export function sameToken(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = Buffer.from(sha256(expected));
  const b = Buffer.from(sha256(presented));
  return timingSafeEqual(a, b);
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Secure behind TLS: directly, or through a proxy that says so. */
function overTls(req: Request): boolean {
  return req.secure || req.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function setCookie(req: Request, res: Response, name: string, value: string, maxAgeMs: number): void {
  res.cookie(name, value, { httpOnly: true, sameSite: 'strict', secure: overTls(req), path: COOKIE_PATH, maxAge: maxAgeMs });
}

export function clearCookie(req: Request, res: Response, name: string): void {
  res.clearCookie(name, { httpOnly: true, sameSite: 'strict', secure: overTls(req), path: COOKIE_PATH });
}

export interface SignedIn extends ConsoleSession {
  sessionHash: string;
}

export class ConsoleSessionManager {
  private readonly keyRing: ApiKeyRing;
  /** Actor ids whose key is configured now: a session of a removed key ends at its next request. */
  private readonly configuredActors: Set<string>;
  readonly ttlMs: number;

  constructor(
    private readonly sessions: ConsoleSessionsPort,
    keys: readonly ApiKey[],
    ttl: string,
  ) {
    this.keyRing = new ApiKeyRing(keys);
    this.configuredActors = new Set(keys.map((key) => actorForKey(key).id));
    this.ttlMs = durationToMs(ttl);
  }

  /** The token the sign-in form must send back, also set in its own cookie (double submit). */
  signInToken(req: Request, res: Response): string {
    const existing = readCookie(req, SIGN_IN_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const token = newToken();
    setCookie(req, res, SIGN_IN_COOKIE, token, SIGN_IN_TOKEN_MS);
    return token;
  }

  signInTokenMatches(req: Request, presented: unknown): boolean {
    const cookie = readCookie(req, SIGN_IN_COOKIE);
    return cookie !== undefined && sameToken(cookie, presented);
  }

  /** The actor of a configured key, or undefined: a wrong key is refused, whatever it is. */
  identify(apiKey: string): Actor | undefined {
    return apiKey.length === 0 || apiKey.length > 512 ? undefined : this.keyRing.identify(apiKey);
  }

  async start(req: Request, res: Response, actor: Actor, now = new Date()): Promise<void> {
    const sessionId = newToken();
    await this.sessions.create(sha256(sessionId), { actor, csrfToken: newToken(), expiresAt: new Date(now.getTime() + this.ttlMs) });
    // Expired rows go now and then, on sign-in, rather than by a timer of their own.
    if (Math.random() < 0.05) await this.sessions.removeExpired(now);
    setCookie(req, res, SESSION_COOKIE, sessionId, this.ttlMs);
    clearCookie(req, res, SIGN_IN_COOKIE);
  }

  async current(req: Request): Promise<SignedIn | undefined> {
    const sessionId = readCookie(req, SESSION_COOKIE);
    if (!sessionId || !/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return undefined;
    const sessionHash = sha256(sessionId);
    const session = await this.sessions.find(sessionHash);
    if (!session) return undefined;
    if (!this.configuredActors.has(session.actor.id)) {
      await this.sessions.remove(sessionHash);
      return undefined;
    }
    return { ...session, sessionHash };
  }

  async end(req: Request, res: Response, session: SignedIn | undefined): Promise<void> {
    if (session) await this.sessions.remove(session.sessionHash);
    clearCookie(req, res, SESSION_COOKIE);
  }
}
