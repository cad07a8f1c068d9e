// The empty-root hold names the files the journal knows for the pair, not the deletes in hand:
// a delete held at an earlier pass is still a file the journal knows.
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

let s: MemoryScratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

describe('the guard counts the files the journal knows', () => {
  it('an emptied root is held with the number of files the journal knows, held ones included', async () => {
    s = memoryScratch('known-files');
    for (const n of ['a', 'b', 'c']) s.write(n, n);
    const cfg = s.config({ maxDeleteCount: 0 });
    await s.pass(cfg);
    unlinkSync(join(s.root, 'a'));
    expect((await s.pass(cfg)).held).toEqual([{ pair: 'p', count: 1, reason: '1 deletes exceed maxDeleteCount 0' }]);
    // Two deletes in hand, three files known: the held one stays held and is not weighed again.
    for (const n of ['b', 'c']) unlinkSync(join(s.root, n));
    const r = await s.pass(cfg);
    expect(r.held).toEqual([
      { pair: 'p', count: 3, reason: 'root directory is empty while the journal knows 3 files' },
    ]);
    expect(s.s3.counts().DeleteObjects ?? 0).toBe(0);
    expect(s.s3.objects(s.bucket)).toHaveLength(3);
  });
});
