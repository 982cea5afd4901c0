/**
 * How a raw baseline workflow is started, the same for every side that starts one (bench/stack.ts,
 * raw/api-main.ts): with its first Update (update-with-start), waiting for six Updates in all.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { rawLifecycleWorkflow } from './workflows';

/** A happy PO's six commands: the raw workflow ends after as many Updates. */
export const RAW_STEPS = 6;

export function rawStartOperation(workflowId: string, taskQueue: string) {
  return new WithStartWorkflowOperation(rawLifecycleWorkflow, { taskQueue, workflowId, args: [RAW_STEPS], workflowIdConflictPolicy: 'FAIL' });
}
