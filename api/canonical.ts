import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * Canonical JSON after RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16 code
 * units, no whitespace, numbers and strings written as JSON.stringify writes them, `undefined`
 * members dropped (as JSON does). Two bodies that mean the same thing hash the same however the
 * client ordered its keys, which is what makes "the same body again" recognisable for idempotent
 * retries and duplicate detection.
 *
 * Hashes of earlier requests live on in running workflows (`requestHash`, `bodyHash`), so this
 * output must not drift; test/api/building-blocks.test.ts pins it against the former hand-written
 * canonicaliser, and docs/adr/0020-libraries-over-hand-written-infrastructure.md lists where the
 * two differ (own `__proto__` members, array-index-like member names).
 */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? 'null';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash a command carries (`bodyHash`, `requestHash`): sha256 of the canonical JSON of the parsed body. */
export function hashBody(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}
