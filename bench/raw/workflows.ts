/**
 * The raw-Temporal baseline the lifecycle is measured against (MEASUREMENTS.md, issue 14): a
 * minimal workflow with the same number of Updates as a happy PO over HTTP, each calling one
 * activity that writes one row in one transaction. No domain, no validation, no read model: what
 * Temporal itself costs for the same shape of work.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createRawActivities } from './activities';

export const step = defineUpdate<{ step: number }, [{ name: string; payload: Record<string, unknown> }]>('step');

const { recordStep } = proxyActivities<ReturnType<typeof createRawActivities>>({ startToCloseTimeout: '30s' });

export async function rawLifecycleWorkflow(steps: number): Promise<number> {
  let done = 0;
  setHandler(step, async ({ name, payload }) => {
    await recordStep({ workflowId: name, step: done + 1, payload });
    done += 1;
    return { step: done };
  });
  await condition(() => done >= steps);
  return done;
}
