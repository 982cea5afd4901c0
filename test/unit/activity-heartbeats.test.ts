/**
 * The heartbeat interceptor (activities/heartbeats.ts): a remote activity with a heartbeat timeout
 * heartbeats while it runs, so its worker's death is noticed after seconds; a local activity, or
 * one without a heartbeat timeout, is left alone.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { heartbeatInterceptor } from '../../activities/heartbeats';

function run(info: { isLocal: boolean; heartbeatTimeoutMs?: number }, body: (beats: () => number, waitForBeats: (n: number) => Promise<void>) => Promise<unknown>) {
  let beats = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const ctx = {
    info,
    heartbeat: () => {
      beats++;
      for (const waiter of waiting.filter((w) => beats >= w.n)) waiter.resolve();
    },
  };
  const waitForBeats = (n: number) => new Promise<void>((resolve) => (beats >= n ? resolve() : waiting.push({ n, resolve })));
  const { inbound } = heartbeatInterceptor()(ctx as never);
  const execute = inbound!.execute!.bind(inbound);
  return { result: execute({ args: [] } as unknown as ActivityExecuteInput, () => body(() => beats, waitForBeats)), beats: () => beats };
}

describe('activity heartbeats', () => {
  test('a remote activity with a heartbeat timeout heartbeats until it returns, then stops', async () => {
    const { result, beats } = run({ isLocal: false, heartbeatTimeoutMs: 300 }, async (_beats, waitForBeats) => {
      await waitForBeats(3);
      return 'done';
    });
    assert.equal(await result, 'done');
    const after = beats();
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(beats(), after, 'no heartbeat after the activity returned');
  });

  test('a failing activity stops heartbeating and its error goes through', async () => {
    const { result, beats } = run({ isLocal: false, heartbeatTimeoutMs: 300 }, async (_beats, waitForBeats) => {
      await waitForBeats(1);
      throw new Error('AP down');
    });
    await assert.rejects(result, /AP down/);
    const after = beats();
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(beats(), after);
  });

  test('local activities and activities without a heartbeat timeout are left alone', async () => {
    for (const info of [{ isLocal: true, heartbeatTimeoutMs: 300 }, { isLocal: false }]) {
      const { result, beats } = run(info, async () => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return 'ok';
      });
      assert.equal(await result, 'ok');
      assert.equal(beats(), 0, JSON.stringify(info));
    }
  });
});
