/**
 * The chaos run's HTTP client, behaving as docs/api.md tells integrators to: every command carries
 * an Idempotency-Key, and on a network error, a 503, a 429 or a 409 with Retry-After the same
 * request is sent again with the same key, after a growing pause, to whichever API instance
 * answers (as behind a load balancer). It keeps every answer's status and every command's latency.
 */

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** A seeded PRNG (mulberry32), so a run's choices repeat with its --seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CommandStats {
  name: string;
  poNumber: string;
  /** Epoch ms of the first attempt. */
  startedAt: number;
  latencyMs: number;
  attempts: number;
  /** Time spent on 409 IDEMPOTENCY_KEY_IN_FLIGHT answers. */
  inFlightStallMs: number;
  status: number;
}

/** The tally of a run: every answer by method and status, and each command's end-to-end figures. */
export class Tally {
  readonly statuses = new Map<string, number>();
  readonly commands: CommandStats[] = [];
  /** The first few answers that were a 5xx other than 503, with their bodies. */
  readonly serverErrors: string[] = [];
  /** Commands that ended with an answer other than the one expected. */
  readonly unexpected: string[] = [];

  count(method: string, status: number, url: string, body: unknown): void {
    const key = `${method} ${status === 0 ? 'network error' : status}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    if (status >= 500 && status !== 503 && this.serverErrors.length < 20) this.serverErrors.push(`${method} ${url} → ${status} ${JSON.stringify(body).slice(0, 300)}`);
  }

  serverErrorCount(): number {
    let count = 0;
    for (const [key, n] of this.statuses) {
      const status = Number(key.split(' ')[1]);
      if (status >= 500 && status !== 503) count += n;
    }
    return count;
  }
}

/** Whether an answer means "the same request again, later". */
function later(answer: Answer): boolean {
  if (answer.status === 0 || answer.status === 502 || answer.status === 503 || answer.status === 504 || answer.status === 429) return true;
  // A 500 is counted (and fails the run's check), but a client that gets one still retries a
  // command it holds an Idempotency-Key for, rather than lose it.
  if (answer.status >= 500) return true;
  return answer.status === 409 && answer.headers.get('retry-after') !== null;
}

export class ChaosClient {
  private next = 0;

  constructor(
    private readonly apiUrls: string[],
    private readonly keys: Record<string, string>,
    readonly tally: Tally,
    private readonly random: () => number,
    /** A command still not answered after this long is given up (counted as unexpected). */
    private readonly giveUpMs: number,
  ) {}

  async call(method: string, url: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const base = this.apiUrls[this.next++ % this.apiUrls.length]!;
    let answer: Answer;
    try {
      const response = await fetch(`${base}${url}`, {
        method,
        headers: { authorization: `Bearer ${this.keys[key]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(90_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      answer = { status: response.status, headers: response.headers, body: parsed };
    } catch (error) {
      answer = { status: 0, headers: new Headers(), body: String((error as Error).cause ?? error) };
    }
    this.tally.count(method, answer.status, url, answer.body);
    return answer;
  }

  /**
   * A command through to its answer: retried with the same Idempotency-Key while the answer says
   * "later", or that the key's first request is still in flight (an API that died holding it).
   */
  async command(name: string, poNumber: string, url: string, key: string, body: unknown, idempotencyKey: string, expected: number[]): Promise<Answer> {
    const started = Date.now();
    let attempts = 0;
    let inFlightStallMs = 0;
    let stalledSince: number | undefined;
    let pause = 250;
    for (;;) {
      const sent = Date.now();
      attempts++;
      const answer = await this.call('POST', url, key, body, { 'Idempotency-Key': idempotencyKey });
      const inFlight = answer.status === 409 && answer.body?.code === 'IDEMPOTENCY_KEY_IN_FLIGHT';
      if (inFlight) stalledSince ??= sent;
      else if (stalledSince !== undefined) {
        inFlightStallMs += sent - stalledSince;
        stalledSince = undefined;
      }
      const givingUp = Date.now() - started > this.giveUpMs;
      if ((!later(answer) && !inFlight) || givingUp) {
        if (stalledSince !== undefined) inFlightStallMs += Date.now() - stalledSince;
        this.tally.commands.push({ name, poNumber, startedAt: started, latencyMs: Date.now() - started, attempts, inFlightStallMs, status: answer.status });
        if (!expected.includes(answer.status)) this.tally.unexpected.push(`${name} ${url}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
        return answer;
      }
      const retryAfter = Number(answer.headers.get('retry-after'));
      const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 5_000) : pause;
      await new Promise((resolve) => setTimeout(resolve, wait * (0.75 + this.random() / 2)));
      pause = Math.min(pause * 2, 4_000);
    }
  }
}

/** The value at quantile q (0..1) of sorted numbers. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? sorted[0]!;
}
