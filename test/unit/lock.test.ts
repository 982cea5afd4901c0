/**
 * The PO's lock (workflows/purchase-order/lock.ts): one holder at a time, waiters in the order they
 * came, the lock freed when a step fails, and an uncontended step started at once (async-mutex
 * awaited its acquisition first: a promise more per command, each one a stack trace for the SDK).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Lock } from '../../workflows/purchase-order/lock';

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('the PO lock', () => {
  test('runs one step at a time and serves waiters first come, first served', async () => {
    const lock = new Lock();
    const log: string[] = [];
    const first = gate();
    const running = [
      lock.run(async () => {
        log.push('a starts');
        await first.opened;
        log.push('a ends');
      }),
      lock.run(async () => void log.push('b')),
      lock.run(async () => void log.push('c')),
    ];
    await Promise.resolve();
    assert.deepEqual(log, ['a starts'], 'b and c wait while a holds the lock');
    first.open();
    await Promise.all(running);
    assert.deepEqual(log, ['a starts', 'a ends', 'b', 'c']);
  });

  test('a failing step passes its error on and frees the lock for the next', async () => {
    const lock = new Lock();
    await assert.rejects(lock.run(async () => { throw new Error('refused'); }), /refused/);
    assert.equal(await lock.run(async () => 'next'), 'next');
  });

  test('an uncontended step starts before run returns', () => {
    const lock = new Lock();
    let started = false;
    void lock.run(async () => {
      started = true;
    });
    assert.ok(started, 'no await before the step when nobody holds the lock');
  });
});
