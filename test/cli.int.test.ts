// End-to-end tests of the CLI: the built program (dist/cli.js) runs as a child process against the
// real S3 test server (testEnv()), on real files in fresh temp dirs, each test with its own bucket.
// What landed in S3 is checked with an independent client (test/support/s3client.ts).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, killAllClis, runCli, spawnCli, type CliChild, type CliResult } from './support/cli.js';
import { createBucket, emptyAndDeleteBucket, getObjectMd5, listAll, uniqueBucket } from './support/s3client.js';
import { startProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// ---------------------------------------------------------------------------------------------
// fixtures

interface Fixture {
  root: string;
  data: string;
  state: string;
  bucket: string;
  config: string;
}

const tempDirs: string[] = [];
const buckets: string[] = [];

/** A fresh temp dir with `data/` (the mirrored tree) and `state/`, a config file, and (by default) a fresh bucket. */
async function fixture(opts: { createBucket?: boolean; config?: Record<string, unknown> } = {}): Promise<Fixture> {
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

function baseConfig(
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

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function put(root: string, rel: string, content: string | Buffer): Promise<void> {
  const path = join(root, ...rel.split('/'));
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

/** A tree with nested dirs, an empty file, spaces, unicode, emoji, '%' and quotes in names. */
const TREE: Record<string, string> = {
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

async function writeTree(root: string, tree: Record<string, string> = TREE): Promise<void> {
  for (const [rel, content] of Object.entries(tree)) await put(root, rel, content);
}

interface Entry {
  size: number;
  md5: string;
}

/** Every regular file under `root`, keyed by its expected S3 key (NFC, '/'-separated). */
async function localManifest(root: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(join(dir, d.name), r);
      else if (d.isFile()) {
        const bytes = await readFile(join(dir, d.name));
        out.set(r.normalize('NFC'), { size: bytes.length, md5: createHash('md5').update(bytes).digest('hex') });
      }
    }
  };
  await walk(root, '');
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Keys, sizes and MD5s (of downloaded bytes) in the bucket. */
async function remoteManifest(bucket: string): Promise<Map<string, Entry>> {
  const listed = await listAll(bucket);
  const md5s = await mapLimit(listed, 16, (o) => getObjectMd5(bucket, o.key));
  return new Map(listed.map((o, i) => [o.key, { size: o.size, md5: md5s[i]! }]));
}

const sorted = (m: Map<string, Entry>) =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, e]) => ({ key, ...e }));

async function expectMirror(bucket: string, root: string): Promise<void> {
  const [local, remote] = await Promise.all([localManifest(root), remoteManifest(bucket)]);
  expect(sorted(remote)).toEqual(sorted(local));
}

/** Cheap check for polling: undefined when the bucket has exactly the local keys and sizes. */
async function keysAndSizesDiffer(bucket: string, root: string): Promise<string | undefined> {
  const [local, listed] = await Promise.all([localManifest(root), listAll(bucket)]);
  const remote = new Map(listed.map((o) => [o.key, o.size]));
  const problems: string[] = [];
  for (const [k, e] of local)
    if (remote.get(k) !== e.size) problems.push(`${k}: local ${e.size}, remote ${remote.get(k)}`);
  for (const k of remote.keys()) if (!local.has(k)) problems.push(`${k}: only in bucket`);
  return problems.length ? problems.join('; ') : undefined;
}

/** Polls `probe` until it returns a non-undefined value; fails with `what` and the last note at the deadline. */
async function poll<T>(
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

interface StatusJson {
  schemaVersion: number;
  daemon: { running: boolean; pid: number | null; mode: string | null };
  pairs: { name: string; state: string; inSync: { files: number; bytes: number }; pending: number; failed: number }[];
}

async function status(config: string): Promise<StatusJson> {
  const r = await runCli(['status', '--json', '--config', config]);
  expect(r.code, describeRun('status', r)).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

/**
 * Polls `status --json` until the daemon reports running; fails fast if the daemon exits. Every
 * report of a running daemon, the first ones of start-up included, must name this daemon's pid
 * (never null, never the previous process's).
 */
async function waitForDaemon(config: string, daemon: CliChild, timeoutMs = 20_000): Promise<StatusJson> {
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

async function stopDaemon(daemon: CliChild, timeoutMs = 20_000): Promise<CliResult> {
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

function describeRun(what: string, r: CliResult): string {
  return `${what} exited ${r.code} (signal ${r.signal})\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
}

const sync = (config: string, ...more: string[]) => runCli(['sync', '--once', '--config', config, ...more]);

async function syncOk(config: string): Promise<CliResult> {
  const r = await sync(config);
  expect(r.code, describeRun('sync --once', r)).toBe(0);
  return r;
}

// ---------------------------------------------------------------------------------------------

describe('s3mirror CLI (integration)', () => {
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

  it('sync --once mirrors a tree with awkward names', async () => {
    const f = await fixture();
    await writeTree(f.data);
    const r = await syncOk(f.config);
    expect(r.stdout).toContain('in sync');
    // One readable line per pair, not the raw counters as JSON.
    expect(r.stdout.split('\n')).toContain(
      `main: ${Object.keys(TREE).length} uploaded, 0 copied, 0 deleted, 0 trashed, 0 skipped, 0 failed, 0 held`,
    );
    expect(r.stdout).not.toContain('{');
    await expectMirror(f.bucket, f.data);
    expect((await listAll(f.bucket)).length).toBe(Object.keys(TREE).length);
  });

  it('--version prints the version of package.json; --help lists the exit codes', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const v = await runCli(['--version']);
    expect(v.code, describeRun('--version', v)).toBe(0);
    expect(v.stdout).toBe(`${pkg.version}\n`);
    const h = await runCli(['--help']);
    expect(h.code, describeRun('--help', h)).toBe(0);
    expect(h.stdout).toContain('Exit codes:');
    for (const [code, meaning] of [
      ['0', 'ok'],
      ['1', 'some files failed'],
      ['2', 'usage or config error'],
      ['3', 'deletes held'],
      ['4', 'endpoint, bucket or credentials unusable'],
      ['75', 'stateDir is in use'],
    ]) {
      expect(h.stdout, `exit code ${code}`).toMatch(new RegExp(`^ +${code} +[^\\n]*${meaning}`, 'm'));
    }
  });

  it('process warnings are one line: "s3mirror: warning:" from sync --once, a JSON line from the daemon', async () => {
    const f = await fixture();
    await writeTree(f.data, { 'a.txt': 'a\n' });
    // The AWS SDK warns on Node < 22 (over eight lines, by default); let it, in this child.
    const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };
    const sdkWarns = Number(process.versions.node.split('.')[0]) < 22;
    const continuation = /^versions published after/m;

    const r = await runCli(['sync', '--once', '--config', f.config], { env });
    expect(r.code, describeRun('sync', r)).toBe(0);
    expect(r.stderr).not.toMatch(continuation);
    if (sdkWarns)
      expect(r.stderr).toMatch(/^s3mirror: warning: NodeVersionSupportWarning: .* versions published after .*$/m);

    const daemon = spawnCli(['run', '--config', f.config], { env });
    await waitForDaemon(f.config, daemon);
    const d = await stopDaemon(daemon);
    expect(d.code, describeRun('run', d)).toBe(0);
    expect(d.stderr).not.toMatch(continuation);
    const lines = d.stdout.split('\n').filter(Boolean);
    for (const l of lines) expect(() => JSON.parse(l), `not one JSON object per line: ${l}`).not.toThrow();
    if (sdkWarns) {
      const w = lines
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .find((o) => o.msg.startsWith('NodeVersionSupportWarning'));
      expect(w, d.stdout).toBeDefined();
      expect(w!.level).toBe(40);
    }
  });

  it('sync --once exits 3 and names the release command when the guard holds deletes; resume releases them', async () => {
    const f = await fixture();
    await writeTree(f.data, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd.txt': 'd' });
    await syncOk(f.config);
    for (const n of ['a.txt', 'b.txt', 'c.txt']) await unlink(join(f.data, n));
    const r = await sync(f.config);
    expect(r.code, describeRun('sync', r)).toBe(3);
    expect(r.stdout).toContain('main: 3 deletes held: 3 deletes of 4 objects exceed maxDeletePercent 50%');
    expect(r.stdout).toContain(`release with: s3mirror resume --config ${f.config} --pair main --allow-deletes`);
    expect((await listAll(f.bucket)).length).toBe(4);
    const res = await runCli(['resume', '--config', f.config, '--pair', 'main', '--allow-deletes']);
    expect(res.stdout).toContain('main: released 3 held delete(s)');
    await syncOk(f.config);
    expect((await listAll(f.bucket)).map((o) => o.key)).toEqual(['d.txt']);
  });

  it('a file its user cannot read is a per-file error (exit 1) that stalls nothing, and is retried once readable', async () => {
    const f = await fixture();
    await writeTree(f.data, { 'ok.txt': 'fine', 'sub/also-ok.txt': 'fine too', 'secret.txt': 'locked' });
    // Root reads anything, so as root the sync runs as "nobody", which owns the state dir but
    // not secret.txt; otherwise the owner itself cannot read a 000 file.
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? { uid: 65534, gid: 65534 } : {};
    await mkdir(f.state);
    if (asRoot) {
      for (const d of [f.root, f.data, join(f.data, 'sub')]) await chmod(d, 0o755);
      for (const n of ['ok.txt', 'sub/also-ok.txt']) await chmod(join(f.data, n), 0o644);
      await chmod(f.config, 0o644);
      await chown(f.state, 65534, 65534);
      await chmod(join(f.data, 'secret.txt'), 0o600);
    } else {
      await chmod(join(f.data, 'secret.txt'), 0o000);
    }
    const r = await runCli(['sync', '--once', '--config', f.config], user);
    expect(r.code, describeRun('sync', r)).toBe(1);
    expect(r.stdout).toMatch(/^ {2}main\/secret\.txt: FILE_UNREADABLE: cannot read .*secret\.txt: permission denied$/m);
    expect((await listAll(f.bucket)).map((o) => o.key).sort()).toEqual(['ok.txt', 'sub/also-ok.txt']);
    await chmod(join(f.data, 'secret.txt'), 0o644);
    const again = await runCli(['sync', '--once', '--config', f.config], user);
    expect(again.code, describeRun('sync', again)).toBe(0);
    expect((await listAll(f.bucket)).map((o) => o.key).sort()).toEqual(['ok.txt', 'secret.txt', 'sub/also-ok.txt']);
  });

  it('resume says when a running daemon picks the release up', async () => {
    const f = await fixture({ createBucket: false });
    const r = await runCli(['resume', '--config', f.config, '--pair', 'main', '--allow-deletes']);
    expect(r.code, describeRun('resume', r)).toBe(0);
    expect(r.stdout).toBe(
      'main: released 0 held delete(s); a running daemon picks them up within a few seconds, or run sync --once\n',
    );
  });

  it('a second sync --once with nothing changed uploads nothing', async () => {
    const f = await fixture();
    await writeTree(f.data);
    await syncOk(f.config);
    const r = await sync(f.config, '--json');
    expect(r.code, describeRun('sync --once --json', r)).toBe(0);
    const summary = JSON.parse(r.stdout) as { exitCode: number; requests: Record<string, number>; failures: unknown[] };
    expect(summary.exitCode).toBe(0);
    expect(summary.failures).toEqual([]);
    expect(summary.requests).toBeTypeOf('object');
    const uploads = Object.keys(summary.requests).filter((k) =>
      /^(PutObject|UploadPart|CreateMultipartUpload|CompleteMultipartUpload|CopyObject)/.test(k),
    );
    expect(uploads, JSON.stringify(summary.requests)).toEqual([]);
    await expectMirror(f.bucket, f.data);
  });

  it('mirrors a modify, a delete and an add made between runs', async () => {
    const f = await fixture();
    await writeTree(f.data);
    await syncOk(f.config);
    await writeFile(join(f.data, 'top.txt'), 'top level, now changed and longer\n');
    await writeFile(join(f.data, 'dir with spaces', 'file with spaces.txt'), 'SPACES\n'); // same size, new bytes
    await unlink(join(f.data, 'a', 'sibling.json'));
    await put(f.data, 'a/b/new file ✨.txt', 'brand new\n');
    const r = await syncOk(f.config);
    expect(r.stdout).toContain('in sync');
    await expectMirror(f.bucket, f.data);
    const keys = (await listAll(f.bucket)).map((o) => o.key);
    expect(keys).not.toContain('a/sibling.json');
    expect(keys).toContain('a/b/new file ✨.txt');
  });

  describe('bad config exits 2 and names the field', () => {
    const noStack = (r: CliResult) => expect(r.stderr, 'no stack trace').not.toContain('    at ');

    it('missing pairs[0].bucket', async () => {
      const f = await fixture({ createBucket: false });
      const cfg = baseConfig(f);
      delete (cfg.pairs as Record<string, unknown>[])[0]!.bucket;
      await writeJson(f.config, cfg);
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(2);
      expect(r.stderr).toContain('pairs[0].bucket: required');
      noStack(r);
    });

    it('concurrency: "x"', async () => {
      const f = await fixture({ createBucket: false, config: { concurrency: 'x' } });
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(2);
      expect(r.stderr).toContain('concurrency: must be an integer 1..512, got "x"');
      noStack(r);
    });

    it('malformed JSON', async () => {
      const f = await fixture({ createBucket: false });
      await writeFile(f.config, '{ "stateDir": "state", "pairs": [ }\n');
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(2);
      expect(r.stderr).toContain('CONFIG_INVALID');
      expect(r.stderr).toContain(`config ${f.config} is not valid JSON`);
      noStack(r);
    });
  });

  it('no region anywhere → REGION_MISSING naming s3.region, exit 2', async () => {
    const f = await fixture({ createBucket: false });
    await writeTree(f.data);
    // No endpoint (AWS) and no s3.region; nothing in the environment or in ~/.aws may supply one.
    await writeJson(f.config, { stateDir: f.state, pairs: [{ name: 'main', path: f.data, bucket: f.bucket }] });
    const env = {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_CONFIG_FILE: join(f.root, 'no-such-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(f.root, 'no-such-aws-credentials'),
    };
    const r = await runCli(['sync', '--once', '--config', f.config], { env });
    expect(r.code, describeRun('sync', r)).toBe(2);
    expect(r.stderr).toContain('REGION_MISSING: no AWS region: set s3.region in the config, or AWS_REGION');
    expect(r.stderr).not.toContain('    at ');
    // The daemon too: no retry can fix a config error, and exit 2 keeps systemd from restarting it.
    const d = await runCli(['run', '--config', f.config], { env, timeoutMs: 30_000 });
    expect(d.code, describeRun('run', d)).toBe(2);
    expect(d.stderr).toContain('REGION_MISSING');
  });

  it('a config error first seen when the daemon checks a missing bucket again exits 2, as at start', async () => {
    const f = await fixture({ createBucket: false });
    await writeTree(f.data);
    const proxy = await startProxy(testEnv().endpoint);
    try {
      await writeJson(f.config, {
        ...baseConfig(f),
        s3: { endpoint: proxy.endpoint, forcePathStyle: true, region: testEnv().region },
      });
      // At start the server answers that the bucket is missing (exit-4 class: retried every 10 s);
      // by the retry it exists, in another region than the config names.
      let heads = 0;
      proxy.setFault({
        kind: 'status',
        status: 301,
        headers: { 'x-amz-bucket-region': 'eu-west-1' },
        match: (op) => op === 'HeadBucket' && heads++ >= 1,
      });
      const d = await runCli(['run', '--config', f.config], { timeoutMs: 40_000 });
      expect(d.code, describeRun('run', d)).toBe(2);
      expect(d.stderr).toContain('REGION_WRONG');
      expect(d.stderr).not.toContain('    at ');
      expect(heads).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  describe('an unusable S3 exits 4', () => {
    it('unreachable endpoint → ENDPOINT_UNREACHABLE', async () => {
      const f = await fixture({ createBucket: false });
      await writeTree(f.data);
      await writeJson(f.config, {
        ...baseConfig(f),
        s3: { endpoint: 'http://127.0.0.1:1', forcePathStyle: true, region: testEnv().region },
      });
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(4);
      expect(r.stderr).toContain('ENDPOINT_UNREACHABLE');
      expect(r.stderr).not.toContain('    at ');
    });

    it('missing bucket → BUCKET_MISSING', async () => {
      const f = await fixture({ createBucket: false });
      await writeTree(f.data);
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(4);
      expect(r.stderr).toContain('BUCKET_MISSING');
      expect(r.stderr).not.toContain('    at ');
    });
  });

  it('a running daemon holds the lock: sync --once exits 75 naming its pid; SIGTERM exits 0', async () => {
    const f = await fixture();
    await writeTree(f.data);
    const daemon = spawnCli(['run', '--config', f.config]);
    const s = await waitForDaemon(f.config, daemon);
    expect(s.daemon.pid).toBe(daemon.pid);
    const r = await sync(f.config);
    expect(r.code, describeRun('sync while daemon runs', r)).toBe(75);
    expect(r.stderr).toContain('STATE_DIR_BUSY');
    expect(r.stderr).toContain(`pid ${daemon.pid}`);
    expect(r.stderr).not.toContain('    at ');
    const d = await stopDaemon(daemon);
    expect(d.code, describeRun('run', d)).toBe(0);
    expect((await status(f.config)).daemon.running).toBe(false);
  });

  it('status --json after a sync', async () => {
    const f = await fixture();
    await writeTree(f.data);
    await syncOk(f.config);
    const s = await status(f.config);
    expect(s.schemaVersion).toBe(1);
    expect(s.daemon.running).toBe(false);
    expect(s.pairs).toHaveLength(1);
    expect(s.pairs[0]!.name).toBe('main');
    expect(s.pairs[0]!.inSync.files).toBe(Object.keys(TREE).length);
    expect(s.pairs[0]!.inSync.bytes).toBe(Object.values(TREE).reduce((a, c) => a + Buffer.byteLength(c), 0));
    expect(s.pairs[0]!.pending).toBe(0);
    expect(s.pairs[0]!.failed).toBe(0);
  });

  it('status before the first run says never-synced, not an error', async () => {
    const f = await fixture();
    const r = await runCli(['status', '--config', f.config]);
    expect(r.code, describeRun('status', r)).toBe(0);
    expect(r.stdout).toContain('[never-synced]');
    expect(r.stdout).toContain('has not run with this stateDir');
  });

  it('status works with the daemon stopped for a user who can only read the state dir', async () => {
    const f = await fixture();
    await writeTree(f.data);
    await syncOk(f.config);
    expect((await readdir(f.state)).filter((n) => n.startsWith('journal.db'))).toEqual(['journal.db']);
    // Everyone may read and traverse; nobody but the owner may write. Root ignores modes, so as
    // root the reader runs as "nobody"; otherwise the owner itself loses write access.
    const root = process.getuid?.() === 0;
    for (const d of [f.root, f.state]) await chmod(d, root ? 0o755 : 0o555);
    for (const n of await readdir(f.state)) await chmod(join(f.state, n), 0o644);
    await chmod(f.config, 0o644);
    try {
      const r = await runCli(['status', '--json', '--config', f.config], root ? { uid: 65534, gid: 65534 } : {});
      expect(r.code, describeRun('status as a read-only user', r)).toBe(0);
      const s = JSON.parse(r.stdout) as StatusJson;
      expect(s.pairs[0]!.inSync.files).toBe(Object.keys(TREE).length);
      expect(s.pairs[0]!.state).toBe('ok');
    } finally {
      await chmod(f.state, 0o755);
    }
  });

  it('recovers from kill -9 mid-sync: the next sync mirrors exactly and no stale lock remains', async () => {
    const f = await fixture({
      config: { concurrency: 4, multipart: { thresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 } },
    });
    for (let i = 0; i < 300; i++)
      await put(f.data, `many/d${i % 10}/f${String(i).padStart(3, '0')}.bin`, randomBytes(64 * 1024));
    await put(f.data, 'big/twenty.bin', randomBytes(20 * 1024 * 1024));

    const first = spawnCli(['sync', '--once', '--config', f.config]);
    await poll(
      'the first object to land in the bucket',
      async () => {
        if (first.hasExited()) return true; // finished before we saw it: the kill is moot, the rest still applies
        return (await listAll(f.bucket)).length >= 1 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, note: () => first.stderr().slice(-2000) },
    );
    const killed = first.kill('SIGKILL');
    const k = await first.exited;
    if (killed) expect(k.signal).toBe('SIGKILL');
    const before = (await listAll(f.bucket)).length;
    expect(before).toBeGreaterThanOrEqual(1);
    if (process.env.S3MIRROR_TEST_VERBOSE)
      console.log(`kill -9 ${killed ? 'sent' : 'moot'}; ${before}/301 objects in the bucket`);
    // The dead process's lock is gone with it.
    expect((await status(f.config)).daemon.running).toBe(false);

    const r = await syncOk(f.config);
    expect(r.stdout).toContain('in sync');
    await expectMirror(f.bucket, f.data);

    // Right after the sync, whose process record the journal still holds: status must name the daemon.
    const daemon = spawnCli(['run', '--config', f.config]);
    await waitForDaemon(f.config, daemon);
    const d = await stopDaemon(daemon);
    expect(d.code, describeRun('run', d)).toBe(0);
    await expectMirror(f.bucket, f.data);
  }, 120_000);

  it('the daemon mirrors a create, a modify and a delete, and exits 0 on SIGTERM', async () => {
    const f = await fixture({ config: { debounceMs: 200 } });
    const initial: Record<string, string> = {
      'keep.txt': 'keep\n',
      'modify me.txt': 'before\n',
      'delete-me.txt': 'doomed\n',
      'sub/one.txt': 'one\n',
      'sub/two.txt': 'two\n',
      'sub/three.txt': 'three\n',
    };
    await writeTree(f.data, initial);
    const daemon = spawnCli(['run', '--config', f.config]);
    await waitForDaemon(f.config, daemon);
    // The initial reconcile: wait for it so the changes below are seen by the watcher.
    await poll(
      'the initial mirror',
      async () => ((await keysAndSizesDiffer(f.bucket, f.data)) === undefined ? true : undefined),
      {
        timeoutMs: 10_000,
        note: () => `daemon stderr: ${daemon.stderr().slice(-2000)}`,
      },
    );

    await put(f.data, 'sub/new é.txt', 'created while running\n');
    await writeFile(join(f.data, 'modify me.txt'), 'after: modified while the daemon runs\n');
    await unlink(join(f.data, 'delete-me.txt'));

    let last: string | undefined;
    await poll(
      'the bucket to mirror the changes',
      async () => {
        last = await keysAndSizesDiffer(f.bucket, f.data);
        return last === undefined ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, note: () => `${last}; daemon stderr: ${daemon.stderr().slice(-2000)}` },
    );
    await expectMirror(f.bucket, f.data);

    const d = await stopDaemon(daemon);
    expect(d.code, describeRun('run', d)).toBe(0);
  });
});
