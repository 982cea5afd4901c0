/**
 * purchaseOrderWorkflow: one purchase order from issue to payment (docs/domain.md).
 *
 * Set-up, then the main loop: run what is due, sleep until the next deadline or the next change,
 * continue-as-new when the history grows long. The handlers and the steps they take live in
 * `./purchase-order.ts`; the rules in `../domain/`.
 */
import { allHandlersFinished, condition, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import type { PoView } from '../domain/state';
import type { PurchaseOrderWorkflowInput } from './definitions';
import { PurchaseOrder } from './purchase-order';
import { CompactRecorder, LegacyRecorder } from './recorders';

/** The patch that moved a run to the compact record (docs/adr/0080-compact-history.md). */
export const COMPACT_RECORD = 'compact-record';

const DEFAULT_HISTORY_THRESHOLD = 2000;

export async function purchaseOrderWorkflow(input: PurchaseOrderWorkflowInput): Promise<PoView> {
  const historyThreshold = input.options?.historyThreshold ?? DEFAULT_HISTORY_THRESHOLD;
  // Runs started before the compact record keep recording as they did, so their histories replay.
  const { workflowId } = workflowInfo();
  const recorder = patched(COMPACT_RECORD) ? new CompactRecorder(workflowId) : new LegacyRecorder(workflowId);
  const po = new PurchaseOrder(input.kind === 'continued' ? input.state : undefined, recorder);
  po.registerHandlers();
  if (input.kind === 'new') await po.issue(input);
  else po.resume();

  for (;;) {
    if (po.hasDueWork()) await po.exclusive(() => po.settleSafely());
    if (po.isFinished) break;
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    if (continueAsNewSuggested || historyLength >= historyThreshold) {
      await drain(po);
      log.info('Continuing as new', { poNumber: po.current.poNumber, historyLength: workflowInfo().historyLength });
      await continueAsNew<typeof purchaseOrderWorkflow>({ kind: 'continued', state: po.current, options: input.options });
    }
    const wakeUpAt = po.nextWakeUp(() => patched('retry-refused-work-at-interval'));
    po.changed = false;
    if (wakeUpAt === undefined) await condition(() => po.changed);
    else await condition(() => po.changed, Math.max(wakeUpAt - Date.now(), 1));
  }

  await condition(allHandlersFinished);
  await Promise.all(po.notifications);
  return po.view();
}

/** Waits until no handler runs and every notification has gone out, so nothing is lost in the hand-over. */
async function drain(po: PurchaseOrder): Promise<void> {
  if (!patched('drain-handlers-before-continue-as-new')) {
    await condition(allHandlersFinished);
    await Promise.all(po.notifications);
    return;
  }
  // A command admitted while the notifications were still going out must finish in this run:
  // hand over only once handlers and notifications are all quiet in the same activation.
  for (;;) {
    await condition(allHandlersFinished);
    const notificationCount = po.notifications.length;
    await Promise.all(po.notifications);
    if (allHandlersFinished() && po.notifications.length === notificationCount) return;
  }
}
