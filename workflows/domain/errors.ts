/**
 * A business rule refused a command. The workflow turns it into a non-retryable
 * ApplicationFailure whose `type` is `code` and whose first detail is `{ kind }`; the API maps
 * `kind` to an HTTP status: conflict → 409, unprocessable → 422, not_found → 404.
 */
import type { RefusalCode } from './state';

export type DomainErrorKind = 'conflict' | 'unprocessable' | 'not_found';

export class DomainError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `ASN_EXCEEDS_OPEN_QUANTITY` (the list: `RefusalCode`). */
    readonly code: RefusalCode,
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const conflict = (code: RefusalCode, message: string) => new DomainError(code, 'conflict', message);
export const unprocessable = (code: RefusalCode, message: string) => new DomainError(code, 'unprocessable', message);
export const notFound = (code: RefusalCode, message: string) => new DomainError(code, 'not_found', message);
