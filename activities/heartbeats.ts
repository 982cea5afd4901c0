/**
 * Liveness of a running activity: every activity task that Temporal asked to heartbeat (a
 * heartbeatTimeout in its options, workflows/purchase-order/activities.ts) heartbeats from this
 * interceptor while it runs, so that a worker that dies in the middle of one is noticed after the
 * heartbeat timeout (seconds) instead of the whole start-to-close timeout (up to a minute).
 * Local activities are left alone: their liveness is the workflow task's (docs/adr/0066).
 */
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';

/** Heartbeats three times per heartbeat timeout; the SDK throttles what it sends to the server. */
export function heartbeatInterceptor(): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
        const timeoutMs = ctx.info.heartbeatTimeoutMs;
        if (ctx.info.isLocal || !timeoutMs) return next(input);
        const beat = setInterval(() => ctx.heartbeat(), Math.max(100, Math.floor(timeoutMs / 3)));
        try {
          return await next(input);
        } finally {
          clearInterval(beat);
        }
      },
    };
    return { inbound };
  };
}
