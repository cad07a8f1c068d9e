import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { Journal } from '../src/store/journal.js';
import { daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';
import { listAll } from './support/s3client.js';

// A pair root that appears after start, or is replaced under a running daemon (a disk mounted over
// the directory), must be watched anew: the old watch sees nothing of the new directory.

let s: Scratch | undefined;
afterEach(() => s?.cleanup());

const pairState = (cfg: Config) => {
  const j = Journal.open(cfg.stateDir, { readonly: true });
  try {
    return j.pairs.get('p')?.state;
  } finally {
    j.close();
  }
};

describe('the daemon and its pair roots', () => {
  it('a root missing at start is mirrored once it appears, and status clears its error at once', async () => {
    s = await scratch('lateroot');
    rmSync(s.root, { recursive: true });
    const cfg = s.config();
    const d = daemon(cfg, { rootCheckMs: 100 });
    await d.start();
    try {
      await eventually(() => expect(pairState(cfg)).toBe('error'));
      mkdirSync(s.root);
      s.write('late.txt', 'here now');
      s.write('sub/deeper.txt', 'and here');
      await eventually(async () => {
        await expectMirror(s!.root, s!.bucket);
        expect(pairState(cfg)).toBe('ok');
      });
      // Watched, not just walked once: a later change arrives through events.
      s.write('sub/after.txt', 'later');
      await eventually(() => expectMirror(s!.root, s!.bucket));
    } finally {
      await d.stop();
    }
  });

  it('a root replaced by another directory (a remount) is watched anew', async () => {
    s = await scratch('remount');
    s.write('old.txt', 'on the old disk');
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    const d = daemon(cfg, { rootCheckMs: 100 });
    await d.start();
    try {
      renameSync(s.root, join(s.dir, 'old-disk'));
      mkdirSync(s.root);
      s.write('new.txt', 'on the new disk');
      await eventually(async () => expect((await listAll(s!.bucket)).map((o) => o.key)).toContain('new.txt'));
      s.write('later.txt', 'written after the switch');
      await eventually(async () => expect((await listAll(s!.bucket)).map((o) => o.key)).toContain('later.txt'));
    } finally {
      await d.stop();
    }
  });

  it('a file gone between its event and its read is a delete (or nothing), never an error', async () => {
    s = await scratch('vanish');
    s.write('kept.txt', 'kept');
    s.write('doomed.txt', 'first version');
    const cfg = s.config({ maxDeletePercent: 100 }, { debounceMs: 300 });
    await once(cfg);
    const d = daemon(cfg);
    await d.start();
    try {
      // Changed, then gone before it settles; and a file that lives for less than the debounce.
      s.write('doomed.txt', 'second version');
      s.write('fleeting.txt', 'here and gone');
      rmSync(join(s.root, 'doomed.txt'));
      rmSync(join(s.root, 'fleeting.txt'));
      s.write('marker.txt', 'written last');
      await eventually(async () =>
        expect((await listAll(s!.bucket)).map((o) => o.key).sort()).toEqual(['kept.txt', 'marker.txt']),
      );
      const j = Journal.open(cfg.stateDir, { readonly: true });
      try {
        expect(j.query.failedFiles('p', 10)).toEqual([]);
        expect(j.errors.recent(10)).toEqual([]);
      } finally {
        j.close();
      }
      expect(d.rt.engines.get('p')!.stats).toMatchObject({ uploaded: 1, deleted: 1, failed: 0 });
    } finally {
      await d.stop();
    }
  });
});
