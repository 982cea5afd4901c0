/**
 * Assertions the workflow tests share: a command refused with a typed failure, and a condition
 * that becomes true once background work (a notification, a timer) has landed.
 */
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

/** The Update was refused: its ApplicationFailure (type = the refusal code). */
export async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => assert.fail('expected the command to be refused'),
    (err: unknown) => err,
  );
  assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
  assert.ok(error.cause instanceof ApplicationFailure);
  return error.cause;
}

/** Polls `check` until it holds; generous by default, so a busy machine is not a failure. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
