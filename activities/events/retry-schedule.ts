/**
 * When a delivery is tried again (docs/events.md, "Retries and dead letters"): a Svix-like
 * schedule of delays, each counted from the previous attempt, with jitter so that many deliveries
 * that failed together do not come back together.
 */
import { durationToMs } from '../../workflows/domain/calendar';

/** Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 28 hours. */
export const DEFAULT_RETRY_SCHEDULE = ['0s', '5s', '5m', '30m', '2h', '5h', '10h', '10h'] as const;

/** Parses "0s,5s,5m,…" (the EVENT_RETRY_SCHEDULE grammar) to milliseconds; throws on a bad entry. */
export function parseRetrySchedule(text: string): number[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('expected at least one delay, e.g. "0s,5s,5m"');
  return entries.map((entry) => (entry === '0' ? 0 : durationToMs(entry)));
}

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE.join(','));

/** ±20 %: enough to spread a burst, small enough to keep the schedule recognisable. */
const JITTER = 0.2;

/**
 * The delay before attempt number `attempt` (1-based) after the previous one, or undefined when
 * the schedule has no such attempt: the delivery is then a dead letter.
 */
export function delayBeforeAttempt(schedule: readonly number[], attempt: number, random: () => number = Math.random): number | undefined {
  const base = schedule[attempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** The longest wait between two attempts, jitter included. */
export function longestRetryGapMs(schedule: readonly number[]): number {
  return Math.ceil(Math.max(0, ...schedule) * (1 + JITTER));
}

/**
 * The JetStream duplicate window: longer than the longest retry gap, so a publish the relay
 * repeats after any wait it can take is still recognised by its Nats-Msg-Id (at least a day).
 */
export function duplicateWindowMs(schedule: readonly number[]): number {
  return Math.max(24 * 3_600_000, 2 * longestRetryGapMs(schedule));
}
