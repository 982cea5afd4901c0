/**
 * Calendar dates and durations, as plain functions (no zod): the schemas validate with them and
 * the workflow's timers compute with them, so both read dates and durations the same way.
 *
 * Dates on business documents are calendar dates ("2026-12-01"), not instants: arithmetic on them
 * is done in UTC so that no machine's time zone can shift a due date.
 */

export const DAY_MS = 86_400_000;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real YYYY-MM-DD date (2026-02-30 is not). */
export function isCalendarDate(date: string): boolean {
  const match = DATE_PATTERN.exec(date);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

/** Midnight UTC at the start of a calendar date, in epoch milliseconds. */
export function dateToUtcMs(date: string): number {
  const match = DATE_PATTERN.exec(date);
  if (!match) throw new Error(`expected a calendar date YYYY-MM-DD, got "${date}"`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/** The first instant after a calendar date has ended (UTC), in epoch milliseconds. */
export function endOfDateMs(date: string): number {
  return dateToUtcMs(date) + DAY_MS;
}

/** Calendar date + n days, "2026-01-31" + 1 → "2026-02-01" (leap years included). */
export function addDays(date: string, days: number): string {
  return new Date(dateToUtcMs(date) + days * DAY_MS).toISOString().slice(0, 10);
}

export function instantToMs(instant: string): number {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new Error(`expected an ISO 8601 instant, got "${instant}"`);
  return ms;
}

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;

/** A duration such as "48h", "2d", "30m": the one grammar config, supplier SLAs and timers share. */
export function durationToMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new Error(`"${duration}" is not a duration like "48h", "2d" or "30m"`);
  return Math.round(Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS]);
}

/** A positive duration in the grammar above. */
export function isDuration(duration: string): boolean {
  return DURATION_PATTERN.test(duration) && durationToMs(duration) > 0;
}
