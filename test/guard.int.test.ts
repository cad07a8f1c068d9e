import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { Journal } from '../src/store/journal.js';
import { listAll } from './support/s3client.js';
import { daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';

// The daemon sends deletes in batches as they fill (1,000 keys), while more of the same mass
// delete is still being examined: the guard must weigh the whole of it, not one batch at a time.

let s: Scratch | undefined;
afterEach(() => s?.cleanup());

// 1,200 files, 1,100 deleted: the first batch of 1,000 alone is under the 90 % limit, the whole is not.
const DIRS = 12;
const PER_DIR = 100;
const GONE = (DIRS - 1) * PER_DIR;

function tree(sc: Scratch): void {
  for (let d = 0; d < DIRS; d++) for (let f = 0; f < PER_DIR; f++) sc.write(`d${d}/f${f}.txt`, `${d}/${f}`);
}

function journalFacts(cfg: Config) {
  const j = Journal.open(cfg.stateDir, { readonly: true });
  try {
    const counts = j.query.stateCounts('p');
    const n = (state: string) => counts.filter((c) => c.state === state).reduce((a, c) => a + c.n, 0);
    return { pairState: j.pairs.get('p')?.state, held: n('held'), dirty: n('dirty') };
  } finally {
    j.close();
  }
}

describe('the mass-delete guard in the daemon', () => {
  it('deletes found at start are weighed as a whole: all held, none sent', async () => {
    s = await scratch('gstart');
    tree(s);
    const cfg = s.config({ maxDeletePercent: 90 }, { concurrency: 8 });
    await once(cfg);
    for (let d = 1; d < DIRS; d++) rmSync(join(s.root, `d${d}`), { recursive: true });
    const dm = daemon(cfg);
    await dm.start();
    try {
      await eventually(
        () => expect(journalFacts(cfg)).toEqual({ pairState: 'deletes-held', held: GONE, dirty: 0 }),
        30_000,
      );
    } finally {
      await dm.stop();
    }
    expect((await listAll(s.bucket)).length).toBe(DIRS * PER_DIR);
  });

  it('a live mass delete is weighed as a whole: all held, none sent', async () => {
    s = await scratch('glive');
    tree(s);
    const cfg = s.config({ maxDeletePercent: 90 }, { concurrency: 8 });
    await once(cfg);
    const dm = daemon(cfg);
    await dm.start();
    try {
      for (let d = 1; d < DIRS; d++) rmSync(join(s.root, `d${d}`), { recursive: true });
      await eventually(
        () => expect(journalFacts(cfg)).toEqual({ pairState: 'deletes-held', held: GONE, dirty: 0 }),
        30_000,
      );
    } finally {
      await dm.stop();
    }
    expect((await listAll(s.bucket)).length).toBe(DIRS * PER_DIR);
  });

  it('moving a whole folder is copies, not a mass delete, even with a low maxDeletePercent', async () => {
    s = await scratch('gmove');
    for (let f = 0; f < 300; f++) s.write(`old/f${f}.txt`, `moved ${f}`);
    const cfg = s.config({ maxDeletePercent: 10 });
    await once(cfg);
    const dm = daemon(cfg);
    await dm.start();
    try {
      renameSync(join(s.root, 'old'), join(s.root, 'new'));
      await eventually(async () => {
        expect(journalFacts(cfg)).toMatchObject({ held: 0, dirty: 0 });
        await expectMirror(s!.root, s!.bucket);
      }, 30_000);
      expect(dm.rt.engines.get('p')!.stats).toMatchObject({ copied: 300, uploaded: 0, deleted: 300 });
    } finally {
      await dm.stop();
    }
  });
});
