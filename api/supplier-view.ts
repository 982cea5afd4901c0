/**
 * What a supplier key sees: every successful answer to a supplier passes through `supplierView`,
 * one projection at the API's edge (the `/v1` middleware below, and the Idempotency-Key records,
 * which store the answer as sent). It leaves out the buyer's side of the relationship:
 *
 * - the buyer's policy: tolerances, SLAs, discount capture, approval tiers and their SLAs (the
 *   payment terms stay: they are the contract both sides signed);
 * - the buyer's approvals of the PO and its change orders;
 * - request and body hashes (`requestHash`, `bodyHash`);
 * - who did what on the buyer's side: an actor is only its role (`{role, id: role}`), a timeline
 *   entry's actor its role;
 * - tolerances in match reasons, which keep their code, expected and actual values
 *   (`withoutTolerance`, workflows/domain/matching.ts).
 *
 * The schemas below describe the result in the OpenAPI document, and the tests check every answer a
 * supplier key gets against them (test/api/supplier-view.test.ts).
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import {
  ActorRole,
  AsnRecord,
  CreditMemoRecord,
  CreditSettlement,
  ExceptionView,
  InvoiceOutcome,
  InvoiceView,
  MatchLine,
  MatchReason,
  MatchResult,
  PoPolicy,
  PurchaseOrderView,
  ReasonCode,
  ReceiptRecord,
  ReturnRecord,
  Supplier,
} from '../workflows/domain/schemas';
import { withoutTolerance } from '../workflows/domain/matching';
import type { MatchReason as MatchReasonValue } from '../workflows/domain/state';

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
  if (isMatchReason(object)) return withoutTolerance(object);
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

/** The body a response to this caller carries: projected for a supplier's successful answers, as is otherwise. */
export function presentedBody(role: string | undefined, status: number, body: unknown): unknown {
  return role === 'supplier' && status < 400 ? supplierView(body) : body;
}

/** `/v1` middleware: every JSON answer to a supplier key goes through the projection. */
export const supplierResponses: RequestHandler = (req, res, next) => {
  const role = req.context.actor?.role;
  if (role === 'supplier') {
    const json = res.json.bind(res);
    res.json = (body: unknown) => json(presentedBody(role, res.statusCode, body));
  }
  next();
};

// ---------------------------------------------------------------------------------------------
// The projection's result, for the OpenAPI document
// ---------------------------------------------------------------------------------------------

const SupplierMatchReason = MatchReason.omit({ tolerance: true }).meta({
  id: 'SupplierMatchReason',
  description: 'A match reason as a supplier key sees it: no tolerance (for QTY_EXCEEDS_RECEIVED, `expected` is the received quantity).',
});
const SupplierMatchResult = MatchResult.extend({
  reasons: z.array(SupplierMatchReason),
  lines: z.array(MatchLine.extend({ reasons: z.array(SupplierMatchReason) })),
});

export const SupplierPurchaseOrderView = PurchaseOrderView.omit({ requestHash: true, policy: true, approvals: true })
  .extend({
    policy: PoPolicy.pick({ paymentTerms: true, supplierHold: true }),
    asns: z.array(AsnRecord.omit({ bodyHash: true })),
    receipts: z.array(ReceiptRecord.omit({ bodyHash: true })),
    invoices: z.array(InvoiceView.omit({ bodyHash: true }).extend({ match: SupplierMatchResult })),
    creditMemos: z.array(CreditMemoRecord.omit({ bodyHash: true }).extend({ settledBy: CreditSettlement.omit({ bodyHash: true }).optional() })),
    returns: z.array(ReturnRecord.omit({ bodyHash: true })),
    exceptions: z.array(ExceptionView.extend({ reasons: z.array(SupplierMatchReason) })),
  })
  .meta({
    id: 'SupplierPurchaseOrder',
    description:
      'A purchase order as a supplier key sees it: without the buyer\'s policy (tolerances, SLAs, discount capture), approvals, request and body hashes, or who on the buyer\'s side acted (actors are roles).',
  });

export const SupplierRecordForSupplier = Supplier.omit({ tolerances: true, slas: true }).meta({
  id: 'SupplierForSupplier',
  description: 'A supplier record as its own supplier key sees it: without the buyer\'s tolerances and SLAs.',
});

export const SupplierInvoiceOutcome = InvoiceOutcome.extend({ match: SupplierMatchResult }).meta({
  id: 'SupplierInvoiceOutcome',
  description: 'An invoice\'s outcome as a supplier key sees it: match reasons without tolerances.',
});

const AS_A_SUPPLIER_SEES_IT = new Map<z.ZodType, z.ZodType>([
  [PurchaseOrderView, SupplierPurchaseOrderView],
  [InvoiceOutcome, SupplierInvoiceOutcome],
  [Supplier, SupplierRecordForSupplier],
]);

/**
 * The response schema of an answer a supplier key may get: the full shape, or the projection's
 * (for the OpenAPI document; a schema the projection does not touch stays as it is).
 */
export function orAsASupplierSeesIt(full: z.ZodType): z.ZodType {
  const projected = AS_A_SUPPLIER_SEES_IT.get(full);
  return projected ? z.union([full, projected]) : full;
}
