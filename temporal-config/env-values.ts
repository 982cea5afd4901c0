/**
 * How the text of one environment variable becomes a value: empty means "not set", integers and
 * ports in range, booleans in their accepted spellings, policy durations, URLs, API keys, approval
 * tiers, retry schedules, NATS URLs. Which variables exist and what AppConfig they make is env.ts's job.
 */
import { z } from 'zod';
import { ApprovalTier, DurationString, Role } from '../workflows/domain/schemas';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../activities/events/retry-schedule';

const ROLES = Role.options;

export interface ApiKey {
  key: string;
  role: Role;
  supplierId?: string;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/** Empty strings count as "not set", so `FOO=` in a .env file falls back to the default. */
export const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : value));

function parseInteger(value: string, min: number, max: number, ctx: z.RefinementCtx): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    ctx.addIssue({ code: 'custom', message: `expected an integer between ${min} and ${max}, got "${value}"` });
    return z.NEVER;
  }
  return parsed;
}

function integerSetting(fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  return optionalString.transform((value, ctx) => (value === undefined ? fallback : parseInteger(value, min, max, ctx)));
}

export const port = (fallback: number) => integerSetting(fallback, 1, 65535);
export const positiveInt = (fallback: number) => integerSetting(fallback, 1);
/** A positive integer whose absence means "derive it" rather than a fixed default. */
export const optionalPositiveInt = () =>
  optionalString.transform((value, ctx) => (value === undefined ? undefined : parseInteger(value, 1, Number.MAX_SAFE_INTEGER, ctx)));

/** The spellings a boolean variable accepts, in any case. */
const flag = z.stringbool({
  truthy: ['true', '1', 'yes', 'on'],
  falsy: ['false', '0', 'no', 'off'],
  error: (issue) => `expected true or false, got "${String(issue.input)}"`,
});

/** `fallback` undefined keeps "not set" distinguishable from an explicit false. */
export function booleanFlag<Fallback extends boolean | undefined>(fallback: Fallback) {
  return optionalString.pipe(flag.optional()).transform((value): boolean | Fallback => value ?? fallback);
}

/** Policy durations use the grammar the workflow's timers read (a unit is required: "48h", "2d"). */
export const duration = (fallback: string) =>
  optionalString.transform((value, ctx) => {
    const text = value ?? fallback;
    if (!DurationString.safeParse(text).success) {
      ctx.addIssue({ code: 'custom', message: `expected a positive duration with a unit like "48h", "2d" or "30m", got "${text}"` });
      return z.NEVER;
    }
    return text;
  });

export const httpUrl = z.url({ protocol: /^https?$/ });

export class ApiKeyFormatError extends Error {}

/**
 * Parses `API_KEYS`: comma-separated `key:role` or `key:supplier:<supplierId>` entries.
 * Throws ApiKeyFormatError naming every bad entry (never echoing the key itself); `nameEntry`
 * says how an entry is named in those messages (the development keys file names its properties).
 */
export function parseApiKeys(
  value: string | undefined,
  nameEntry: (index: number) => string = (index) => `entry ${index + 1}`,
): ApiKey[] {
  if (value === undefined || value.trim() === '') return [];
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .forEach((entry, index) => {
      const [key, role, supplierId, ...rest] = entry.split(':').map((part) => part.trim());
      const position = nameEntry(index);
      if (!key || !role) {
        problems.push(`${position}: expected key:role or key:supplier:<supplierId>`);
        return;
      }
      if (!ROLES.includes(role as Role)) {
        problems.push(`${position}: unknown role "${role}" (expected one of ${ROLES.join(', ')})`);
        return;
      }
      if (rest.length > 0) {
        problems.push(`${position}: too many ":"-separated parts`);
        return;
      }
      if (role === 'supplier' && !supplierId) {
        problems.push(`${position}: supplier keys must be bound to a supplier, as key:supplier:<supplierId>`);
        return;
      }
      if (role !== 'supplier' && supplierId !== undefined) {
        problems.push(`${position}: only supplier keys take a supplierId`);
        return;
      }
      if (seen.has(key)) {
        problems.push(`${position}: the same key is configured twice`);
        return;
      }
      seen.add(key);
      keys.push(role === 'supplier' ? { key, role, supplierId } : { key, role: role as Role });
    });
  if (problems.length > 0) throw new ApiKeyFormatError(problems.join('; '));
  return keys;
}

/**
 * Parses `PO_APPROVAL_TIERS`: comma-separated `<currency>>=<amount>:<approvers>` entries, e.g.
 * `USD>=10000:1,USD>=100000:2` (docs/operations.md, "Configuration"). Empty: no PO needs approval.
 */
export function parseApprovalTiers(value: string | undefined): ApprovalTier[] {
  if (value === undefined || value.trim() === '') return [];
  const problems: string[] = [];
  const tiers: ApprovalTier[] = [];
  value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').forEach((entry, index) => {
    const match = /^([A-Z]{3})\s*>=\s*([0-9.]+)\s*:\s*(\d+)$/.exec(entry);
    const parsed = match && ApprovalTier.safeParse({ currency: match[1], atLeast: match[2], approvals: Number(match[3]) });
    if (!parsed || !parsed.success) {
      problems.push(`entry ${index + 1} "${entry}": expected <currency>>=<amount>:<approvers>, e.g. USD>=10000:1 (1 to 5 approvers)`);
      return;
    }
    if (tiers.some((tier) => tier.currency === parsed.data.currency && tier.atLeast === parsed.data.atLeast)) {
      problems.push(`entry ${index + 1} "${entry}": ${parsed.data.currency} ${parsed.data.atLeast} is listed twice`);
      return;
    }
    tiers.push(parsed.data);
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return tiers;
}

/** A variable read by a parser that throws, naming everything wrong with the text, when it is not valid. */
function parsedWith<T>(parse: (value: string | undefined) => T) {
  return optionalString.transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}

export const approvalTiers = parsedWith(parseApprovalTiers);

export const apiKeys = parsedWith((value) => parseApiKeys(value));

export const urlList = optionalString.transform((value, ctx) => {
  const urls = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const url of urls) {
    if (!httpUrl.safeParse(url).success) ctx.addIssue({ code: 'custom', message: `"${url}" is not an http(s) URL` });
  }
  return urls;
});

/** Comma-separated durations, each counted from the attempt before ("0s,5s,5m,30m,2h,5h,10h,10h"). */
export const retrySchedule = optionalString.transform((value, ctx) => {
  try {
    return parseRetrySchedule(value ?? DEFAULT_RETRY_SCHEDULE.join(','));
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `expected durations like "0s,5s,5m,30m": ${(error as Error).message}` });
    return z.NEVER;
  }
});

export const natsUrls = optionalString.pipe(
  z
    .string()
    .regex(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, 'expected nats://host:port (several separated by commas)')
    .optional(),
);
