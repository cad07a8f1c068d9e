import { describe, expect, it } from 'vitest';
import { DeleteFlushes } from '../src/sync/delete-flushes.js';
import type { PairEngine } from '../src/sync/engine.js';

/** A pair's engine as DeleteFlushes sees it: pending deletes, and a flush the test ends. */
function engine() {
  const e = {
    pendingDeletes: 0,
    deletesDeferred: false,
    readyToFlush: true,
    flushes: 0,
    end: (): void => undefined,
    flushDeletes() {
      e.flushes++;
      return new Promise<void>((r) => (e.end = r));
    },
  };
  return e;
}

const turn = () => new Promise((r) => setImmediate(r));

describe('DeleteFlushes', () => {
  function setup() {
    let t = 0;
    const e = engine();
    const f = new DeleteFlushes({
      now: () => t,
      onError: (err) => {
        throw err;
      },
      onDone: () => undefined,
      abandoned: () => false,
    });
    const engines = new Map([['p', e as unknown as PairEngine]]);
    return { e, f, start: () => f.startReady(engines, new Set()), advance: (ms: number) => (t += ms) };
  }

  it('a delete that came during a flush goes as soon as it ends, even when the count is the same', async () => {
    const { e, f, start } = setup();
    e.pendingDeletes = 1;
    start();
    expect(e.flushes).toBe(1);
    // The flush took its one delete; another came meanwhile: one pending again.
    e.end();
    await turn();
    expect(f.of('p')).toBeUndefined();
    start();
    expect(e.flushes).toBe(2);
  });

  it('one flush at a time per pair; none while a decision could still make a delete a move, or when none pend', () => {
    const { e, start } = setup();
    start();
    expect(e.flushes).toBe(0);
    e.pendingDeletes = 3;
    e.readyToFlush = false;
    start();
    expect(e.flushes).toBe(0);
    e.readyToFlush = true;
    start();
    start();
    expect(e.flushes).toBe(1);
  });

  it('a deferred verdict is tried again after a second, or at once when more deletes come', async () => {
    const { e, start, advance } = setup();
    e.pendingDeletes = 2;
    start();
    e.deletesDeferred = true;
    e.end();
    await turn();
    start();
    expect(e.flushes).toBe(1);
    advance(1000);
    start();
    expect(e.flushes).toBe(2);
    e.end();
    await turn();
    e.pendingDeletes = 3;
    start();
    expect(e.flushes).toBe(3);
  });
});
