/**
 * The event relay each worker runs (docs/events.md, "How delivery works"): every consumer of the
 * outbox — each enabled subscription, the NATS sink — and the supplier notification queue get
 * their own loop. A loop runs passes back to back while there is more to do, then waits for the
 * next tick. Because loops never wait for each other, a slow or failing subscriber costs the
 * others nothing; because every pass holds its consumer's lease, several workers share the work
 * without delivering anything twice.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { silentLog, type AdapterLog } from '../errors';
import type { EventOutboxPort } from '../ports';
import { NatsSink, type NatsSinkOptions } from './nats-sink';
import { DEFAULT_RETRY_SCHEDULE_MS } from './retry-schedule';
import { enabledSubscriptionIds } from './subscription-rows';
import { runSubscriptionPass, type PassResult, type SubscriptionPassOptions } from './subscription-pass';
import { seedSubscriptions } from './subscriptions';
import { claimDueNotifications, deliverNotification, type SupplierDeliveryOptions } from './supplier-notifications';
import { deliverOutboundPass, generateOutboundPass, type EdiOutboundOptions } from '../edi/outbound';
import type { Party } from '../edi/x12/writer';

/** How long a consumer's lease lasts unless renewed: how long a relay that died holds the consumers it was working. */
export const DEFAULT_CONSUMER_LEASE_MS = 30_000;

export interface EventRelayOptions {
  /** Delays between attempts (retry-schedule.ts); default the Svix-like schedule. */
  retrySchedule?: readonly number[];
  /** Per delivery; default 10 s. */
  timeoutMs?: number;
  batchSize?: number;
  concurrency?: number;
  passBudgetMs?: number;
  breakerThreshold?: number;
  /** A consumer's lease, renewed every quarter of it while a pass runs; default 30 s. */
  leaseMs?: number;
  /** EVENT_SUBSCRIBER_URLS and EVENT_SIGNING_SECRET, seeded as subscriptions when the relay starts. */
  seed?: { urls: readonly string[]; secret?: string };
  /** Set when NATS_URL is. */
  nats?: Omit<NatsSinkOptions, 'duplicateWindowMs'> & { duplicateWindowMs: number };
  /** Outbound EDI (docs/edi.md): our ISA/GS identity; the 850/860 of EDI suppliers' POs are written and delivered. */
  edi?: { sender: Party };
  random?: () => number;
}

export class EventRelay implements EventOutboxPort {
  readonly owner = `relay-${randomUUID()}`;
  readonly nats: NatsSink | undefined;
  private readonly passOptions: SubscriptionPassOptions;
  private readonly supplierOptions: SupplierDeliveryOptions;
  private readonly ediOptions: EdiOutboundOptions | undefined;
  /** Loops in flight, by consumer; a consumer never has two in one process. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly busySuppliers = new Set<string>();
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private seeded: Promise<void> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly options: EventRelayOptions = {},
    private readonly log: AdapterLog = silentLog,
  ) {
    const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const passBudgetMs = options.passBudgetMs ?? 20_000;
    // A consumer's lease is renewed while its pass runs (cursors.ts, keepingLease), so it only has
    // to outlast a stalled event loop; a relay that died frees its consumers within it.
    const leaseMs = options.leaseMs ?? DEFAULT_CONSUMER_LEASE_MS;
    // A claimed notification or interchange is not renewed: its lease covers one attempt timing out, with room to write.
    const rowLeaseMs = Math.max(leaseMs, 2 * timeoutMs + 10_000);
    this.passOptions = {
      owner: this.owner,
      schedule,
      timeoutMs,
      batchSize: options.batchSize ?? 100,
      concurrency: options.concurrency ?? 8,
      passBudgetMs,
      breakerThreshold: options.breakerThreshold ?? 3,
      leaseMs,
      log,
      ...(options.random ? { random: options.random } : {}),
    };
    this.supplierOptions = { owner: this.owner, schedule, timeoutMs, leaseMs: rowLeaseMs, concurrency: options.concurrency ?? 8, log, ...(options.random ? { random: options.random } : {}) };
    this.nats = options.nats ? new NatsSink(knex, options.nats, log) : undefined;
    this.ediOptions = options.edi
      ? { sender: options.edi.sender, owner: this.owner, leaseMs: rowLeaseMs, batchSize: options.batchSize ?? 100, schedule, timeoutMs, log, ...(options.random ? { random: options.random } : {}) }
      : undefined;
  }

  /** Seeds the configured subscriptions (once), then ticks every `intervalMs`. */
  start(intervalMs: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = async () => {
      await this.tick().catch((error: unknown) => this.log.error('Event relay tick failed', { error: (error as Error).message }));
      if (this.stopped) return;
      this.timer = setTimeout(() => void tick(), intervalMs);
      // The relay alone must not keep a process alive that is otherwise done.
      this.timer.unref();
    };
    void tick();
  }

  /** Stops ticking, waits for the passes in flight and closes the NATS connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled(this.running.values());
    await this.nats?.close();
  }

  /** Starts a loop for every consumer that has none running. */
  private async tick(): Promise<void> {
    this.seeded ??= this.options.seed ? seedSubscriptions(this.knex, this.options.seed.urls, this.options.seed.secret, this.log) : Promise.resolve();
    await this.seeded.catch((error: unknown) => {
      this.seeded = undefined;
      throw error;
    });
    for (const id of await enabledSubscriptionIds(this.knex)) {
      this.loop(`subscription:${id}`, () => runSubscriptionPass(this.knex, id, this.passOptions));
    }
    if (this.nats) this.loop('nats', () => this.nats!.pass(this.owner, this.passOptions.leaseMs));
    this.loop('suppliers', () => this.supplierPass());
    const edi = this.ediOptions;
    if (edi) {
      this.loop('edi:generate', () => generateOutboundPass(this.knex, edi));
      this.loop('edi:deliver', () => deliverOutboundPass(this.knex, edi));
    }
  }

  private loop(key: string, pass: () => Promise<PassResult | undefined>): void {
    if (this.running.has(key) || this.stopped) return;
    const run = (async () => {
      try {
        for (;;) {
          const result = await pass();
          if (!result?.more || this.stopped) break;
        }
      } catch (error) {
        this.log.warn('Event delivery pass failed; will retry', { consumer: key, error: (error as Error).message });
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, run);
  }

  /** Claims the next due notification of suppliers not already in flight here, and sends each on its own. */
  private async supplierPass(): Promise<PassResult> {
    const claimed = await claimDueNotifications(this.knex, this.supplierOptions, [...this.busySuppliers]);
    for (const notification of claimed) {
      const supplierId = notification.supplier_id;
      this.busySuppliers.add(supplierId);
      const key = `supplier:${supplierId}`;
      const sending: Promise<void> = deliverNotification(this.knex, notification, this.supplierOptions)
        .catch((error: unknown) => {
          this.log.warn('Supplier notification attempt failed to record', { supplierId, error: (error as Error).message });
        })
        .finally(() => {
          this.busySuppliers.delete(supplierId);
          this.running.delete(key);
          // The supplier's next notification may be due now.
          if (!this.stopped) this.loop('suppliers', () => this.supplierPass());
        });
      this.running.set(key, sending);
    }
    return { delivered: claimed.length, failed: 0, more: false };
  }

  /**
   * One round of every consumer, awaited: for tests and tools that want the relay to catch up now
   * rather than on its next tick. Returns how many deliveries succeeded.
   */
  async relayPending(): Promise<number> {
    this.seeded ??= this.options.seed ? seedSubscriptions(this.knex, this.options.seed.urls, this.options.seed.secret, this.log) : Promise.resolve();
    await this.seeded;
    const passes: Promise<PassResult | undefined>[] = (await enabledSubscriptionIds(this.knex)).map((id) => runSubscriptionPass(this.knex, id, this.passOptions));
    if (this.nats) passes.push(this.nats.pass(this.owner, this.passOptions.leaseMs));
    const claimed = await claimDueNotifications(this.knex, this.supplierOptions, [...this.busySuppliers]);
    await Promise.all(claimed.map((notification) => deliverNotification(this.knex, notification, this.supplierOptions)));
    const results = await Promise.all(passes);
    if (this.ediOptions) {
      // Written first, so what this round wrote is also sent in it.
      while ((await generateOutboundPass(this.knex, this.ediOptions)).more);
      results.push(await deliverOutboundPass(this.knex, this.ediOptions));
    }
    return results.reduce((total, result) => total + (result?.delivered ?? 0), claimed.length);
  }
}
