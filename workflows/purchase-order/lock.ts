/**
 * The PurchaseOrder's mutex: one holder at a time, waiters served in the order they came
 * (docs/adr/0030-purchase-order-entity-and-mutex.md).
 *
 * Written here rather than taken from a library because of what each promise costs inside a
 * workflow: the SDK's promise hook captures a stack trace for every promise a workflow creates. An
 * uncontended `run` creates none of its own beyond the call's, where async-mutex 0.5 created five
 * per acquisition (bench/README.md, "Where the time goes").
 */
export class Lock {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  /** Runs `step` once the lock is free; the lock passes straight to the next waiter when it ends. */
  async run<T>(step: () => Promise<T>): Promise<T> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held = true;
    try {
      return await step();
    } finally {
      const next = this.waiting.shift();
      // Handed over still held: a caller arriving before the waiter resumes queues behind it.
      if (next) next();
      else this.held = false;
    }
  }
}
