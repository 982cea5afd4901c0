/**
 * Bearer API keys and the role matrix (docs/api.md, "Authentication" and "Endpoints and roles"). Keys are never logged: callers are
 * identified by a label derived from a hash of their key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { ApiKey } from '../temporal-config/env';
import type { Role } from '../workflows/domain/schemas';
import type { Actor } from '../workflows/domain/state';
import { ForbiddenError, NotFoundError, UnauthorizedError } from './errors';
import { recordRoute } from './request-context';

interface KnownKey {
  digest: Buffer;
  actor: Actor;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `procurement#3f2a9c`: stable across restarts and instances, useless to an attacker. */
export function actorForKey(apiKey: ApiKey): Actor {
  const label = sha256(apiKey.key).toString('hex').slice(0, 6);
  return {
    role: apiKey.role,
    id: `${apiKey.role}#${label}`,
    ...(apiKey.supplierId !== undefined ? { supplierId: apiKey.supplierId } : {}),
  };
}

export class ApiKeyRing {
  private readonly known: KnownKey[];

  constructor(keys: readonly ApiKey[]) {
    this.known = keys.map((key) => ({ digest: sha256(key.key), actor: actorForKey(key) }));
  }

  /**
   * Constant time in the presented key: both sides are hashed to equal-length digests, and every
   * configured key is compared (no early exit), so timing reveals neither a prefix nor which key.
   */
  identify(presentedKey: string): Actor | undefined {
    const presented = sha256(presentedKey);
    let match: Actor | undefined;
    for (const candidate of this.known) {
      if (timingSafeEqual(candidate.digest, presented) && match === undefined) match = candidate.actor;
    }
    return match;
  }
}

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

/**
 * Identifies the caller when a known key is presented; does not refuse anyone yet, so that the
 * rate limiter can count failed attempts per client before `requireCaller` answers 401.
 */
export function identifyCaller(keyRing: ApiKeyRing): RequestHandler {
  return (req, _res, next) => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    const actor = match ? keyRing.identify(match[1]!) : undefined;
    if (actor) req.context.actor = actor;
    next();
  };
}

export const requireCaller: RequestHandler = (req, _res, next) => {
  if (!req.context.actor) throw new UnauthorizedError();
  next();
};

/** The caller, after `requireCaller`. */
export function callerOf(req: Request): Actor {
  const actor = req.context.actor;
  if (!actor) throw new UnauthorizedError();
  return actor;
}

/** 403 unless the caller has one of `roles`. */
export function allowRoles(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    recordRoute(req);
    const actor = callerOf(req);
    if (!roles.includes(actor.role as Role)) {
      throw new ForbiddenError(`The ${actor.role} role may not do this; allowed: ${roles.join(', ')}.`);
    }
    next();
  };
}

/**
 * A supplier sees only its own records. Another supplier's record answers exactly like a
 * missing one (404, same message), so record numbers do not leak.
 */
export function assertSupplierMaySee(actor: Actor, ownerSupplierId: string, notFoundMessage: string, code?: string): void {
  if (actor.role === 'supplier' && actor.supplierId !== ownerSupplierId) throw new NotFoundError(notFoundMessage, code);
}
