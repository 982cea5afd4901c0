/**
 * Records integration failures of activities (an ERP write, an AP call, a supplier webhook) and
 * their recovery, as a worker interceptor: nothing in the activities themselves changes
 * (docs/operations.md, "KPIs": integration failure resolution time).
 */
import type { ActivityExecuteInput, ActivityInterceptorsFactory, Next, ActivityInboundCallsInterceptor } from '@temporalio/worker';

export interface IncidentRecorder {
  failed(incident: { key: string; kind: string; subject: string; poNumber?: string; at: string; error: string }): Promise<void>;
  succeeded(key: string, at: string): Promise<void>;
}

/** The PO a call is about, when its input names one. */
function poNumberOf(args: unknown[]): string | undefined {
  const first = args[0] as { poNumber?: unknown; payment?: { poNumber?: unknown }; invoice?: { poNumber?: unknown }; record?: { poNumber?: unknown } } | undefined;
  const candidate = first?.poNumber ?? first?.payment?.poNumber ?? first?.invoice?.poNumber ?? first?.record?.poNumber;
  return typeof candidate === 'string' ? candidate : undefined;
}

/** Refusals that are the business speaking, not an integration failing. */
const BUSINESS_REFUSALS = new Set(['DUPLICATE_INVOICE', 'UNKNOWN_SUPPLIER', 'PAYMENT_ON_HOLD']);

export function incidentInterceptor(recorder: IncidentRecorder, onRecordingError: (error: unknown) => void = () => undefined): ActivityInterceptorsFactory {
  // Keys this worker saw fail: their next success closes them without a query on every success.
  const open = new Set<string>();
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
        const { info } = ctx;
        // Per PO and kind of call: a payment refused by AP and retried later by the workflow (a new
        // activity) resolves the incident its first failure opened.
        const key = `${info.workflowExecution?.workflowId ?? 'standalone'}/${info.activityType}`;
        try {
          const result = await next(input);
          if (info.attempt > 1 || open.has(key)) {
            open.delete(key);
            await recorder.succeeded(key, new Date().toISOString()).catch(onRecordingError);
          }
          return result;
        } catch (error) {
          if (BUSINESS_REFUSALS.has(String((error as { type?: unknown }).type))) throw error;
          open.add(key);
          const poNumber = poNumberOf(input.args as unknown[]);
          await recorder
            .failed({ key, kind: 'activity', subject: info.activityType, ...(poNumber ? { poNumber } : {}), at: new Date().toISOString(), error: String((error as Error)?.message ?? error) })
            .catch(onRecordingError);
          throw error;
        }
      },
    };
    return { inbound };
  };
}
