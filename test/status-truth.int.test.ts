import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import type { Daemon } from '../src/sync/daemon.js';
import { Journal } from '../src/store/journal.js';
import type { Watcher } from '../src/watch/watcher.js';
import { runCli } from './support/cli.js';
import { expectStatusExit, tearDown } from './support/cli-fixture.js';
import { daemon, eventually, once, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

let s: Scratch | undefined;
let d: Daemon | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await tearDown({ d, proxy, s });
  d = undefined;
  proxy = undefined;
});

interface PairJson {
  verdict: string;
  lastSyncAt: string | null;
  pending: number;
  retrying: number;
  failed: number;
  held: number;
  watcherError: { at: string; message: string } | null;
  degraded: { code: string; cause: string; fix: string } | null;
}
interface StatusJson {
  daemon: { running: boolean };
  pairs: PairJson[];
  recentErrors: { code: string; pair: string | null }[];
}

/**
 * The config as a file, for `status` run as its own process (as an operator would: a status read
 * inside the daemon's process cannot see the daemon's lock). `endpoint` may point at a proxy.
 */
function configFile(
  sc: Scratch,
  pair: Record<string, unknown> = {},
  endpoint = testEnv().endpoint,
): { path: string; cfg: Config } {
  const raw = {
    stateDir: sc.stateDir,
    s3: { endpoint, region: testEnv().region, forcePathStyle: true },
    debounceMs: 100,
    maxDelayMs: 2000,
    pairs: [{ name: 'p', path: sc.root, bucket: sc.bucket, ...pair }],
  };
  const path = join(sc.dir, 'config.json');
  writeFileSync(path, JSON.stringify(raw));
  return { path, cfg: parseConfig(raw, sc.dir, path) };
}

/** The pair's word in the table (`p: … [in sync]`); --json carries it as `verdict`. */
async function verdict(path: string): Promise<string> {
  const r = await runCli(['status', '--config', path]);
  expectStatusExit(r);
  return /^p: .*\[(.+)\]$/m.exec(r.stdout)?.[1] ?? '';
}

async function status(path: string): Promise<StatusJson> {
  const r = await runCli(['status', '--json', '--config', path]);
  expectStatusExit(r);
  return JSON.parse(r.stdout) as StatusJson;
}

/** What the journal says: the pair's last sync, and the running process's last status write. */
function journalView(stateDir: string): { lastSync: number | null; heartbeat: number; pending: number } {
  const j = Journal.open(stateDir, { readonly: true });
  try {
    const proc = JSON.parse(j.getMeta('process') ?? '{"heartbeat":0}') as { heartbeat: number };
    return {
      lastSync: j.pairs.get('p')?.last_sync_at ?? null,
      heartbeat: proc.heartbeat,
      pending: j.pendingCount('p'),
    };
  } finally {
    j.close();
  }
}

/** Two more status writes of the daemon happen (each would advance "last sync" if it could). */
async function twoStatusWrites(stateDir: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const seen = journalView(stateDir).heartbeat;
    await eventually(() => expect(journalView(stateDir).heartbeat).toBeGreaterThan(seen));
  }
}

describe('status tells the truth (issue 7)', () => {
  it('is not "in sync" while the start-up reconcile has not finished', async () => {
    s = await scratch('st-scan');
    s.write('a.txt', 'a');
    await once(s.config());
    proxy = await startProxy(testEnv().endpoint);
    let listing!: () => void;
    const listed = new Promise<void>((r) => (listing = r));
    // The reconcile's listing is held at the proxy while status is asked.
    proxy.setFault({
      kind: 'delay',
      ms: 4000,
      times: 1,
      match: (op) => {
        if (op !== 'ListObjectsV2') return false;
        listing();
        return true;
      },
    });
    const { path, cfg } = configFile(s, {}, proxy.endpoint);
    d = daemon(cfg);
    const started = d.start();
    await listed;
    const during = await status(path);
    expect(during.daemon.running).toBe(true);
    expect(await verdict(path)).toBe('scanning');
    expect(during.pairs[0]!.verdict).toBe('scanning');
    await started;
    await eventually(async () => expect(await verdict(path)).toBe('in sync'), 20_000);
  });

  it('failed rows keep it from "in sync", and "last sync" does not advance while they exist', async () => {
    s = await scratch('st-failed');
    s.write('ok.txt', 'ok');
    const { path, cfg } = configFile(s);
    d = daemon(cfg);
    await d.start();
    await eventually(
      async () => expect((await runCli(['status', '--config', path])).stdout).toContain('[in sync]'),
      20_000,
    );
    // A key over 1,024 bytes: a per-file error no retry fixes.
    const long = Array.from({ length: 5 }, (_, i) => `${i}${'x'.repeat(240)}`).join('/');
    mkdirSync(join(s.root, long.slice(0, long.lastIndexOf('/'))), { recursive: true });
    writeFileSync(join(s.root, long), 'too long a key');
    await eventually(
      async () => expect((await status(path)).pairs[0]).toMatchObject({ failed: 1, pending: 0 }),
      20_000,
    );
    const before = journalView(s.stateDir).lastSync;
    await twoStatusWrites(s.stateDir);
    expect(journalView(s.stateDir).lastSync).toBe(before);
    expect(await verdict(path)).toBe('1 failed');
    expect((await status(path)).pairs[0]).toMatchObject({
      verdict: '1 failed',
      lastSyncAt: before === null ? null : new Date(before).toISOString(),
    });
  });

  it('held deletes keep it from "in sync", and "last sync" does not advance while they are held', async () => {
    s = await scratch('st-held');
    for (let i = 0; i < 4; i++) s.write(`f${i}.txt`, `${i}`);
    const { path, cfg } = configFile(s);
    d = daemon(cfg);
    await d.start();
    await eventually(
      async () => expect((await runCli(['status', '--config', path])).stdout).toContain('[in sync]'),
      20_000,
    );
    for (let i = 0; i < 3; i++) unlinkSync(join(s.root, `f${i}.txt`));
    await eventually(async () => expect((await status(path)).pairs[0]).toMatchObject({ held: 3, pending: 0 }), 20_000);
    const before = journalView(s.stateDir).lastSync;
    await twoStatusWrites(s.stateDir);
    expect(journalView(s.stateDir).lastSync).toBe(before);
    expect(await verdict(path)).toBe('deletes-held');
    expect((await status(path)).pairs[0]!.verdict).toBe('deletes-held');
  });

  it('a watcher error makes the pair degraded, recorded and shown, and not "in sync" until it is watched anew', async () => {
    s = await scratch('st-watch');
    s.write('a.txt', 'a');
    const { path, cfg } = configFile(s);
    d = daemon(cfg);
    await d.start();
    await eventually(
      async () => expect((await runCli(['status', '--config', path])).stdout).toContain('[in sync]'),
      20_000,
    );
    // What chokidar reports when the kernel refuses a watch (root reads every directory, so the
    // error is raised through the watcher's own event, the seam the daemon listens on).
    const w = (d as unknown as { watcher: Watcher }).watcher;
    w.emit('error', {
      pair: 'p',
      error: Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' }),
    });
    const before = journalView(s.stateDir).lastSync;
    await twoStatusWrites(s.stateDir);
    expect(journalView(s.stateDir).lastSync).toBe(before);
    expect(await verdict(path)).toBe('degraded');
    const st = await status(path);
    expect(st.recentErrors.map((e) => [e.pair, e.code])).toContainEqual(['p', 'WATCHER_ERROR']);
    expect(st.pairs[0]).toMatchObject({
      verdict: 'degraded',
      watcherError: { message: expect.stringContaining('ENOSPC') },
      degraded: { code: 'ENOSPC', fix: expect.stringContaining('fs.inotify.max_user_watches') },
    });
  });
});
