// Fixtures of the CLI tests: the built program (dist/cli.js) runs as a child process against the
// real S3 test server (testEnv()), on real files in fresh temp dirs, each test with its own bucket.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { assertBuilt, killAllClis, runCli, type CliChild, type CliResult } from './cli.js';
import { createBucket, emptyAndDeleteBucket, uniqueBucket } from './s3client.js';
import { testEnv } from './s3server.js';
import type { Daemon } from '../../src/sync/daemon.js';
import type { Scratch } from './mirror.js';
import type { FaultProxy } from './proxy.js';

export interface Fixture {
  root: string;
  data: string;
  state: string;
  bucket: string;
  config: string;
}

const tempDirs: string[] = [];
const buckets: string[] = [];

/** A fresh temp dir with `data/` (the mirrored tree) and `state/`, a config file, and (by default) a fresh bucket. */
export async function fixture(
  opts: { createBucket?: boolean; config?: Record<string, unknown> } = {},
): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 's3mirror-cli-'));
  tempDirs.push(root);
  const data = join(root, 'data');
  const state = join(root, 'state');
  await mkdir(data);
  const bucket = uniqueBucket('cli');
  if (opts.createBucket !== false) {
    await createBucket(bucket);
    buckets.push(bucket);
  }
  const config = join(root, 'config.json');
  await writeJson(config, baseConfig({ data, state, bucket }, opts.config));
  return { root, data, state, bucket, config };
}

export function baseConfig(
  f: { data: string; state: string; bucket: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const env = testEnv();
  return {
    stateDir: f.state,
    s3: { endpoint: env.endpoint, forcePathStyle: true, region: env.region },
    pairs: [{ name: 'main', path: f.data, bucket: f.bucket }],
    ...extra,
  };
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

export async function put(root: string, rel: string, content: string | Buffer): Promise<void> {
  const path = join(root, ...rel.split('/'));
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

/** A tree with nested dirs, an empty file, spaces, unicode, emoji, '%' and quotes in names. */
export const TREE: Record<string, string> = {
  'top.txt': 'top level\n',
  'empty.txt': '',
  'a/b/c/deep.txt': 'deep inside\n'.repeat(100),
  'a/sibling.json': '{"x":1}\n',
  'dir with spaces/file with spaces.txt': 'spaces\n',
  'café/résumé.txt': 'unicode é\n',
  'emoji 🎉/party 🚀.md': '# party\n',
  '100% done.txt': 'percent\n',
  'quotes/it\'s "quoted".txt': 'quotes\n',
};

export async function writeTree(root: string, tree: Record<string, string> = TREE): Promise<void> {
  for (const [rel, content] of Object.entries(tree)) await put(root, rel, content);
}

/** Polls `probe` until it returns a non-undefined value; fails with `what` and the last note at the deadline. */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; note?: () => string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${opts.note ? `: ${opts.note()}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export interface StatusJson {
  schemaVersion: number;
  daemon: { running: boolean; pid: number | null; mode: string | null };
  pairs: {
    name: string;
    state: string;
    verdict: string;
    inSync: { files: number; bytes: number };
    pending: number;
    failed: number;
  }[];
}

export async function status(config: string): Promise<StatusJson> {
  const r = await runCli(['status', '--json', '--config', config]);
  expectStatusExit(r);
  return JSON.parse(r.stdout) as StatusJson;
}

/**
 * `status` answers 0 when healthy and 1 when not (the daemon down, a pair that needs the
 * operator), as its `health` says; anything else is a failure of status itself.
 */
export function expectStatusExit(r: CliResult): void {
  expect([0, 1], describeRun('status', r)).toContain(r.code);
  if (!r.stdout.trimStart().startsWith('{')) return;
  const { health } = JSON.parse(r.stdout) as { health: { healthy: boolean; reason: string | null } };
  expect(r.code, describeRun('status', r)).toBe(health.healthy ? 0 : 1);
  if (!health.healthy) expect(r.stderr).toContain(`unhealthy: ${health.reason}`);
}

/**
 * Polls `status --json` until the daemon reports running; fails fast if the daemon exits. Every
 * report of a running daemon, the first ones of start-up included, must name this daemon's pid
 * (never null, never the previous process's).
 */
export async function waitForDaemon(config: string, daemon: CliChild, timeoutMs = 20_000): Promise<StatusJson> {
  return poll(
    'status --json to report daemon.running with a pid',
    async () => {
      if (daemon.hasExited()) {
        const r = await daemon.exited;
        throw new Error(`daemon exited early: ${describeRun('run', r)}`);
      }
      const s = await status(config);
      if (!s.daemon.running) return undefined;
      expect(s.daemon.pid, 'status of a daemon starting up').toBe(daemon.pid);
      return s;
    },
    { timeoutMs, intervalMs: 100, note: () => `daemon stderr: ${daemon.stderr().slice(-2000)}` },
  );
}

export async function stopDaemon(daemon: CliChild, timeoutMs = 20_000): Promise<CliResult> {
  daemon.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    daemon.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`daemon did not exit within ${timeoutMs} ms of SIGTERM; stderr: ${daemon.stderr().slice(-2000)}`),
          ),
        timeoutMs,
      );
    }),
  ]);
  clearTimeout(timer);
  return r;
}

export function describeRun(what: string, r: CliResult): string {
  return `${what} exited ${r.code} (signal ${r.signal})\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
}

export const sync = (config: string, ...more: string[]) => runCli(['sync', '--once', '--config', config, ...more]);

export async function syncOk(config: string): Promise<CliResult> {
  const r = await sync(config);
  expect(r.code, describeRun('sync --once', r)).toBe(0);
  return r;
}

/** The hooks of a describe of CLI tests: the CLI is built, and no child, bucket or temp dir outlives the file. */
export function cliSuiteHooks(): void {
  beforeAll(() => {
    assertBuilt();
    testEnv(); // fails early with a clear message when no endpoint is configured
  });

  afterEach(async () => {
    await killAllClis();
  });

  afterAll(async () => {
    await killAllClis();
    for (const b of buckets) await emptyAndDeleteBucket(b).catch(() => undefined);
    for (const d of tempDirs) await rm(d, { recursive: true, force: true });
  });
}

/** `http://host:port` where the daemon says it serves metrics (the port 0 resolved to, as logged). */
export function metricsBase(d: CliChild, timeoutMs = 20_000): Promise<string> {
  return poll(
    'the daemon to log where it serves metrics',
    async () => {
      const m = /"listen":"([^"]+)"[^\n]*serving metrics/.exec(d.stdout() + d.stderr());
      return m ? `http://${m[1]}` : undefined;
    },
    { timeoutMs, intervalMs: 50, note: () => d.stdout() },
  );
}

/**
 * What an in-process daemon test leaves running, in the order it must go: the daemon, any CLI it
 * spawned, the proxy in front of the server, then the scratch directory.
 */
export async function tearDown(o: {
  d?: Daemon | undefined;
  proxy?: FaultProxy | undefined;
  s?: Scratch | undefined;
}): Promise<void> {
  await o.d?.stop();
  await killAllClis();
  await o.proxy?.close();
  o.s?.cleanup();
}
