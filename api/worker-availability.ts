/**
 * Whether any worker polls the purchase orders' task queue, as Temporal itself describes the queue
 * (DescribeTaskQueue). It tells "no worker can answer" (503 WORKER_UNAVAILABLE) apart from
 * "Temporal cannot be reached" (503 TEMPORAL_UNAVAILABLE) and feeds `/readyz`.
 *
 * Answers are cached for a few seconds: a burst of reads while the workers are down costs one
 * DescribeTaskQueue call, not one per request. Temporal lists a poller for a while after its last
 * poll, so a worker killed a moment ago may still be listed; the per-call deadline on queries and
 * Update acceptance (PurchaseOrderGateway) is what answers fast in that window.
 */
import type { Client } from '@temporalio/client';

/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW (@temporalio/proto is not a direct dependency). */
const TASK_QUEUE_TYPE_WORKFLOW = 1;

export const DEFAULT_WORKER_CHECK_CACHE_MS = 3_000;
const DESCRIBE_TIMEOUT_MS = 3_000;

export interface WorkerCheck {
  /** At least one worker polls the task queue. */
  ok: boolean;
  /** How many pollers Temporal lists (absent when Temporal did not answer). */
  pollers?: number;
  /** `NO_POLLERS`, or why Temporal could not be asked (a gRPC code). */
  error?: string;
  /** Temporal answered the question (false: the fault is Temporal's, not the workers'). */
  temporalAnswered: boolean;
}

export class WorkerAvailability {
  private cached: { at: number; check: Promise<WorkerCheck> } | undefined;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly cacheMs: number = DEFAULT_WORKER_CHECK_CACHE_MS,
  ) {}

  check(): Promise<WorkerCheck> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.check;
    const check = this.describe();
    this.cached = { at: now, check };
    return check;
  }

  private async describe(): Promise<WorkerCheck> {
    try {
      const { pollers } = await this.client.withDeadline(Date.now() + DESCRIBE_TIMEOUT_MS, () =>
        this.client.workflowService.describeTaskQueue({
          namespace: this.client.options.namespace,
          taskQueue: { name: this.taskQueue },
          taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      const count = pollers?.length ?? 0;
      return count > 0 ? { ok: true, pollers: count, temporalAnswered: true } : { ok: false, pollers: 0, error: 'NO_POLLERS', temporalAnswered: true };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { ok: false, error: typeof code === 'number' ? `grpc code ${code}` : 'error', temporalAnswered: false };
    }
  }
}
