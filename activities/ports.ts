/**
 * The systems around the orchestrator, as interfaces (docs/architecture.md, "Ports and adapters").
 * The write side is what the activities use; the read model is what the API uses. The reference
 * adapters (knex on PostgreSQL, signed webhooks, built-in/HTTP AP) implement them, and a real ERP
 * (NetSuite, SAP, Odoo, Dynamics) can be plugged in beside them. Adapters report refusals with the
 * typed errors of ./errors.ts.
 */
import type { z } from 'zod';
import type {
  ApAgingReport as ApAgingReportSchema,
  GrniAccrualReport as GrniAccrualReportSchema,
  Kpis as KpisSchema,
  PaymentHoldRequest,
  PpvReport as PpvReportSchema,
  SupplierInput,
  TrialBalanceReport as TrialBalanceReportSchema,
} from '../workflows/domain/schemas';
import type { ExceptionSort, OpenException, PaymentWorkItem, PostedJournalEntry, PurchaseOrderWorkItem } from '../workflows/domain/schemas/work-queue';
import type { Actor, InvoiceState, PaymentHold, PoPolicy, PoStatus, PoView, PurchaseOrderSummary, Supplier } from '../workflows/domain/state';
import type { BusinessEventRecord, EventRecord, PaymentExecution, SupplierNotification } from '../workflows/purchase-order/activity-contract';
import type {
  DeadLetter,
  DeadLetterQuery,
  RedriveAccepted,
  Subscription,
  SubscriptionCreated,
  SubscriptionInput,
  SubscriptionPatch,
} from '../workflows/domain/schemas/subscriptions';
import type {
  EdiInterchange,
  EdiInterchangeListQuery,
  EdiInterchangeStatus,
  EdiProfile,
  EdiReceivedAcknowledgement,
  EdiSetOutcome,
  PurchaseOrderEdi,
} from '../workflows/domain/schemas/edi';

export type { BusinessEventRecord, EventRecord, PaymentExecution, SupplierNotification };

/** Supplier record including what only the adapters may see. */
export interface SupplierRecord extends Supplier {
  webhookSecret: string | null;
}

// ---------------------------------------------------------------------------------------------
// Write side: the ERP as the activities record into it
// ---------------------------------------------------------------------------------------------

export interface ErpPort {
  /** The supplier as the ERP holds it (terms, tolerances, webhook), or undefined. */
  getSupplier(supplierId: string): Promise<SupplierRecord | undefined>;
  /** Records one business event that carries the PO after it; throws DuplicateInvoiceError, UnbalancedJournalError. */
  recordBusinessEvent(record: BusinessEventRecord): Promise<{ applied: boolean }>;
  /** Records one business event from the PO's own events (folded by the ERP), notifications included. */
  recordEvent(record: EventRecord): Promise<{ applied: boolean }>;
  /** The policy a recorded PO was issued with (its snapshot's), or undefined if the ERP has no such PO. */
  issuedPolicy(poNumber: string): Promise<PoPolicy | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Read model: what the API reads (and the master data and request records it keeps)
// ---------------------------------------------------------------------------------------------

export type DuplicateInvoiceCheck =
  | { kind: 'none' }
  | { kind: 'same'; poNumber: string }
  | { kind: 'conflict'; poNumber: string };

export interface PurchaseOrderListFilter {
  status?: PoStatus;
  supplierId?: string;
  hasException?: boolean;
  limit: number;
  cursor?: string;
}

export type Kpis = z.infer<typeof KpisSchema>;

export interface ReadModelPort {
  upsertSupplier(supplierId: string, input: SupplierInput): Promise<{ supplier: Supplier; created: boolean }>;
  getSupplier(supplierId: string): Promise<SupplierRecord | undefined>;
  /** Invoices are unique per supplier and normalised invoice number, across all POs. */
  checkDuplicateInvoice(supplierId: string, invoiceNumber: string, bodyHash: string): Promise<DuplicateInvoiceCheck>;
  /** Newest first; throws InvalidCursorError for a cursor it did not hand out. */
  listPurchaseOrders(filter: PurchaseOrderListFilter): Promise<{ items: PurchaseOrderSummary[]; nextCursor: string | null }>;
  /** The PO's full state as of its latest recorded event (readable after workflow retention). */
  getPurchaseOrderSnapshot(poNumber: string): Promise<PoView | undefined>;
  /** Whose PO it is, once its issue is recorded; undefined before that, or for an unknown number. */
  purchaseOrderSupplier(poNumber: string): Promise<string | undefined>;
  /** Sum of debits minus credits per account, optionally for one PO: for invariants and ops. */
  accountBalances(poNumber?: string): Promise<Record<string, string>>;
  /** `grniOlderThanDays`: GRNI older than this holds up the period close (default 30). */
  kpis(now?: Date, options?: { grniOlderThanDays?: number }): Promise<Kpis>;
  ping(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Finance: supplier payment holds and the reports (docs/accounting.md, "Reports")
// ---------------------------------------------------------------------------------------------

export type GrniAccrualReport = z.infer<typeof GrniAccrualReportSchema>;
export type ApAgingReport = z.infer<typeof ApAgingReportSchema>;
export type PpvReport = z.infer<typeof PpvReportSchema>;
export type TrialBalanceReport = z.infer<typeof TrialBalanceReportSchema>;

/** A supplier-wide hold as the ERP keeps it; `holdId` names it on every PO it reaches. */
export type SupplierHold = PaymentHold & { holdId: string };

export type SupplierHoldPlacementResult =
  | { outcome: 'placed' | 'same'; hold: SupplierHold }
  | { outcome: 'conflict'; hold: SupplierHold }
  | { outcome: 'unknown_supplier' };

export interface FinancePort {
  /** Records the supplier's hold (one in force at a time); the same hold again is `same`. */
  placeSupplierHold(supplierId: string, request: PaymentHoldRequest, actor: Actor, at: string): Promise<SupplierHoldPlacementResult>;
  /** Releases the hold in force, or names the last released one (so a retried release fans out again). */
  releaseSupplierHold(supplierId: string, actor: Actor, at: string): Promise<{ hold: SupplierHold; released: boolean } | undefined>;
  /** POs of the supplier that are neither closed nor cancelled: where a supplier hold must go. */
  openPurchaseOrderNumbers(supplierId: string): Promise<string[]>;
  grniAccrual(asOf: string, now?: Date): Promise<GrniAccrualReport>;
  apAging(asOf: string, now?: Date): Promise<ApAgingReport>;
  ppv(from: string, to: string, now?: Date): Promise<PpvReport>;
  trialBalance(asOf: string, now?: Date): Promise<TrialBalanceReport>;
}

// ---------------------------------------------------------------------------------------------
// Work queue: what finance, buyers and suppliers work through (docs/console.md)
// ---------------------------------------------------------------------------------------------

export interface OpenExceptionFilter {
  supplierId?: string;
  /** A reason code of the match (PRICE_VARIANCE, …) or an exception code (PAYMENT_FAILED). */
  reason?: string;
  sort: ExceptionSort;
  limit: number;
  cursor?: string;
}

export interface PurchaseOrderWorkFilter {
  /** Every status but closed and cancelled. */
  open?: boolean;
  supplierId?: string;
  limit: number;
  cursor?: string;
}

export interface WorkQueuePort {
  /** Open exceptions across POs, one page; throws InvalidCursorError for a cursor it did not hand out. */
  listOpenExceptions(filter: OpenExceptionFilter, now?: Date): Promise<{ items: OpenException[]; nextCursor: string | null }>;
  /** One exception while it is open, else undefined. */
  findOpenException(poNumber: string, exceptionId: string, now?: Date): Promise<OpenException | undefined>;
  /** The journal entries the PO posted, oldest first; undefined for a PO the ERP does not know. */
  journal(poNumber: string): Promise<PostedJournalEntry[] | undefined>;
  /** POs newest first with their open quantity. */
  listPurchaseOrderWork(filter: PurchaseOrderWorkFilter): Promise<{ items: PurchaseOrderWorkItem[]; nextCursor: string | null }>;
  /** The latest payment attempt of invoices whose payment ran (executed, sent, cleared, failed), newest first. */
  listPayments(limit: number): Promise<PaymentWorkItem[]>;
}

/** A signed-in console browser: who it is (never the API key), its CSRF token, and when it ends. */
export interface ConsoleSession {
  actor: Actor;
  csrfToken: string;
  expiresAt: Date;
}

export interface ConsoleSessionsPort {
  /** Keyed by a hash of the session id: the id itself is only ever in the browser's cookie. */
  create(sessionHash: string, session: ConsoleSession): Promise<void>;
  /** The session unless it has expired (an expired one is removed). */
  find(sessionHash: string, now?: Date): Promise<ConsoleSession | undefined>;
  remove(sessionHash: string): Promise<void>;
  removeExpired(now?: Date): Promise<number>;
}

/** A stored response of a request made with an Idempotency-Key. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyClaim =
  | { outcome: 'acquired' }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight' };

export interface IdempotencyKeyRef {
  key: string;
  principal: string;
}

export interface IdempotentRequest extends IdempotencyKeyRef {
  method: string;
  path: string;
  requestHash: string;
}

/**
 * The records behind the Idempotency-Key header, shared by every API instance. An acquired claim
 * is a lease of `leaseMs`, renewed by its instance while the request runs; once it runs out, a
 * retry takes the claim over.
 */
export interface IdempotencyRecordsPort {
  readonly leaseMs: number;
  claim(request: IdempotentRequest): Promise<IdempotencyClaim>;
  /** Extends this instance's lease; false when the claim is no longer this instance's (settled, or taken over). */
  renew(ref: IdempotencyKeyRef): Promise<boolean>;
  complete(ref: IdempotencyKeyRef, response: StoredResponse): Promise<void>;
  /** Forgets an unfinished or failed (5xx) request so that the client's retry runs again. */
  release(ref: IdempotencyKeyRef): Promise<void>;
  purgeExpired(): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Partners
// ---------------------------------------------------------------------------------------------

export interface SupplierPortalPort {
  /** Sends (or, with no webhook configured, records) the notification; throws to be retried, WebhookRejectedError for good. */
  notify(notification: SupplierNotification): Promise<{ delivered: boolean; status?: number }>;
}

export interface AccountsPayablePort {
  /** Registers an approved invoice with AP; returns AP's reference. Idempotent per invoice. */
  submitApprovedInvoice(invoice: InvoiceState & { poNumber: string; supplierId: string }): Promise<{ apReference: string }>;
  /** Executes a payment; returns the payment id. Idempotent per `idempotencyKey`. */
  executePayment(payment: PaymentExecution): Promise<{ paymentId: string }>;
}

export interface EventOutboxPort {
  /** Relays unpublished outbox rows to subscribers; returns how many were published. */
  relayPending(limit?: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Event delivery: subscriptions and dead letters, as operators manage them (docs/events.md)
// ---------------------------------------------------------------------------------------------

export interface SubscriptionsPort {
  /** The generated secret is in the answer when the input had none. */
  create(input: SubscriptionInput): Promise<SubscriptionCreated>;
  list(): Promise<Subscription[]>;
  get(id: string): Promise<Subscription | undefined>;
  update(id: string, patch: SubscriptionPatch): Promise<Subscription | undefined>;
  /** False when there was no such subscription. */
  remove(id: string): Promise<boolean>;
  /** Delivers every wanted event recorded since `since` again; undefined for an unknown subscription. */
  redriveSince(id: string, since: Date): Promise<RedriveAccepted | undefined>;
}

export interface DeadLettersPort {
  /** Newest first; throws InvalidCursorError for a cursor it did not hand out. */
  list(query: DeadLetterQuery): Promise<{ items: DeadLetter[]; nextCursor: string | null }>;
  /** Queues the delivery again (same `webhook-id`); undefined for an unknown dead letter. */
  redrive(id: string): Promise<DeadLetter | undefined>;
}

// ---------------------------------------------------------------------------------------------
// EDI X12: trading partners, control numbers and the interchange log (docs/edi.md)
// ---------------------------------------------------------------------------------------------

export interface EdiPartner {
  supplierId: string;
  name: string;
  profile: EdiProfile;
}

/** An inbound interchange claimed for processing, or what a claim found instead. */
export type EdiInboundClaim =
  | { outcome: 'claimed'; id: string }
  /** The same interchange (same ISA13, same text) was processed before: answer its 997 again. */
  | { outcome: 'processed'; interchange: EdiInterchange }
  | { outcome: 'in_progress' }
  /** The partner reused an ISA13 for another interchange. */
  | { outcome: 'control_number_reused'; interchange: EdiInterchange };

export interface EdiInboundResult {
  status: EdiInterchangeStatus;
  groupControlNumbers: string[];
  setIds: string[];
  poNumbers: string[];
  sets: EdiSetOutcome[];
  acknowledgementRaw: string;
  /** Documents applied (or found applied before), so a re-send in another interchange is a no-op. */
  documents: { setId: string; documentKey: string; bodyHash: string; poNumber: string }[];
}

export interface EdiPort {
  partnerOf(supplierId: string): Promise<EdiPartner | undefined>;
  partnerByIdentity(qualifier: string, id: string): Promise<EdiPartner | undefined>;
  /** Allocates the next ISA13, GS06 and `sets` ST02 numbers of the partner; never handed out twice. */
  nextControlNumbers(supplierId: string, sets: number): Promise<{ interchange: number; group: number; sets: number[] }>;
  claimInbound(input: { supplierId: string; controlNumber: string; raw: string; rawHash: string }): Promise<EdiInboundClaim>;
  completeInbound(id: string, result: EdiInboundResult): Promise<void>;
  /** Forgets a claim whose processing failed for reasons not the partner's, so its re-send runs again. */
  releaseInbound(id: string): Promise<void>;
  /** The document applied before under this key (setId + document key), if any. */
  appliedDocument(supplierId: string, setId: string, documentKey: string): Promise<{ bodyHash: string; poNumber: string | null } | undefined>;
  /** Records the partner's 997 on our outbound interchange of that group; undefined when none matches. */
  recordReceivedAcknowledgement(supplierId: string, functionalId: string, groupControlNumber: string, acknowledgement: EdiReceivedAcknowledgement): Promise<{ interchangeId: string; poNumbers: string[] } | undefined>;
  /** Newest first; throws InvalidCursorError for a cursor it did not hand out. */
  listInterchanges(query: EdiInterchangeListQuery): Promise<{ items: EdiInterchange[]; nextCursor: string | null }>;
  getInterchange(id: string): Promise<EdiInterchange | undefined>;
  /** The PO's EDI traffic, or undefined when it has none. */
  purchaseOrderEdi(poNumber: string): Promise<PurchaseOrderEdi | undefined>;
}

/** What the activities are given. */
export interface Ports {
  erp: ErpPort;
  portal: SupplierPortalPort;
  ap: AccountsPayablePort;
}
