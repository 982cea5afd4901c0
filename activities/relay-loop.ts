/**
 * A background pass run every `intervalMs` (a full batch is followed at once by the next), with a
 * stop that waits for the pass in progress. The outbox relay and the supplier-notification relay
 * run on it inside the worker process.
 */
import type { AdapterLog } from './errors';

export class RelayLoop {
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    /** One pass; answers how many items it handled. */
    private readonly runOnce: () => Promise<number>,
    private readonly batchSize: number,
    private readonly log: AdapterLog,
  ) {}

  start(intervalMs: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    const runPass = async (): Promise<void> => {
      try {
        while (!this.stopped && (await this.runOnce()) >= this.batchSize) {
          // a full batch: more are probably waiting
        }
      } catch (error) {
        this.log.error(`${this.name} pass failed`, { error: (error as Error).message });
      }
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.pass = runPass();
      }, intervalMs);
      // The relay alone must not keep a process alive that is otherwise done.
      this.timer.unref();
    };
    this.pass = runPass();
  }

  /** Stops the loop and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
  }
}
