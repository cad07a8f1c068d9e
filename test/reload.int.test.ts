import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import type { Daemon } from '../src/sync/daemon.js';
import { daemon, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { createBucket, emptyAndDeleteBucket, listAll, uniqueBucket } from './support/s3client.js';

// A config reloaded into a running daemon (SIGHUP; here `Daemon.reload(next)` in-process, the
// signal itself in cli-reload.int.test.ts): each kind of change takes effect without a restart.

let s: Scratch | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  s?.cleanup();
});

/** The scratch config with these pairs (each in the scratch bucket unless it names one). */
function withPairs(sc: Scratch, pairs: Record<string, unknown>[], top: Record<string, unknown> = {}): Config {
  return sc.config({}, { pairs: pairs.map((p) => ({ name: 'p', path: sc.root, bucket: sc.bucket, ...p })), ...top });
}

const keys = async (bucket: string, prefix = '') => (await listAll(bucket, prefix)).map((o) => o.key).sort();

describe('config reload', () => {
  it('a pair added is mirrored and watched; a pair removed is no longer watched, its journal kept', async () => {
    s = await scratch('reload-pairs');
    const q = join(s.dir, 'q');
    mkdirSync(q);
    s.write('a.txt', 'in p');
    const p = { prefix: 'p/' };
    d = daemon(withPairs(s, [p]));
    await d.start();
    await eventually(async () => expect(await keys(s!.bucket)).toEqual(['p/a.txt']));

    writeFileSync(join(q, 'one.txt'), 'in q before it was a pair');
    await d.reload(withPairs(s, [p, { name: 'q', path: q, prefix: 'q/' }]));
    await eventually(async () => expect(await keys(s!.bucket)).toEqual(['p/a.txt', 'q/one.txt']));
    writeFileSync(join(q, 'two.txt'), 'through the new watch');
    await eventually(async () => expect(await keys(s!.bucket, 'q/')).toEqual(['q/one.txt', 'q/two.txt']));

    await d.reload(withPairs(s, [p]));
    expect(d.rt.engines.has('q')).toBe(false);
    writeFileSync(join(q, 'three.txt'), 'after q was removed');
    s.write('marker.txt', 'written after three.txt');
    await eventually(async () => expect(await keys(s!.bucket, 'p/')).toEqual(['p/a.txt', 'p/marker.txt']));
    // A watched q would have marked three.txt in the same tick as the marker, or before it.
    expect(d.rt.journal.query.fileByKey('q', 'q/three.txt')).toBeUndefined();
    expect(await keys(s.bucket, 'q/')).toEqual(['q/one.txt', 'q/two.txt']);
    expect(d.rt.journal.query.fileByKey('q', 'q/one.txt')?.state).toBe('clean');
  });

  it('a prefix change moves the objects by server-side copy: no byte uploaded, the old ones left', async () => {
    s = await scratch('reload-prefix');
    for (const n of ['x', 'y', 'z']) s.write(`d/${n}.txt`, `content of ${n}`);
    d = daemon(withPairs(s, [{ prefix: 'a/' }]));
    await d.start();
    await eventually(() => expectMirror(s!.root, s!.bucket, 'a/'));
    const uploaded = d.rt.transfers.bytesUploaded;

    await d.reload(withPairs(s, [{ prefix: 'b/' }]));
    await eventually(() => expectMirror(s!.root, s!.bucket, 'b/'));
    expect(d.rt.transfers.bytesUploaded).toBe(uploaded);
    expect(d.rt.engines.get('p')!.stats).toMatchObject({ copied: 3, uploaded: 0 });
    await expectMirror(s.root, s.bucket, 'a/');
    // The new prefix is watched: a change lands there.
    s.write('d/w.txt', 'after the move');
    await eventually(async () => expect(await keys(s!.bucket, 'b/')).toContain('b/d/w.txt'));
  });

  it('a bucket change mirrors the tree into the new bucket by uploads; the old bucket is left as it is', async () => {
    s = await scratch('reload-bucket');
    s.write('a.txt', 'a');
    s.write('d/b.txt', 'b');
    d = daemon(withPairs(s, [{}]));
    await d.start();
    await eventually(() => expectMirror(s!.root, s!.bucket));
    const other = await createBucket(uniqueBucket('reload-bucket2'));
    try {
      await d.reload(withPairs(s, [{ bucket: other }]));
      await eventually(() => expectMirror(s!.root, other));
      expect(d.rt.engines.get('p')!.stats).toMatchObject({ uploaded: 2, copied: 0 });
      await expectMirror(s.root, s.bucket);
      s.write('c.txt', 'after the move');
      await eventually(async () => expect(await keys(other)).toEqual(['a.txt', 'c.txt', 'd/b.txt']));
    } finally {
      await d.stop();
      await emptyAndDeleteBucket(other);
    }
  });

  it('an exclude change rescans: what became included is uploaded, what became excluded is not', async () => {
    s = await scratch('reload-exclude');
    s.write('keep.txt', 'kept');
    s.write('skip.tmp', 'excluded at start');
    d = daemon(withPairs(s, [{ exclude: ['*.tmp'] }]));
    await d.start();
    await eventually(async () => {
      expect(await keys(s!.bucket)).toEqual(['keep.txt']);
      expect(d!.rt.journal.pendingCount('p')).toBe(0);
    });

    await d.reload(withPairs(s, [{ exclude: ['sub/'] }]));
    await eventually(async () => expect(await keys(s!.bucket)).toEqual(['keep.txt', 'skip.tmp']));
    s.write('sub/new.txt', 'excluded now');
    s.write('top.txt', 'written after sub/new.txt');
    await eventually(async () => {
      expect(await keys(s!.bucket)).toContain('top.txt');
      expect(d!.rt.journal.pendingCount('p')).toBe(0);
    });
    expect(await keys(s.bucket)).toEqual(['keep.txt', 'skip.tmp', 'top.txt']);
  });

  it('a delete mode change applies to the next deletes', async () => {
    s = await scratch('reload-delete');
    for (const n of ['a', 'b', 'c']) s.write(`${n}.txt`, n);
    const pair = { maxDeletePercent: 100 };
    d = daemon(withPairs(s, [pair]));
    await d.start();
    await eventually(() => expectMirror(s!.root, s!.bucket));

    await d.reload(withPairs(s, [{ ...pair, delete: 'keep' }]));
    rmSync(join(s.root, 'a.txt'));
    s.write('marker.txt', 'written after a.txt was deleted');
    await eventually(async () => {
      expect(await keys(s!.bucket)).toContain('marker.txt');
      expect(d!.rt.journal.pendingCount('p')).toBe(0);
      expect(d!.rt.engines.get('p')!.pendingDeletes).toBe(0);
    });
    expect(await keys(s.bucket)).toEqual(['a.txt', 'b.txt', 'c.txt', 'marker.txt']);

    await d.reload(withPairs(s, [{ ...pair, delete: 'mirror' }]));
    rmSync(join(s.root, 'b.txt'));
    await eventually(async () => expect(await keys(s!.bucket)).toEqual(['a.txt', 'c.txt', 'marker.txt']));
  });

  it('debounce and concurrency apply to the changes after the reload', async () => {
    s = await scratch('reload-settings');
    s.write('first.txt', 'mirrored at start');
    const slow = { debounceMs: 3_600_000, maxDelayMs: 3_600_000 };
    d = daemon(withPairs(s, [{}], slow));
    await d.start();
    await eventually(async () => expect(await keys(s!.bucket)).toEqual(['first.txt']));
    // Moved in whole, so the watcher sees one event: a write's trailing events could come after the
    // reload and rightly mark the file again under the new debounce.
    writeFileSync(join(s.dir, 'slow.tmp'), 'waits out an hour of debounce');
    renameSync(join(s.dir, 'slow.tmp'), join(s.root, 'slow.txt'));
    // slow.txt itself marked (a pending count of one could still be first.txt, whose outcome is
    // written a moment after its object is visible, and slow.txt's event yet to come).
    await eventually(() => {
      expect(d!.rt.journal.getFile('p', 'slow.txt')?.state).toBe('dirty');
      expect(d!.rt.journal.getFile('p', 'first.txt')?.state).toBe('clean');
    });

    await d.reload(withPairs(s, [{}], { debounceMs: 100, maxDelayMs: 2000, concurrency: 2 }));
    expect(d.rt.lanes.of('p').concurrency).toBe(2);
    s.write('fast.txt', 'debounced 100 ms');
    await eventually(async () => expect(await keys(s!.bucket)).toEqual(['fast.txt', 'first.txt']));
    // Marked before the reload: still due in an hour. fast.txt's own outcome reaches the journal
    // within a queued write after its object is visible, so wait for that, not for a fixed count.
    await eventually(() => expect(d!.rt.journal.pendingCount('p')).toBe(1));
    expect(await keys(s.bucket)).not.toContain('slow.txt');
  });

  it('a change that needs a restart refuses the whole reload: nothing of it applies', async () => {
    s = await scratch('reload-refused');
    s.write('a.txt', 'a');
    const cfg = withPairs(s, [{ prefix: 'p/' }]);
    d = daemon(cfg);
    await d.start();
    const q = join(s.dir, 'q');
    mkdirSync(q);
    await d.reload(
      withPairs(s, [{ prefix: 'p/' }, { name: 'q', path: q, prefix: 'q/' }], {
        stateDir: join(s.dir, 'elsewhere'),
        concurrency: 3,
      }),
    );
    expect(d.cfg).toBe(cfg);
    expect([...d.rt.engines.keys()]).toEqual(['p']);
    expect(d.rt.lanes.of('p').concurrency).toBe(cfg.concurrency);
  });
});
