import { EventEmitter } from 'node:events';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../src/sync/daemon.js';
import { readStatus } from '../src/status/status.js';
import { IGNORE_FILE } from '../src/watch/filter.js';
import type { PairWatcher, WatcherEvents } from '../src/watch/watcher.js';
import { daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';
import { listAll } from './support/s3client.js';

// The same changes, made under a running daemon, arrive through each watcher backend: real
// watchers, real files, a real S3 server. Each test ends with a change that only a watch (not the
// start-up walk) can have seen.

let s: Scratch | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  s?.cleanup();
  s = undefined;
});

const keys = async (bucket: string) => (await listAll(bucket)).map((o) => o.key).sort();

describe.each(['chokidar', 'parcel', 'node'] as const)('watcher "%s"', (backend) => {
  async function start(name: string, files: Record<string, string> = {}) {
    s = await scratch(`${name}-${backend}`);
    for (const [rel, text] of Object.entries(files)) s.write(rel, text);
    const cfg = s.config({ maxDeletePercent: 100 }, { watcher: backend });
    if (Object.keys(files).length) await once(cfg);
    d = daemon(cfg);
    await d.start();
    // Files the pass read within a second of their writing are read again now (plan/racy.ts):
    // changes made while that is under way would race with it.
    await eventually(() => expect(d!.rt.journal.pendingCount('p')).toBe(0));
    return { sc: s, cfg };
  }

  it('create, modify, delete and rename a file; status names the backend', async () => {
    const { sc, cfg } = await start('files', { 'keep.txt': 'kept', 'old.txt': 'to be renamed', 'gone.txt': 'x' });
    await eventually(() =>
      expect(readStatus(cfg).pairs[0]!.watcher).toEqual({ backend, reason: `watcher is set to "${backend}"` }),
    );
    sc.write('new.txt', 'created');
    sc.write('keep.txt', 'modified');
    rmSync(join(sc.root, 'gone.txt'));
    renameSync(join(sc.root, 'old.txt'), join(sc.root, 'renamed.txt'));
    await eventually(async () => {
      expect(await keys(sc.bucket)).toEqual(['keep.txt', 'new.txt', 'renamed.txt']);
      await expectMirror(sc.root, sc.bucket);
    });
    // The rename went out as a server-side copy: nothing uploaded but the new and modified files.
    expect(d!.rt.engines.get('p')!.stats).toMatchObject({ uploaded: 2, failed: 0 });
  });

  it('a directory tree created or moved in is mirrored and watched to its deepest directory', async () => {
    const { sc } = await start('dirs', { 'top.txt': 'top' });
    // Created in one go, deeper than one level, with files: what no single event names.
    mkdirSync(join(sc.root, 'made/b/c'), { recursive: true });
    writeFileSync(join(sc.root, 'made/b/c/deep.txt'), 'deep');
    writeFileSync(join(sc.root, 'made/a.txt'), 'a');
    // Built outside the root, then moved in whole.
    const outside = join(sc.dir, 'outside');
    mkdirSync(join(outside, 'x/y/z'), { recursive: true });
    writeFileSync(join(outside, 'x/y/z/moved.txt'), 'moved in');
    writeFileSync(join(outside, 'x/one.txt'), 'one');
    renameSync(join(outside, 'x'), join(sc.root, 'x'));
    await eventually(() => expectMirror(sc.root, sc.bucket));
    // Only a watch on the deepest directories sees these.
    writeFileSync(join(sc.root, 'made/b/c/later.txt'), 'later');
    writeFileSync(join(sc.root, 'x/y/z/later.txt'), 'later');
    mkdirSync(join(sc.root, 'x/y/z/new'));
    writeFileSync(join(sc.root, 'x/y/z/new/latest.txt'), 'latest');
    await eventually(async () => {
      expect(await keys(sc.bucket)).toContain('x/y/z/new/latest.txt');
      await expectMirror(sc.root, sc.bucket);
    });
  });

  it('a directory moved out is deleted; one renamed within the tree moves and stays watched', async () => {
    const files: Record<string, string> = { 'stay.txt': 'stay' };
    for (const dir of ['leaving', 'moving'])
      for (const f of ['a', 'sub/b', 'sub/deeper/c']) files[`${dir}/${f}.txt`] = `${dir}/${f}`;
    const { sc } = await start('moves', files);
    renameSync(join(sc.root, 'leaving'), join(sc.dir, 'left'));
    renameSync(join(sc.root, 'moving'), join(sc.root, 'moved'));
    await eventually(async () => {
      expect(await keys(sc.bucket)).toEqual(['moved/a.txt', 'moved/sub/b.txt', 'moved/sub/deeper/c.txt', 'stay.txt']);
    });
    writeFileSync(join(sc.root, 'moved/sub/deeper/after.txt'), 'after the move');
    await eventually(() => expectMirror(sc.root, sc.bucket));
    // Nothing was uploaded for the renamed tree: it moved by server-side copy.
    expect(d!.rt.engines.get('p')!.stats).toMatchObject({ uploaded: 1, failed: 0 });
  });

  it('ignore files: an edit excludes at once; a removal includes an excluded directory, watched from then on', async () => {
    const { sc } = await start('ignore', { 'sub/keep.txt': 'keep', [IGNORE_FILE]: 'cache/\n', 'cache/old.txt': 'old' });
    expect(await keys(sc.bucket)).toEqual([IGNORE_FILE, 'sub/keep.txt']);
    writeFileSync(join(sc.root, 'sub', IGNORE_FILE), '*.log\n');
    await eventually(async () => expect(await keys(sc.bucket)).toContain(`sub/${IGNORE_FILE}`));
    sc.write('sub/noise.log', 'excluded');
    sc.write('sub/marker.txt', 'written after the noise');
    await eventually(async () => expect(await keys(sc.bucket)).toContain('sub/marker.txt'));
    expect(await keys(sc.bucket)).not.toContain('sub/noise.log');
    rmSync(join(sc.root, 'sub', IGNORE_FILE));
    rmSync(join(sc.root, IGNORE_FILE));
    await eventually(() => expectMirror(sc.root, sc.bucket));
    // The directory excluded at start is watched now.
    sc.write('cache/new.txt', 'new');
    await eventually(() => expectMirror(sc.root, sc.bucket));
  });
});

/** A watcher that watches nothing: what it reports, the test says. */
class Blind extends EventEmitter<WatcherEvents> implements PairWatcher {
  async add(): Promise<void> {}
  async remove(): Promise<void> {}
  async close(): Promise<void> {}
}

it('a watcher that reports an error and a rescan: the pair degrades and the subtree is walked at once', async () => {
  s = await scratch('blind');
  s.write('sub/before.txt', 'before');
  const cfg = s.config();
  await once(cfg);
  const w = new Blind();
  d = daemon(cfg, { watcher: w });
  await d.start();
  // Unseen by any watch, as changes are while a backend drops its events.
  s.write('sub/unseen.txt', 'unseen');
  s.write('other/unseen.txt', 'not under the subtree');
  w.emit('error', { pair: 'p', error: new Error('events lost') });
  w.emit('rescan', { pair: 'p', under: 'sub' });
  await eventually(async () => expect(await keys(s!.bucket)).toEqual(['sub/before.txt', 'sub/unseen.txt']));
  expect(d.rt.degradedOf('p')).toMatchObject({ code: 'WATCHER_ERROR' });
});
