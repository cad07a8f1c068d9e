// A tree with ten times more files than the kernel's inotify limit leaves watches, and more
// directories than it needs: the parcel backend watches it whole (one watch per directory), and
// chokidar (one per file) is refused. The limit is machine-wide, so this file runs alone
// (vitest.alone.config.ts), the limit is low only while the pair's watcher starts, and it is
// restored in a `finally`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readStatus } from '../src/status/status.js';
import type { Daemon } from '../src/sync/daemon.js';
import { LIMIT, LoweredOnce, LoweredUntilReady, readLimit } from './support/inotify.js';
import { daemon, eventually, once, scratch, type Scratch } from './support/mirror.js';
import { getObjectMd5 } from './support/s3client.js';

let s: Scratch | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  s?.cleanup();
});

const isRoot = process.getuid?.() === 0;
const DIRS = 20;
const FILES = 2000;
/** Watches left free while the watcher starts: above the directories, far below the files. */
const HEADROOM = 200;
/** 20 directories, each inside the one before: the deepest is 20 levels down. */
const dirAt = (i: number) => Array.from({ length: i + 1 }, (_, k) => `l${k}`).join('/');
const DEEPEST = dirAt(DIRS - 1);

/** inotify watches this process holds. */
function ownWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function startLowered(backend: 'auto' | 'chokidar' | 'parcel' | 'node') {
  expect(isRoot, 'run as root: this test lowers fs.inotify.max_user_watches').toBe(true);
  s = await scratch(`watches-${backend}`);
  for (let i = 0; i < FILES; i++) s.write(`${dirAt(i % DIRS)}/f${i}.txt`, `file ${i}`);
  const cfg = s.config({}, { degradedRescanMs: 60_000, watcher: backend });
  await once(cfg);
  const before = readLimit();
  // auto reads the watches free before it chooses: lowered from then until the watch is ready.
  const w = backend === 'auto' ? new LoweredUntilReady(HEADROOM) : new LoweredOnce(HEADROOM);
  d = daemon(cfg, { watcher: w });
  const watchesBefore = ownWatches();
  try {
    if (w instanceof LoweredUntilReady) w.lower();
    await d.start();
  } finally {
    writeFileSync(LIMIT, String(before));
  }
  expect(readLimit()).toBe(before);
  expect(w.lowered).toBeLessThan(before);
  return { cfg, held: ownWatches() - watchesBefore };
}

describe(`${FILES} files in ${DIRS} directories, with ${HEADROOM} inotify watches free`, () => {
  it.each(['parcel', 'node'] as const)(
    '%s watches every directory with one watch each, and mirrors a change in the deepest',
    async (backend) => {
      const { cfg, held } = await startLowered(backend);
      expect(d!.rt.degradedOf('p')).toBeUndefined();
      // The root and its 20 directories: one watch each, none per file.
      expect(held).toBe(DIRS + 1);
      await eventually(() =>
        expect(readStatus(cfg).pairs[0]).toMatchObject({
          verdict: 'in sync',
          watcher: { backend, reason: `watcher is set to "${backend}"` },
        }),
      );
      s!.write(`${DEEPEST}/late.txt`, 'seen by the watch of the deepest directory');
      await eventually(async () => expect(await getObjectMd5(s!.bucket, `${DEEPEST}/late.txt`)).toBeTruthy());
      expect(d!.rt.degradedOf('p')).toBeUndefined();
    },
  );

  it('auto chooses node for a tree larger than half the watches free', async () => {
    const { cfg, held } = await startLowered('auto');
    expect(d!.rt.degradedOf('p')).toBeUndefined();
    expect(held).toBe(DIRS + 1);
    await eventually(() => expect(readStatus(cfg).pairs[0]).toMatchObject({ verdict: 'in sync' }));
    expect(readStatus(cfg).pairs[0]!.watcher).toEqual({
      backend: 'node',
      reason: expect.stringMatching(
        new RegExp(
          `^auto: node \\(one inotify watch per directory, nothing held per file\\): ${FILES} directories and files exceed half of the \\d+ inotify watches free$`,
        ),
      ),
    });
    s!.write(`${DEEPEST}/late.txt`, 'seen by the watch of the deepest directory');
    await eventually(async () => expect(await getObjectMd5(s!.bucket, `${DEEPEST}/late.txt`)).toBeTruthy());
  });

  it('chokidar, one watch per file, is refused: the pair is degraded', async () => {
    await startLowered('chokidar');
    expect(d!.rt.degradedOf('p')).toMatchObject({ code: 'ENOSPC' });
  });
});
