import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';

// PairTable.cancelHeld remembers a pair it found without held deletes, so uploads skip the read:
// a delete held later, or one a rolled-back transaction brings back, must still be cancelled.

let dir: string | undefined;
let j: Journal | undefined;
afterEach(() => {
  j?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  j = dir = undefined;
});

function open(): Journal {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-cancel-held-'));
  j = Journal.open(dir);
  j.pairs.upsert({ name: 'p', root: '/r', bucket: 'b', prefix: '' });
  return j;
}

/** `old.txt` (key k) deleted locally and its delete held. */
function hold(j: Journal): void {
  j.markDirty({ pair: 'p', rel: 'old.txt', key: 'k', now: 0, debounceMs: 0, maxDelayMs: 0 });
  j.recordHeld('p', 'old.txt', j.getFile('p', 'old.txt')!.generation, 'too many deletes', 1);
}

it('a delete held after a read that found none is cancelled all the same', () => {
  const j = open();
  expect(j.pairs.cancelHeld('p', 'k', 'new.txt')).toBe(0);
  hold(j);
  expect(j.pairs.cancelHeld('p', 'k', 'new.txt')).toBe(1);
  expect(j.getFile('p', 'old.txt')).toBeUndefined();
});

it('a read inside a transaction that is rolled back does not count', () => {
  const j = open();
  hold(j);
  expect(() =>
    j.tx(() => {
      expect(j.pairs.cancelHeld('p', 'k', 'new.txt')).toBe(1);
      expect(j.pairs.cancelHeld('p', 'k', 'new.txt')).toBe(0);
      throw new Error('rolled back');
    }),
  ).toThrow('rolled back');
  expect(j.getFile('p', 'old.txt')?.state).toBe('held');
  expect(j.pairs.cancelHeld('p', 'k', 'new.txt')).toBe(1);
});
