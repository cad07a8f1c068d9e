import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function journal(): Journal {
  const d = mkdtempSync(join(tmpdir(), 's3mirror-retrying-'));
  dirs.push(d);
  const j = Journal.open(d);
  j.pairs.upsert({ name: 'p', root: '/r', bucket: 'b', prefix: '' });
  return j;
}

const gen = (j: Journal, rel: string) => j.getFile('p', rel)!.generation;

describe('status counts as retrying every pending row whose last try failed', () => {
  it('also after a rescan marked it dirty again (attempts back to 0); not a re-dirtied skip or hold', () => {
    const j = journal();
    const now = 1_000_000;
    for (const rel of ['fails', 'symlink', 'held', 'fine'])
      j.markDirty({ pair: 'p', rel, key: rel, now, debounceMs: 100, maxDelayMs: 1000 });
    j.recordFailure({
      pair: 'p',
      rel: 'fails',
      gen: gen(j, 'fails'),
      code: 'S3_REQUEST_FAILED',
      message: 'server said 503',
      retryAt: now + 5000,
      now,
    });
    j.recordSkipped({
      pair: 'p',
      rel: 'symlink',
      gen: gen(j, 'symlink'),
      kind: 'symlink',
      code: 'UNSUPPORTED_FILE',
      message: 'symlink skipped',
      now,
    });
    j.recordHeld('p', 'held', gen(j, 'held'), 'too many deletes', now);
    expect(j.query.retryingCount('p')).toBe(1);
    // A rescan (or any hint) marks every one of them dirty again.
    for (const rel of ['fails', 'symlink', 'held', 'fine'])
      j.markDirty({ pair: 'p', rel, key: rel, now: now + 10, debounceMs: 100, maxDelayMs: 1000 });
    expect(j.query.retryingCount('p')).toBe(1);
    j.close();
  });
});
