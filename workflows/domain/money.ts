/**
 * Exact decimal arithmetic for money and quantities. Everything that touches an amount or a
 * quantity goes through here: JS numbers would turn 0.1 + 0.2 into 0.30000000000000004, and a
 * ledger that is off by a cent does not balance.
 *
 * Pure: decimal.js only (it is deterministic and safe inside the Temporal workflow sandbox).
 */
import Decimal from 'decimal.js';

/**
 * The one configured Decimal: 40 significant digits is far beyond numeric(18,4) × numeric(18,4),
 * so intermediate products are exact; half-even ("banker's") rounding is the rule for money (docs/domain.md, "Money and rounding").
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = Decimal;

/** Anything the helpers accept: decimal strings from the wire, Decimals, or (integer) numbers. */
export type DecimalInput = string | number | Decimal;

export function dec(value: DecimalInput): Decimal {
  return new Dec(value);
}

export function add(...values: DecimalInput[]): Decimal {
  return values.reduce<Decimal>((total, value) => total.plus(dec(value)), new Dec(0));
}

export function sub(a: DecimalInput, b: DecimalInput): Decimal {
  return dec(a).minus(dec(b));
}

export function mul(a: DecimalInput, b: DecimalInput): Decimal {
  return dec(a).times(dec(b));
}

export function div(a: DecimalInput, b: DecimalInput): Decimal {
  return dec(a).dividedBy(dec(b));
}

export function neg(a: DecimalInput): Decimal {
  return dec(a).negated();
}

export function abs(a: DecimalInput): Decimal {
  return dec(a).abs();
}

/** -1, 0 or 1, like a comparator. */
export function cmp(a: DecimalInput, b: DecimalInput): -1 | 0 | 1 {
  return dec(a).comparedTo(dec(b)) as -1 | 0 | 1;
}

export function isZero(a: DecimalInput): boolean {
  return dec(a).isZero();
}

export function isPositive(a: DecimalInput): boolean {
  return dec(a).greaterThan(0);
}

export function max(...values: DecimalInput[]): Decimal {
  return Dec.max(...values.map(dec));
}

export function min(...values: DecimalInput[]): Decimal {
  return Dec.min(...values.map(dec));
}

export function sum(values: readonly DecimalInput[]): Decimal {
  return add(...values);
}

/** Half-even to 2 decimals, as a Decimal (for further exact arithmetic on cents). */
export function roundCents(value: DecimalInput): Decimal {
  return dec(value).toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
}

/** Half-even to 2 decimals, formatted with exactly 2 decimals: "10.30", "-0.05", "0.00". */
export function round2(value: DecimalInput): string {
  const rounded = roundCents(value);
  // Decimal keeps the sign of a negative zero ("-0.00"); a ledger line never shows one.
  return (rounded.isZero() ? new Dec(0) : rounded).toFixed(2);
}

/**
 * A unit price or a tolerance derived from one, for humans: at least 2 decimals, up to 4 when the
 * value has them ("10.00", "10.30", "12.1234"), so a clerk sees the same figure as on the document.
 */
export function formatPrice(value: DecimalInput): string {
  const rounded = dec(value).toDecimalPlaces(4, Dec.ROUND_HALF_EVEN);
  const places = Math.max(2, rounded.decimalPlaces());
  return (rounded.isZero() ? new Dec(0) : rounded).toFixed(places);
}

/** Canonical quantity: no exponent, no trailing zeros ("10", "2.5"). */
export function formatQuantity(value: DecimalInput): string {
  const quantity = dec(value);
  return (quantity.isZero() ? new Dec(0) : quantity).toFixed();
}

/** A document line's amount: quantity × unit price, half-even to cents (docs/domain.md, "Money and rounding"). */
export function lineAmount(quantity: DecimalInput, unitPrice: DecimalInput): string {
  return round2(mul(quantity, unitPrice));
}
