/**
 * The workflow interceptor modules every workflow bundle includes: the worker's own bundle
 * (`interceptors.workflowModules`), the prebuilt one (scripts/build-workflow-bundle.ts) and the
 * tests' (test/helpers/harness.ts), so all of them run, and replay, the same code.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [require.resolve('../workflows/tracing-interceptors')];
