/**
 * What the adapters report, beside the ports they implement. Adapters never throw Temporal
 * failures: a refusal that retrying cannot change is an `AdapterRefusal` with a stable code, and
 * `createActivities` (./index.ts) is the one place that turns it into a non-retryable
 * ApplicationFailure. Anything else thrown by an adapter (network, database down) is retried.
 */

/** What the adapters log through: a winston logger (temporal-config/logging.ts) fits. */
export interface AdapterLog {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

/** For adapters constructed without a logger (scripts, some tests). */
export const silentLog: AdapterLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export type RefusalKind = 'conflict' | 'unprocessable';

/** A partner or the ERP refused the request for good: retrying the same request is refused again. */
export class AdapterRefusal extends Error {
  constructor(
    /** Stable code: the failure type workflows and the API see, e.g. `AP_REJECTED`. */
    readonly code: string,
    message: string,
    /** How the API reports it when it fails a command: 409 or 422. */
    readonly kind: RefusalKind = 'unprocessable',
    /** Facts for operators (an HTTP status, a supplier id); carried as the failure's details. */
    readonly facts: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The same supplier already has this invoice number (normalised) on another PO or with another body. */
export class DuplicateInvoiceError extends AdapterRefusal {
  constructor(
    readonly supplierId: string,
    readonly invoiceNumber: string,
    readonly existingPoNumber: string,
  ) {
    super(
      'DUPLICATE_INVOICE',
      `Supplier ${supplierId} already submitted invoice ${invoiceNumber} (on PO ${existingPoNumber}) with another body or for another PO`,
      'conflict',
    );
  }
}

/** A journal that does not balance is a bug in the posting rules: refused before anything is written. */
export class UnbalancedJournalError extends AdapterRefusal {
  constructor(message: string) {
    super('UNBALANCED_JOURNAL', message);
  }
}

/** A command whose body does not fit the shared schemas (sent around the API). */
export class InvalidCommandError extends AdapterRefusal {
  constructor(message: string) {
    super('INVALID_COMMAND', message);
  }
}

export class UnknownSupplierError extends AdapterRefusal {
  constructor(readonly supplierId: string) {
    super('UNKNOWN_SUPPLIER', `Unknown supplier ${supplierId}`);
  }
}

/** The AP tool refused an invoice or a payment (a 4xx other than "come back later"). */
export class AccountsPayableRejectedError extends AdapterRefusal {
  constructor(message: string, status: number) {
    super('AP_REJECTED', message, 'unprocessable', { status });
  }
}

/** One payment key used for two different payments: paying it would pay the wrong amount. */
export class PaymentKeyReusedError extends AdapterRefusal {
  constructor(message: string) {
    super('PAYMENT_KEY_REUSED', message, 'conflict');
  }
}

/** A supplier's webhook refused a notification outright (4xx other than 408/429). */
export class WebhookRejectedError extends AdapterRefusal {
  constructor(message: string, status: number, supplierId: string) {
    super('WEBHOOK_REJECTED', message, 'unprocessable', { status, supplierId });
  }
}

/** A listing cursor that the read model did not hand out (or that was tampered with). */
export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('The cursor is not valid; start again without a cursor');
    this.name = 'InvalidCursorError';
  }
}

/**
 * The ERP's snapshot of a PO is not where the workflow's events start from: a bug or a PO's data
 * edited by hand. Retried (an operator can repair the snapshot), loudly.
 */
export class SnapshotOutOfStepError extends Error {
  constructor(poNumber: string, expected: number, folded: number) {
    super(`The ERP's snapshot of PO ${poNumber} is out of step with its workflow: folding the event gives ${folded} events, the workflow has ${expected}`);
    this.name = 'SnapshotOutOfStepError';
  }
}

/**
 * The supplier is on a payment hold the PO has not heard of yet (the hold was placed while the PO
 * was being issued): the payment is refused and tried again later (docs/adr/0051-supplier-holds-reach-open-pos.md).
 */
export class PaymentOnHoldError extends AdapterRefusal {
  constructor(supplierId: string, reason: string) {
    super('PAYMENT_ON_HOLD', `Supplier ${supplierId} is on payment hold (${reason}): nothing is paid until it is released`, 'conflict', { supplierId });
  }
}
