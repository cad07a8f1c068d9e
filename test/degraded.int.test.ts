import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import type { Daemon } from '../src/sync/daemon.js';
import { Watcher, type WatchTarget } from '../src/watch/watcher.js';
import { killAllClis, runCli } from './support/cli.js';
import { expectStatusExit } from './support/cli-fixture.js';
import { daemon, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { getObjectMd5, listAll } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

let s: Scratch | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  await killAllClis();
  s?.cleanup();
});

interface PairJson {
  verdict: string;
  pending: number;
  degraded: { since: string; code: string; cause: string; fix: string; errors: number; rescanEveryMs: number } | null;
}
interface StatusJson {
  pairs: PairJson[];
  recentErrors: { code: string; pair: string | null; message: string }[];
}

/** The config as a file too, for `status` run as its own process, as an operator runs it. */
function configFile(sc: Scratch, pair: Record<string, unknown> = {}): { path: string; cfg: Config } {
  const raw = {
    stateDir: sc.stateDir,
    s3: { endpoint: testEnv().endpoint, region: testEnv().region, forcePathStyle: true },
    debounceMs: 100,
    maxDelayMs: 2000,
    degradedRescanMs: 300,
    pairs: [{ name: 'p', path: sc.root, bucket: sc.bucket, ...pair }],
  };
  const path = join(sc.dir, 'config.json');
  writeFileSync(path, JSON.stringify(raw));
  return { path, cfg: parseConfig(raw, sc.dir, path) };
}

async function status(path: string): Promise<{ json: StatusJson; text: string }> {
  const j = await runCli(['status', '--json', '--config', path]);
  expectStatusExit(j);
  const t = await runCli(['status', '--config', path]);
  expectStatusExit(t);
  return { json: JSON.parse(j.stdout) as StatusJson, text: t.stdout };
}

/**
 * A kernel out of inotify watches, as chokidar reports it: an ENOSPC error per path it could not
 * watch, and nothing watched. Once `full` is cleared, it is the real watcher.
 */
class FullWatcher extends Watcher {
  full = true;
  adds = 0;
  override async add(t: WatchTarget): Promise<void> {
    this.adds++;
    if (!this.full) return super.add(t);
    await this.remove(t.pair);
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      const error = Object.assign(
        new Error(`ENOSPC: System limit for number of file watchers reached, watch '${join(t.root, name)}'`),
        { code: 'ENOSPC' },
      );
      this.emit('error', { pair: t.pair, error });
    }
  }
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function kernelWatchLimit(): string {
  try {
    return readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim();
  } catch {
    return 'unknown here';
  }
}

describe('a watcher that cannot watch is never silent (issue 9, item 3)', () => {
  it('makes the pair degraded with the fix, rescans it meanwhile, and recovers once watching works', async () => {
    s = await scratch('dg-seam');
    s.write('a.txt', 'a');
    const { path, cfg } = configFile(s);
    const w = new FullWatcher();
    d = daemon(cfg, { watcher: w });
    await d.start();
    await eventually(async () => expect((await listAll(s!.bucket)).map((o) => o.key)).toEqual(['a.txt']), 20_000);

    // Status is written every second: the failure shows from the next write on.
    const { json, text } = await eventually(async () => {
      const st = await status(path);
      expect(st.json.pairs[0]!.verdict).toBe('degraded');
      return st;
    });
    const p = json.pairs[0]!;
    expect(p.degraded).toMatchObject({ code: 'ENOSPC', rescanEveryMs: 300 });
    expect(p.degraded!.cause).toContain(`fs.inotify.max_user_watches is ${kernelWatchLimit()}`);
    expect(p.degraded!.fix).toMatch(/sudo sysctl fs\.inotify\.max_user_watches=\d+/);
    expect(p.degraded!.fix).toContain('/etc/sysctl.d/');
    expect(text).toContain('[degraded]');
    expect(text).not.toContain('[in sync]');
    expect(text).toMatch(/fix: +raise it to at least \d+/);

    // A change the blind watcher misses arrives by the degraded rescan, and the pair stays degraded.
    s.write('b.txt', 'bb');
    await eventually(async () => expect(await getObjectMd5(s!.bucket, 'b.txt')).toBeTruthy(), 20_000);
    // With the limit unchanged, watching is tried again every tenth rescan (3 s here).
    await eventually(async () => expect(w.adds).toBeGreaterThanOrEqual(2), 20_000);
    const later = await status(path);
    expect(later.json.pairs[0]!.verdict).toBe('degraded');
    expect(later.text).not.toContain('[in sync]');
    // One error per failure in the log status shows, however many paths the kernel refused.
    expect(later.json.recentErrors.filter((e) => e.code === 'WATCHER_ERROR')).toHaveLength(1);
    // The second try's errors are counted from the next status write on.
    await eventually(async () => expect((await status(path)).json.pairs[0]!.degraded!.errors).toBeGreaterThan(3));

    // Watching works again: the next rescan watches the pair, and its changes come by events.
    w.full = false;
    await eventually(async () => expect((await status(path)).json.pairs[0]!.verdict).toBe('in sync'), 20_000);
    expect((await status(path)).json.pairs[0]!.degraded).toBeNull();
    const adds = w.adds;
    s.write('c.txt', 'ccc');
    await eventually(async () => expect(await getObjectMd5(s!.bucket, 'c.txt')).toBeTruthy(), 20_000);
    expect(w.adds).toBe(adds); // no rescan watched it anew: the watcher saw the change
    await expectMirror(s.root, s.bucket);
  });

  it('an edited .s3mirrorignore rescans its directory and watches what became included', async () => {
    s = await scratch('dg-ignore');
    s.write('.s3mirrorignore', 'skip/\n*.log\n');
    s.write('keep.txt', 'keep');
    s.write('x.log', 'log');
    s.write('skip/a.txt', 'a1');
    s.write('skip/deep/b.txt', 'b1');
    s.write('sub/.s3mirrorignore', 'hidden.txt\n');
    s.write('sub/hidden.txt', 'h');
    s.write('sub/shown.txt', 's');
    const { cfg } = configFile(s, { deleteExcluded: true });
    d = daemon(cfg);
    await d.start();
    const keys = async () => (await listAll(s!.bucket)).map((o) => o.key).sort();
    await eventually(
      async () => expect(await keys()).toEqual(['.s3mirrorignore', 'keep.txt', 'sub/.s3mirrorignore', 'sub/shown.txt']),
      20_000,
    );

    // skip/ is no longer excluded: its files are found without waiting for the hourly rescan …
    s.write('.s3mirrorignore', '*.log\n');
    await eventually(async () => expect(await keys()).toContain('skip/deep/b.txt'), 20_000);
    expect(await keys()).toContain('skip/a.txt');
    // … and it is watched now: a change inside it arrives by its own event.
    s.write('skip/deep/b.txt', 'b2, changed');
    s.write('skip/deep/new.txt', 'new');
    await eventually(async () => expect(await keys()).toContain('skip/deep/new.txt'), 20_000);
    await eventually(
      async () => expect(await getObjectMd5(s!.bucket, 'skip/deep/b.txt')).toBe(md5('b2, changed')),
      20_000,
    );

    // A nested ignore file: what it now excludes goes (deleteExcluded), what it no longer does comes.
    s.write('sub/.s3mirrorignore', 'shown.txt\n');
    await eventually(async () => {
      const k = await keys();
      expect(k).toContain('sub/hidden.txt');
      expect(k).not.toContain('sub/shown.txt');
    }, 20_000);

    // The ignore file removed: x.log is included again.
    rmSync(join(s.root, '.s3mirrorignore'));
    await eventually(async () => expect(await keys()).toContain('x.log'), 20_000);
    expect(await getObjectMd5(s.bucket, 'x.log')).toBe(md5('log'));
  });
});
