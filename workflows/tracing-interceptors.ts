/**
 * Workflow interceptors for OpenTelemetry tracing (docs/operations.md#tracing), listed in the
 * worker's `interceptors.workflowModules` and in every workflow bundle.
 *
 * Temporal's OpenTelemetry interceptors are loaded only for a PO whose history carries a trace
 * context: the start, an Update or a signal sent by a client with tracing on (the header
 * `_tracer-data`). Workflow modules are instantiated per cached workflow, so a worker whose API
 * traces nothing pays no memory per PO for them. The decision reads only what is in the history
 * (never a query or a rejected Update), so a replay takes the same path as the original run; the
 * interceptors themselves add no command, and their yield points are guarded by SDK flags.
 */
import type {
  ActivityInput,
  ContinueAsNewInput,
  DisposeInput,
  GetLogAttributesInput,
  LocalActivityInput,
  Next,
  QueryInput,
  SignalInput,
  UpdateInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';

/** The header Temporal's OpenTelemetry client and workflow interceptors carry the trace context in. */
const TRACE_HEADER = '_tracer-data';

interface Traced {
  inbound: OpenTelemetryWorkflow.OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryWorkflow.OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryWorkflow.OpenTelemetryInternalsInterceptor;
}

class LazyTracingInterceptor implements WorkflowInboundCallsInterceptor, WorkflowOutboundCallsInterceptor, WorkflowInternalsInterceptor {
  private traced: Traced | undefined;

  /** Loads the interceptors the first time a recorded call carries a trace context. */
  private tracedBy(headers: Record<string, unknown>): Traced | undefined {
    if (!this.traced && headers[TRACE_HEADER] !== undefined) {
      // A lazy require: webpack bundles the module, but evaluates it only here.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OpenTelemetryWorkflow;
      this.traced = {
        inbound: new otel.OpenTelemetryInboundInterceptor(),
        outbound: new otel.OpenTelemetryOutboundInterceptor(),
        internals: new otel.OpenTelemetryInternalsInterceptor(),
      };
    }
    return this.traced;
  }

  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const traced = this.tracedBy(input.headers);
    return traced ? traced.inbound.execute(input, next) : next(input);
  }

  handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    const traced = this.tracedBy(input.headers);
    return traced ? traced.inbound.handleUpdate(input, next) : next(input);
  }

  // A validator may reject, and a rejected Update leaves no trace in the history: it never loads.
  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    if (this.traced) this.traced.inbound.validateUpdate(input, next);
    else next(input);
  }

  // Queries are not in the history either: traced only once the PO is.
  handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>): Promise<unknown> {
    return this.traced ? this.traced.inbound.handleQuery(input, next) : next(input);
  }

  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const traced = this.tracedBy(input.headers);
    return traced ? traced.inbound.handleSignal(input, next) : next(input);
  }

  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    return this.traced ? this.traced.outbound.scheduleActivity(input, next) : next(input);
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>): Promise<unknown> {
    return this.traced ? this.traced.outbound.scheduleLocalActivity(input, next) : next(input);
  }

  continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>): Promise<never> {
    return this.traced ? this.traced.outbound.continueAsNew(input, next) : next(input);
  }

  /** Workflow log lines carry trace_id and span_id while a span is active. */
  getLogAttributes(input: GetLogAttributesInput, next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>): Record<string, unknown> {
    return this.traced ? this.traced.outbound.getLogAttributes(input, next) : next(input);
  }

  dispose(input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>): void {
    if (this.traced) this.traced.internals.dispose(input, next);
    else next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => {
  const tracing = new LazyTracingInterceptor();
  return { inbound: [tracing], outbound: [tracing], internals: [tracing] };
};
