import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import type { Daemon } from '../src/sync/daemon.js';
import { spawn } from 'node:child_process';
import { CLI_PATH, type CliResult, cliEnv, runCli, spawnCli } from './support/cli.js';
import { expectStatusExit, tearDown } from './support/cli-fixture.js';
import { daemon, eventually, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// `status` for monitoring: one pair state from one list, the recovery-point watermark, and an exit
// code a probe can act on (0 healthy, 1 unhealthy with the reason on one line, 2 usage).

let s: Scratch | undefined;
let d: Daemon | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await tearDown({ d, proxy, s });
  d = undefined;
  proxy = undefined;
});

interface PairJson {
  pairState: string;
  pairStateReason: string;
  syncedThrough: string | null;
  oldestPendingAt: string | null;
  pending: number;
  pendingBytes: number;
  inFlight: number;
  throughput: number;
}
interface StatusJson {
  daemon: { running: boolean };
  pairs: PairJson[];
  transfers: { rel: string; progress: number }[];
  health: { healthy: boolean; reason: string | null };
}

/** The config as a file, for `status` run as its own process; `endpoint` may be a proxy's. */
function configFile(sc: Scratch, top: Record<string, unknown> = {}, endpoint = testEnv().endpoint) {
  const raw = {
    stateDir: sc.stateDir,
    s3: { endpoint, region: testEnv().region, forcePathStyle: true },
    debounceMs: 100,
    maxDelayMs: 2000,
    pairs: [{ name: 'p', path: sc.root, bucket: sc.bucket }],
    ...top,
  };
  const path = join(sc.dir, 'config.json');
  writeFileSync(path, JSON.stringify(raw));
  return { path, cfg: parseConfig(raw, sc.dir, path) as Config };
}

async function status(path: string, ...more: string[]): Promise<{ json: StatusJson; r: CliResult }> {
  const r = await runCli(['status', '--json', '--config', path, ...more]);
  expectStatusExit(r);
  return { json: JSON.parse(r.stdout) as StatusJson, r };
}

/** Polls status until the pair is in `state`; returns that status. */
function inState(path: string, state: string, ...more: string[]) {
  return eventually(async () => {
    const st = await status(path, ...more);
    expect(st.json.pairs[0]!.pairState).toBe(state);
    return st;
  }, 20_000);
}

describe('status for people and monitoring (issue 11, item 5)', () => {
  it('never-synced → syncing → in-sync; the watermark passes a change once it is uploaded', async () => {
    s = await scratch('health-life');
    s.write('a.txt', 'a');
    proxy = await startProxy(testEnv().endpoint);
    const { path, cfg } = configFile(s, {}, proxy.endpoint);

    // Before anything ran: no daemon (exit 1, said on one line), the pair never synced.
    const first = await status(path);
    expect(first.r.code).toBe(1);
    expect(first.r.stderr).toBe('s3mirror: unhealthy: the daemon is not running\n');
    expect(first.json.pairs[0]).toMatchObject({ pairState: 'never-synced', syncedThrough: null });

    // Every upload waits until released: the pair is seen syncing, its transfer in flight.
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    proxy.setFault({ kind: 'hook', match: (op) => op === 'PutObject', before: () => gate });
    d = daemon(cfg);
    await d.start();
    const syncing = await eventually(async () => {
      const st = await status(path);
      expect(st.json.pairs[0]).toMatchObject({ pairState: 'syncing', inFlight: 1 });
      return st;
    }, 20_000);
    expect(syncing.r.code).toBe(0);
    expect(syncing.json.transfers.map((t) => t.rel)).toEqual(['a.txt']);
    expect(syncing.json.pairs[0]!.syncedThrough).toBeNull();
    release();

    const synced = await inState(path, 'in-sync');
    expect(synced.r.code).toBe(0);
    expect(synced.json.health).toEqual({ healthy: true, reason: null });
    const text = await runCli(['status', '--config', path]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('state:     in-sync');

    // A change made now: the watermark passes its time only once the change is in the bucket.
    const changedAt = Date.now();
    s.write('b.txt', 'b');
    await eventually(async () => {
      const st = await status(path);
      expect(st.json.pairs[0]!.pairState).toBe('in-sync');
      expect(Date.parse(st.json.pairs[0]!.syncedThrough!)).toBeGreaterThan(changedAt);
    }, 20_000);
    expect((await status(path, '--max-lag', '1h')).r.code).toBe(0);
  });

  it('offline via the proxy: exit 1, and the reason names the pair and the state', async () => {
    s = await scratch('health-off');
    s.write('a.txt', 'a');
    proxy = await startProxy(testEnv().endpoint);
    const { path, cfg } = configFile(s, {}, proxy.endpoint);
    d = daemon(cfg);
    await d.start();
    await inState(path, 'in-sync');
    proxy.setFault({ kind: 'status', status: 500 });
    s.write('b.txt', 'b');
    const off = await inState(path, 'offline');
    expect(off.r.code).toBe(1);
    expect(off.r.stderr).toMatch(/^s3mirror: unhealthy: p is offline: the bucket does not answer: .+\n$/);
    // The waiting change holds the watermark before it was seen.
    const pair = off.json.pairs[0]!;
    expect(Date.parse(pair.syncedThrough!)).toBeLessThan(Date.parse(pair.oldestPendingAt!));
    proxy.setFault(null);
    expect((await inState(path, 'in-sync')).r.code).toBe(0);
  });

  it('paused by bandwidth "pause" is healthy, until the watermark is older than --max-lag', async () => {
    s = await scratch('health-pause');
    const { path, cfg } = configFile(s, { bandwidth: 'pause' });
    d = daemon(cfg);
    await d.start();
    s.write('a.txt', 'a');
    const paused = await eventually(async () => {
      const st = await status(path);
      expect(st.json.pairs[0]).toMatchObject({ pairState: 'paused', pending: 1 });
      return st;
    }, 20_000);
    expect(paused.r.code).toBe(0);
    // The change waits: the watermark stays before it, and ages past a second.
    const lagging = await eventually(async () => {
      const st = await status(path, '--max-lag', '1s');
      expect(st.r.code).toBe(1);
      return st;
    }, 20_000);
    expect(lagging.r.stderr).toMatch(
      /^s3mirror: unhealthy: p (is synced through \d+s ago|has no synced-through time yet)/,
    );
    expect(lagging.r.stderr).toContain('--max-lag 1s');
  });

  it('held by the mass-delete guard: exit 1, with the way out in the reason', async () => {
    s = await scratch('health-held');
    for (let i = 0; i < 4; i++) s.write(`f${i}.txt`, `${i}`);
    const { path, cfg } = configFile(s);
    d = daemon(cfg);
    await d.start();
    await inState(path, 'in-sync');
    for (let i = 0; i < 3; i++) unlinkSync(join(s.root, `f${i}.txt`));
    const held = await inState(path, 'held');
    expect(held.r.code).toBe(1);
    expect(held.r.stderr).toMatch(/^s3mirror: unhealthy: p is held: .+\n$/);
  });

  it('--watch prints status again each second until interrupted (plain views off a terminal)', async () => {
    s = await scratch('health-watch');
    s.write('a.txt', 'a');
    const { path, cfg } = configFile(s);
    d = daemon(cfg);
    await d.start();
    await inState(path, 'in-sync');
    const w = spawnCli(['status', '--watch', '--config', path]);
    // Two views, each headed by its time: then an interrupt ends it with the health's exit.
    await eventually(() => expect(w.stdout().match(/^--- \S+Z$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2), 20_000);
    expect(w.stdout()).not.toContain('\x1b[');
    expect(w.stdout()).toContain('state:     in-sync');
    w.kill('SIGINT');
    expect((await w.exited).code).toBe(0);
    const j = spawnCli(['status', '--watch', '--json', '--config', path]);
    await eventually(() => expect(j.stdout().split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2), 20_000);
    j.kill('SIGINT');
    expect((await j.exited).code).toBe(0);
    for (const line of j.stdout().split('\n').filter(Boolean))
      expect((JSON.parse(line) as StatusJson).pairs[0]!.pairState).toBe('in-sync');
  });

  it('--watch redraws in place on a terminal', async () => {
    s = await scratch('health-tty');
    s.write('a.txt', 'a');
    const { path, cfg } = configFile(s);
    d = daemon(cfg);
    await d.start();
    await inState(path, 'in-sync');
    // util-linux's script(1) gives the command a pseudo-terminal.
    const cmd = `'${process.execPath}' '${CLI_PATH}' status --watch --config '${path}'`;
    const tty = spawn('script', ['-qfec', cmd, '/dev/null'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    tty.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<void>((r) => tty.once('exit', () => r()));
    try {
      // Each view clears the screen and starts at its top: two of them, and no plain-line headers.
      await eventually(() => expect(out.split('\x1b[H\x1b[2J').length).toBeGreaterThanOrEqual(3), 20_000);
      expect(out).toContain('state:     in-sync');
      expect(out).not.toMatch(/^--- /m);
    } finally {
      tty.kill('SIGTERM');
      await exited;
    }
  });

  it('usage and config errors exit 2', async () => {
    s = await scratch('health-usage');
    const { path } = configFile(s);
    const lag = await runCli(['status', '--config', path, '--max-lag', 'soon']);
    expect(lag.code).toBe(2);
    expect(lag.stderr).toContain('--max-lag must be');
    expect((await runCli(['status', '--config', join(s.dir, 'missing.json')])).code).toBe(2);
  });
});
