import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnv, runCli, spawnCli } from './support/cli.js';
import {
  baseConfig,
  cliSuiteHooks,
  describeRun,
  fixture,
  poll,
  put,
  status,
  stopDaemon,
  sync,
  syncOk,
  waitForDaemon,
  writeJson,
} from './support/cli-fixture.js';
import { startProxy } from './support/proxy.js';
import { independentClient } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

// `s3mirror verify`: the tree against the bucket, read-only, with the requests identity needs
// and no more; what it finds, `sync --once --audit` puts right.
cliSuiteHooks();

const verifyCli = (config: string, ...more: string[]) => runCli(['verify', '--config', config, ...more]);

/** A second config on the same stateDir and bucket, with other settings (and, say, a proxy). */
async function variant(
  f: { root: string; data: string; state: string; bucket: string },
  name: string,
  extra: Record<string, unknown>,
  pair: Record<string, unknown> = {},
): Promise<string> {
  const cfg = baseConfig(f, extra) as { pairs: Record<string, unknown>[] };
  cfg.pairs = [{ ...cfg.pairs[0], ...pair }];
  const path = join(f.root, `${name}.json`);
  await writeJson(path, cfg);
  return path;
}

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

describe('s3mirror verify', () => {
  it('an identical tree exits 0 with 1 LIST per 1,000 keys and no HEAD or GET', async () => {
    const MiB = 1024 * 1024;
    const multipart = { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB };
    const f = await fixture({ config: { debounceMs: 0, multipart } });
    for (let i = 0; i < 1199; i++) await put(f.data, `d${i % 7}/f${i}.txt`, `file ${i}\n`);
    // A multipart object: its ETag is proved by the part size the journal recorded, not by a HEAD.
    await put(f.data, 'big.bin', Buffer.alloc(6 * MiB, 7));
    await syncOk(f.config);
    const proxy = await startProxy(testEnv().endpoint);
    try {
      const config = await variant(f, 'proxied', {
        debounceMs: 0,
        multipart,
        s3: { endpoint: proxy.endpoint, forcePathStyle: true, region: testEnv().region },
      });
      const journal = () =>
        readdirSync(f.state)
          .filter((n) => n.startsWith('journal.db'))
          .map((n) => [n, statSync(join(f.state, n)).mtimeMs]);
      const before = journal();
      const r = await verifyCli(config);
      expect(r.code, describeRun('verify', r)).toBe(0);
      expect(r.stdout).toContain('main: 1200 identical');
      expect(journal(), 'the journal is never written').toEqual(before);
      expect(r.stdout.trim().split('\n').at(-1)).toBe('identical');
      expect(Object.fromEntries(proxy.counts)).toEqual({ ListObjectsV2: 2 });
      const plain = await runCli(['verify', '--config', f.config], { env: cliEnv({ S3MIRROR_PROGRESS_MS: '1' }) });
      expect(plain.code, describeRun('verify, progress lines', plain)).toBe(0);
      expect(
        plain.stderr
          .split('\n')
          .filter((l) => l.startsWith('progress: '))
          .at(-1),
      ).toMatch(/^progress: 1200\/1200 files, .* read, /);
      // `script` gives the command a pseudo-terminal, as an operator's shell would.
      const cmd = `${process.execPath} ${CLI_PATH} verify --config ${f.config}`;
      const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], {
        env: cliEnv(),
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(tty.status, tty.stdout + tty.stderr).toBe(0);
      expect(tty.stdout).toMatch(/[█░]+ \d+\/\d+ files \| .* read \| /);
      expect(tty.stdout).toContain('main: 1200 identical');
    } finally {
      await proxy.close();
    }
  });

  it('names each difference by key and exits 1; --json carries them; sync --once --audit repairs them', async () => {
    const f = await fixture({ config: { debounceMs: 0 } });
    for (const [rel, body] of Object.entries({ 'a.txt': 'aaaa', 'b.txt': 'bbbb', 'c.txt': 'cccc' }))
      await put(f.data, rel, body);
    await syncOk(f.config);
    await put(f.data, 'new.txt', 'new');
    const s3 = independentClient();
    await s3.send(new PutObjectCommand({ Bucket: f.bucket, Key: 'stray.txt', Body: 'stray' }));
    await s3.send(new PutObjectCommand({ Bucket: f.bucket, Key: 'a.txt', Body: 'longer' }));
    await s3.send(new PutObjectCommand({ Bucket: f.bucket, Key: 'b.txt', Body: 'BBBB' }));
    s3.destroy();
    const r = await verifyCli(f.config);
    expect(r.code, describeRun('verify', r)).toBe(1);
    expect(r.stdout).toMatch(/^size-differs: main: a\.txt: 4 bytes here, 6 in the bucket$/m);
    expect(r.stdout).toMatch(/^content-differs: main: b\.txt: .*differs/m);
    expect(r.stdout).toMatch(/^missing: main: new\.txt: no object$/m);
    expect(r.stdout).toMatch(/^extra: main: stray\.txt: no local file$/m);
    expect(r.stdout).not.toMatch(/c\.txt/);
    expect(r.stdout).toContain('main: 1 identical, 1 missing, 1 extra, 1 size-differs, 1 content-differs');
    const j = await verifyCli(f.config, '--json');
    expect(j.code, describeRun('verify --json', j)).toBe(1);
    const doc = JSON.parse(j.stdout) as {
      exitCode: number;
      differences: number;
      pairs: { pair: string; counts: Record<string, number>; differences: number }[];
      keys: { pair: string; key: string; rel: string | null; verdict: string; reason: string }[];
    };
    expect(doc.exitCode).toBe(1);
    expect(doc.differences).toBe(4);
    expect(doc.pairs).toEqual([
      {
        pair: 'main',
        differences: 4,
        counts: { identical: 1, 'size-differs': 1, 'content-differs': 1, missing: 1, extra: 1 },
      },
    ]);
    expect(doc.keys.map((k) => [k.key, k.rel, k.verdict])).toEqual([
      ['a.txt', 'a.txt', 'size-differs'],
      ['b.txt', 'b.txt', 'content-differs'],
      ['new.txt', 'new.txt', 'missing'],
      ['stray.txt', 'stray.txt', 'extra'],
    ]);
    const repair = await sync(f.config, '--audit');
    expect(repair.code, describeRun('sync --once --audit', repair)).toBe(0);
    const after = await verifyCli(f.config);
    expect(after.code, describeRun('verify after the repair', after)).toBe(0);
    expect(after.stdout).toContain('main: 4 identical');
  });

  it('trash, delete: "keep" and excluded objects are kept; with deleteExcluded an excluded one is extra', async () => {
    const f = await fixture({ config: { debounceMs: 0 } });
    await put(f.data, 'here.txt', 'here');
    await syncOk(f.config);
    const s3 = independentClient();
    for (const key of ['.s3mirror-trash/2026-01-01/000000.000-x/old.txt', 'gone.txt', 'x.log', 'dir/'])
      await s3.send(new PutObjectCommand({ Bucket: f.bucket, Key: key, Body: 'kept' }));
    s3.destroy();
    const keep = await variant(f, 'keep', { debounceMs: 0 }, { delete: 'keep', exclude: ['*.log'] });
    const r = await verifyCli(keep);
    expect(r.code, describeRun('verify', r)).toBe(0);
    expect(r.stdout).toMatch(
      /^kept: main: \.s3mirror-trash\/2026-01-01\/000000\.000-x\/old\.txt: under the trash prefix$/m,
    );
    expect(r.stdout).toMatch(/^kept: main: gone\.txt: no local file; kept by delete: "keep"$/m);
    expect(r.stdout).toMatch(/^kept: main: x\.log: excluded, kept without deleteExcluded$/m);
    expect(r.stdout).toMatch(/^kept: main: dir\/: no file can have this key/m);
    const strict = await variant(f, 'strict', { debounceMs: 0 }, { exclude: ['*.log'], deleteExcluded: true });
    const s = await verifyCli(strict);
    expect(s.code, describeRun('verify with deleteExcluded', s)).toBe(1);
    expect(s.stdout).toMatch(/^extra: main: x\.log: excluded, and deleteExcluded is set$/m);
    expect(s.stdout).toMatch(/^extra: main: gone\.txt: no local file$/m);
    expect(s.stdout).toMatch(/^kept: main: \.s3mirror-trash\//m);
  });

  it('pending: a dirty journal row (while the daemon runs, undisturbed) and a file changed within debounceMs', async () => {
    const f = await fixture({ config: { debounceMs: 60_000, maxDelayMs: 60_000 } });
    await put(f.data, 'a.txt', 'first');
    await put(f.data, 'b.txt', 'steady');
    await syncOk(f.config);
    const daemon = spawnCli(['run', '--config', f.config]);
    await waitForDaemon(f.config, daemon);
    // Its start's reconcile first: a change it finds is due at once, not after debounceMs.
    await poll(
      'the daemon to have reconciled the pair',
      async () => ((await status(f.config)).pairs[0]!.verdict === 'in sync' ? true : undefined),
      { timeoutMs: 15_000 },
    );
    await writeFile(join(f.data, 'a.txt'), 'second version');
    await poll(
      'the change to be pending',
      async () => ((await status(f.config)).pairs[0]!.pending >= 1 ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    // debounceMs 0: only the journal's dirty row keeps a.txt from being a difference.
    const quick = await variant(f, 'quick', { debounceMs: 0 });
    const r = await verifyCli(quick);
    expect(r.code, describeRun('verify beside the daemon', r)).toBe(0);
    expect(r.stdout).toMatch(/^pending: main: a\.txt: a change not uploaded yet$/m);
    expect(r.stdout).toContain('main: 1 identical, 1 pending');
    expect((await status(f.config)).daemon.running).toBe(true);
    const stopped = await stopDaemon(daemon);
    expect(stopped.code, describeRun('run', stopped)).toBe(0);
    // No daemon now: a file written just now is within debounceMs (60 s) of its change.
    await put(f.data, 'fresh.txt', 'fresh');
    const p = await verifyCli(f.config);
    expect(p.code, describeRun('verify', p)).toBe(0);
    expect(p.stdout).toMatch(/^pending: main: fresh\.txt: changed within debounceMs$/m);
  });

  it('--deep catches content replaced behind the same size and a forged x-amz-meta-md5', async () => {
    const f = await fixture({ config: { debounceMs: 0 } });
    const MiB = 1024 * 1024;
    const mine = Buffer.alloc(6 * MiB, 1);
    const theirs = Buffer.alloc(6 * MiB, 2);
    await put(f.data, 'big.bin', mine);
    await syncOk(f.config);
    const s3 = independentClient();
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: f.bucket, Key: 'big.bin', Metadata: { md5: md5(mine) } }),
    );
    const parts = [];
    for (const [n, body] of [theirs.subarray(0, 5 * MiB), theirs.subarray(5 * MiB)].entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: f.bucket, Key: 'big.bin', UploadId, PartNumber: n + 1, Body: body }),
      );
      parts.push({ PartNumber: n + 1, ETag });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: f.bucket,
        Key: 'big.bin',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    // Where a multipart ETag is no MD5 (RGW, AWS), only the forged x-amz-meta-md5 names the
    // content without a download, and it lies; s3rver's ETag is the MD5 and tells at once.
    const { ETag } = await s3.send(new HeadObjectCommand({ Bucket: f.bucket, Key: 'big.bin' }));
    s3.destroy();
    const shallow = await verifyCli(f.config);
    if (ETag?.includes('-')) expect(shallow.code, describeRun('verify', shallow)).toBe(0);
    else expect(shallow.stdout).toMatch(/^content-differs: main: big\.bin: the ETag is the object's MD5/m);
    const deep = await verifyCli(f.config, '--deep');
    expect(deep.code, describeRun('verify --deep', deep)).toBe(1);
    expect(deep.stdout).toMatch(/^content-differs: main: big\.bin: --deep: the bytes differ$/m);
  });

  it('exits 2 for an unknown pair and 4 for a bucket that does not exist', async () => {
    const f = await fixture({ config: { debounceMs: 0 } });
    const usage = await verifyCli(f.config, '--pair', 'nope');
    expect(usage.code, describeRun('verify --pair nope', usage)).toBe(2);
    const missing = await variant(f, 'missing', {}, { bucket: `${f.bucket}-missing` });
    const r = await verifyCli(missing);
    expect(r.code, describeRun('verify, no bucket', r)).toBe(4);
    expect(r.stderr).toContain('BUCKET_MISSING');
    await unlink(missing);
  });
});
