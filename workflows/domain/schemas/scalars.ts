/**
 * The scalars of the wire contract: amounts, quantities, dates, identifiers. Shared by the HTTP
 * API, the OpenAPI document and every command schema.
 */
import { z } from 'zod';
import { DURATION_PATTERN, isCalendarDate, isDuration } from '../calendar';

const DECIMAL_PATTERN = /^\d{1,14}(\.\d{1,4})?$/;

/** A non-negative amount of money as a decimal string, at most 4 decimals: "12.5000". */
export const Money = z
  .string()
  .regex(DECIMAL_PATTERN, 'must be a decimal string with at most 14 integer digits and 4 decimals, e.g. "12.50"')
  .meta({ description: 'Amount as a decimal string (never a JSON number).', example: '12.50' });

/**
 * A quantity: a decimal string or a JSON number (integers are common on the wire), normalised to
 * a decimal string so arithmetic downstream stays exact.
 */
export const Quantity = z
  .union([
    z.string().regex(DECIMAL_PATTERN, 'must be a decimal with at most 4 decimals'),
    z
      .number()
      .nonnegative()
      .refine((n) => Number.isFinite(n) && DECIMAL_PATTERN.test(String(n)), 'must have at most 4 decimals'),
  ])
  .transform((q) => String(q))
  .meta({ description: 'Quantity as a decimal string or number (max 4 decimals).', example: '10' });

/** A strictly positive quantity. */
export const PositiveQuantity = Quantity.refine((q) => /[1-9]/.test(q), 'must be greater than 0');

/** A percentage or ratio as a decimal string, e.g. "0.02" for 2 %. */
export const Ratio = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,6})?$/, 'must be a decimal string like "0.02"')
  .meta({ description: 'Ratio as a decimal string ("0.02" = 2 %).', example: '0.02' });

/** A percent as a decimal string, e.g. "2" for 2 % (payment-terms discount). */
export const Percent = z
  .string()
  .regex(/^\d{1,2}(\.\d{1,4})?$/, 'must be a percent as a decimal string like "2" or "1.5"')
  .meta({ description: 'Percent as a decimal string ("2" = 2 %).', example: '2' });

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"')
  .meta({ description: 'ISO 4217 currency code.', example: 'USD' });

/**
 * A calendar date. A regex and a calendar check rather than `z.iso.date()`, which fails inside
 * the Temporal workflow sandbox.
 */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a real calendar date')
  .meta({ description: 'Calendar date, YYYY-MM-DD.', example: '2026-12-01', format: 'date' });

export const IsoDateTime = z.iso
  .datetime({ offset: true })
  .meta({ description: 'Instant, ISO 8601 with offset.', example: '2026-12-01T09:30:00Z' });

/** Business document numbers: what suppliers, WMSs and buyers type. */
export const DocumentNumber = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._\/-]*$/, 'letters, digits, space, and . _ / - only');

/** Identifiers a tenant chooses (PO numbers, supplier ids): used in URLs, so a safe alphabet. */
const identifier = (description: string, example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, and . _ - only')
    .meta({ description, example });

export const PoNumber = identifier('Purchase order number, unique per tenant.', 'PO-10001');
export const SupplierId = identifier('Supplier identifier.', 'ACME');

export const LineNo = z.number().int().positive().max(99999).meta({ example: 1 });

/** A duration such as "48h", "2d", "30m": the one grammar config, supplier SLAs and timers share. */
export const DurationString = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration like "48h", "2d" or "30m"')
  .refine(isDuration, 'must be longer than 0');

export const FreeText = z.string().trim().min(1).max(2000);
