/**
 * A business rule refused a command. The workflow turns it into a non-retryable
 * ApplicationFailure whose `type` is `code` and whose first detail is `{ kind }`; the API maps
 * `kind` to an HTTP status: conflict → 409, unprocessable → 422, not_found → 404.
 */
export type DomainErrorKind = 'conflict' | 'unprocessable' | 'not_found';

export class DomainError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `ASN_EXCEEDS_OPEN_QUANTITY`, `CANCEL_AFTER_RECEIPT`. */
    readonly code: string,
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const conflict = (code: string, message: string) => new DomainError(code, 'conflict', message);
export const unprocessable = (code: string, message: string) => new DomainError(code, 'unprocessable', message);
export const notFound = (code: string, message: string) => new DomainError(code, 'not_found', message);
