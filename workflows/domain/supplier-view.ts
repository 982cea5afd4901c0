/**
 * What a supplier may see of the buyer's records: one projection, applied to every answer the API
 * gives a supplier key (api/supplier-view.ts) and to every notification a supplier's webhook
 * receives (activities/supplier-portal/webhook.ts). It leaves out the buyer's side of the
 * relationship:
 *
 * - the buyer's policy: tolerances, SLAs, discount capture, approval tiers and their SLAs (the
 *   payment terms stay: they are the contract both sides signed);
 * - the buyer's approvals of the PO and its change orders;
 * - request and body hashes (`requestHash`, `bodyHash`);
 * - who did what on the buyer's side: an actor is only its role (`{role, id: role}`), a timeline
 *   entry's actor its role;
 * - tolerances in match reasons, which keep their code, expected and actual values
 *   (`withoutTolerance`, ./matching.ts).
 *
 * It works on the shape of the data, not per endpoint, so a new answer is covered as it is.
 * Not imported by the workflow (it reads the zod enums).
 */
import { withoutTolerance } from './matching';
import { ActorRole, ReasonCode } from './schemas/enums';
import type { MatchReason as MatchReasonValue } from './state';

/** Fields a supplier never sees, wherever they are in an answer. */
const HIDDEN_FIELDS = new Set([
  'requestHash',
  'bodyHash',
  'tolerances',
  'slas',
  'captureDiscounts',
  'approvalTiers',
  'approvalSla',
  'disputeSla',
  'approvals',
]);

const ACTOR_FIELDS = new Set(['role', 'id', 'supplierId']);
const ROLES = new Set<string>(ActorRole.options);
const REASON_CODES = new Set<string>(ReasonCode.options);

function isActor(value: Record<string, unknown>): boolean {
  return typeof value.role === 'string' && ROLES.has(value.role) && typeof value.id === 'string' && Object.keys(value).every((key) => ACTOR_FIELDS.has(key));
}

function isMatchReason(value: Record<string, unknown>): value is MatchReasonValue {
  return typeof value.code === 'string' && REASON_CODES.has(value.code) && 'expected' in value && 'actual' in value && 'tolerance' in value;
}

/** `procurement#3f2a9c` → `procurement`: the role, not the key or the person. */
function roleOf(actorId: string): string {
  return actorId.split('#')[0]!;
}

function project(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(project);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (isMatchReason(object)) {
    if (typeof object.message === 'string') return withoutTolerance(object);
    const { tolerance: _tolerance, ...rest } = object;
    return rest;
  }
  if (isActor(object)) {
    const role = object.role as string;
    return { role, id: role, ...(typeof object.supplierId === 'string' ? { supplierId: object.supplierId } : {}) };
  }
  const projected: Record<string, unknown> = {};
  for (const [field, member] of Object.entries(object)) {
    if (HIDDEN_FIELDS.has(field)) continue;
    // A timeline entry names its actor by id.
    projected[field] = field === 'actor' && typeof member === 'string' ? roleOf(member) : project(member);
  }
  return projected;
}

/** The answer as a supplier key may see it (idempotent: projecting twice changes nothing more). */
export function supplierView(body: unknown): unknown {
  return project(body);
}
