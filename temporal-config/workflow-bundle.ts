/**
 * How the workflow code is bundled, the same for the worker, `npm run build`, the tests and the
 * replay of recorded histories.
 *
 * Every open PO the worker caches runs in the SDK's reusable V8 context, where the modules a
 * workflow imports are evaluated again for each workflow (so one workflow's module state can never
 * leak into another's). The domain modules and their libraries keep no state of their own, so they
 * are preloaded once and shared (deep-frozen) by every workflow, which keeps a cached PO small
 * (docs/operations.md, "Worker memory"). Zod is not among them: it writes caches into its schemas as
 * it runs, which a frozen module forbids, and so it stays out of the bundle altogether
 * (docs/adr/0081-zod-stays-out-of-the-workflow.md).
 */
import path from 'node:path';

const DOMAIN = path.resolve(__dirname, '../workflows/domain');

/** Stateless modules evaluated once per worker thread and shared by every cached PO. */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [
  'decimal.js',
  ...[
    'money',
    'calendar',
    'errors',
    'system-actor',
    'lookups',
    'policy',
    'payment-terms',
    'matching',
    'ledger',
    'deadlines',
    'lifecycle/views',
    'lifecycle/apply-invoices',
    'lifecycle/apply-finance',
    'lifecycle/apply',
    'lifecycle/validate',
    'business-events',
    'approval-tiers',
    'approvals',
    'holds',
    'returns',
    'disputes',
    'finance-deadlines',
  ].map((module) => path.join(DOMAIN, module)),
];

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * The workflow interceptor modules every bundle includes: the worker's own (`interceptors.
 * workflowModules`), the prebuilt one and the tests', so all of them run, and replay, the same code.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [require.resolve('../workflows/tracing-interceptors')];

/** What `bundleWorkflowCode` is given, everywhere a bundle is built (build script, tests). */
export function workflowBundleOptions(): { workflowsPath: string; preloadModules: string[]; workflowInterceptorModules: string[] } {
  return { workflowsPath: WORKFLOWS_PATH, preloadModules: [...SHARED_WORKFLOW_MODULES], workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES] };
}
