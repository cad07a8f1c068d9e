import { afterEach, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../src/log.js';
import { Daemon } from '../src/sync/daemon.js';
import { credentials, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';

// `auto` on a first start: nothing is counted yet, so the pair is watched by node (cheap at any
// size); the first walk counts a small tree and it is watched anew by chokidar.

let s: Scratch | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  s?.cleanup();
  s = undefined;
});

it.runIf(process.platform === 'linux')(
  'auto, first start: node until the walk counts a small tree, then chokidar',
  async () => {
    s = await scratch('auto');
    s.write('a.txt', 'a');
    s.write('sub/b.txt', 'b');
    const cfg = s.config({}, { watcher: 'auto' });
    const log = join(s.dir, 'daemon.log');
    d = new Daemon(cfg, createLogger({ destination: log }), { credentials: credentials() });
    const seen = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { watcher?: string; reason?: string })
        .filter((o) => o.watcher)
        .map((o) => `${o.watcher}: ${o.reason}`);
    await d.start();
    await eventually(() => expect(seen()).toHaveLength(2));
    expect(d.rt.status.watchers.get('p')?.backend).toBe('chokidar');
    expect(seen()[0]).toBe(
      'node: auto: node (one inotify watch per directory, nothing held per file) until the first walk counts the tree',
    );
    expect(seen()[1]).toMatch(
      /^chokidar: auto: chokidar \(one inotify watch per file, each event precise\): 4 directories and files fit in half of the \d+ inotify watches free$/,
    );
    s.write('sub/c.txt', 'seen by chokidar');
    await eventually(() => expectMirror(s!.root, s!.bucket));
  },
);
