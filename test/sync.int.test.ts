import {
  chmodSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import { partHasherRequests } from '../src/local/part-hasher.js';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { independentClient, listAll } from './support/s3client.js';
import { testEnv } from './support/s3server.js';
import { audit, bytes, daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';

const MiB = 1024 * 1024;
let s: Scratch | undefined;
afterEach(() => s?.cleanup());

describe('sync --once against a real S3 server', () => {
  it('large files hashed first: the first on two threads while the link waits, the next on one while the first uploads; objects exact', async () => {
    s = await scratch('twohash');
    const cfg = s.config({}, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    // A first pass learns that the bucket's ETags are MD5s: a differing one needs no HEAD.
    s.write('small.txt', 'small');
    expect((await once(cfg)).failures).toEqual([]);
    s.write('one.bin', bytes(11 * MiB, 21));
    s.write('two.bin', bytes(11 * MiB, 22));
    // Objects of the same size at their keys (found by the audit's listing): they may be identical,
    // so each file is hashed before its upload (plan/one-pass.ts), not as it is sent.
    for (const key of ['one.bin', 'two.bin'])
      await independentClient().send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: bytes(11 * MiB, 23) }));
    const before = partHasherRequests();
    const r = await audit(cfg);
    expect(r.failures).toEqual([]);
    expect(r.requests.UploadPartCommand).toBe(6);
    expect(partHasherRequests() - before).toBe(1);
    await expectMirror(s.root, s.bucket);
  });

  it('mirrors nested dirs, odd names, empty and multipart files; restart with no change sends no PUT', async () => {
    s = await scratch('basic');
    s.write('a.txt', 'hello');
    s.write('empty', '');
    s.write('dir/sub/deep.bin', bytes(3000));
    s.write('with space & plus+#?=.txt', 'odd');
    s.write('quote\'"back\\slash', 'q');
    s.write('-leading-dash', 'd');
    s.write('new\nline', 'n');
    s.write('percent%41.txt', 'p');
    s.write('emoji 🎉/naïve café.txt', 'u');
    s.write('mid/one-mib.bin', bytes(MiB + 7, 5)); // above the in-memory read: re-read and re-checked when sent
    s.write('big/multi.bin', bytes(12 * MiB + 123, 7));
    const cfg = s.config({ prefix: 'pre' }, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    const r1 = await once(cfg);
    expect(r1.failures).toEqual([]);
    expect(r1.requests.UploadPartCommand).toBe(3);
    await expectMirror(s.root, s.bucket, 'pre/');

    const r2 = await once(cfg);
    expect(r2.failures).toEqual([]);
    expect(r2.requests.PutObjectCommand ?? 0).toBe(0);
    expect(r2.requests.UploadPartCommand ?? 0).toBe(0);
    expect(r2.requests.HeadObjectCommand ?? 0).toBe(0);
    // The journal closed cleanly, listed moments ago: trusted, so not even a listing.
    expect(r2.requests).toEqual({});
    // An audit lists, and sends nothing else.
    const r3 = await audit(cfg);
    expect(r3.requests).toEqual({ ListObjectsV2Command: 1 });
  });

  it('mirrors changes made while stopped (modify, delete, add, rename into a new dir)', async () => {
    s = await scratch('stopped');
    for (let i = 0; i < 20; i++) s.write(`f${i}.txt`, `content ${i}`);
    const cfg = s.config();
    await once(cfg);
    s.write('f0.txt', 'changed');
    unlinkSync(join(s.root, 'f1.txt'));
    s.write('added/new.txt', 'new');
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ uploaded: 2, deleted: 1 });
    await expectMirror(s.root, s.bucket);
  });

  it('1,500 deletes go out as two DeleteObjects calls', async () => {
    s = await scratch('deletes');
    for (let i = 0; i < 1500; i++) s.write(`d/${i}.txt`, `x${i}`);
    s.write('keep.txt', 'stays');
    const cfg = s.config({ maxDeletePercent: 100 }, { concurrency: 32 });
    await once(cfg);
    rmSync(join(s.root, 'd'), { recursive: true });
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 1500 });
    expect(r.calls.DeleteObjectsCommand).toBe(2);
    await expectMirror(s.root, s.bucket);
  });

  it('a renamed directory of 1,000 files moves by server-side copy with 0 bytes uploaded', async () => {
    s = await scratch('rename');
    for (let i = 0; i < 1000; i++) s.write(`old/${i}.bin`, bytes(64, i));
    const cfg = s.config({ maxDeletePercent: 100 }, { concurrency: 32 });
    await once(cfg);
    renameSync(join(s.root, 'old'), join(s.root, 'new'));
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ copied: 1000, uploaded: 0, deleted: 1000 });
    expect(r.requests.PutObjectCommand ?? 0).toBe(0);
    await expectMirror(s.root, s.bucket);
  });

  it('holds deletes when the root is missing, and when one pass would delete more than maxDeletePercent', async () => {
    s = await scratch('guard');
    for (let i = 0; i < 10; i++) s.write(`g${i}.txt`, `g${i}`);
    const cfg = s.config();
    await once(cfg);
    // (c) 6 of 10 objects > 50 %
    for (let i = 0; i < 6; i++) unlinkSync(join(s.root, `g${i}.txt`));
    const r1 = await once(cfg);
    expect(r1.held).toEqual([{ pair: 'p', count: 6, reason: expect.stringContaining('maxDeletePercent') }]);
    expect((await listAll(s.bucket)).length).toBe(10);
    // (a) root gone entirely: nothing deleted
    rmSync(s.root, { recursive: true });
    const r2 = await once(cfg);
    expect(r2.rootProblems[0]?.problem).toContain('missing');
    expect((await listAll(s.bucket)).length).toBe(10);
    // resume releases exactly the held deletes
    mkdirSync(s.root);
    for (let i = 6; i < 10; i++) s.write(`g${i}.txt`, `g${i}`);
    const j = Journal.open(cfg.stateDir);
    expect(j.pairs.releaseHeld('p', Date.now())).toBe(6);
    j.close();
    const r3 = await once(cfg);
    expect(r3.held).toEqual([]);
    await expectMirror(s.root, s.bucket);
  });

  it('skips symlinks with a reason; over-long keys and unreadable files fail per file without stalling the pair', async () => {
    s = await scratch('odd');
    s.write('ok.txt', 'fine');
    s.write('secret.txt', 'no');
    chmodSync(join(s.root, 'secret.txt'), 0o000);
    symlinkSync(join(s.root, 'ok.txt'), join(s.root, 'link'));
    const long = `${'x'.repeat(200)}/${'y'.repeat(200)}/${'z'.repeat(200)}/${'w'.repeat(200)}/${'v'.repeat(240)}`;
    s.write(long, 'long');
    const cfg = s.config();
    const r = await once(cfg);
    const asRoot = process.getuid?.() === 0;
    // Root reads anything: there the unreadable file is simply mirrored.
    expect(r.failures.map((f) => [f.rel, f.code]).sort()).toEqual([
      [long, 'KEY_TOO_LONG'],
      ...(asRoot ? [] : [['secret.txt', 'FILE_UNREADABLE']]),
    ]);
    expect(r.failures.find((f) => f.code === 'KEY_TOO_LONG')!.message).toContain(
      'object key is 1044 bytes; S3 allows 1024',
    );
    const j = Journal.open(cfg.stateDir);
    const skipped = j.query
      .failedFiles('p', 10)
      .filter((f) => f.state === 'skipped')
      .map((f) => f.error_code)
      .sort();
    j.close();
    expect(skipped).toEqual(['UNSUPPORTED_FILE']);
    const keys = (await listAll(s.bucket)).map((o) => o.key);
    expect(keys).toContain('ok.txt');
    expect(keys).not.toContain('link');
  });

  it('excluded paths are never uploaded and already-mirrored objects stay unless deleteExcluded', async () => {
    s = await scratch('filter');
    s.write('a.txt', 'a');
    s.write('b.tmp', 'b');
    s.write('cache/x', 'x');
    s.write('sub/.s3mirrorignore', 'secret*\n');
    s.write('sub/secret.txt', 's');
    s.write('sub/public.txt', 'p');
    await once(s.config({ exclude: ['*.tmp', 'cache/'] }));
    expect((await listAll(s.bucket)).map((o) => o.key).sort()).toEqual([
      'a.txt',
      'sub/.s3mirrorignore',
      'sub/public.txt',
    ]);
    await once(s.config({ exclude: ['*.tmp', 'cache/', 'a.txt'] }));
    expect((await listAll(s.bucket)).map((o) => o.key)).toContain('a.txt');
    await once(s.config({ exclude: ['*.tmp', 'cache/', 'a.txt'], deleteExcluded: true }));
    expect((await listAll(s.bucket)).map((o) => o.key)).not.toContain('a.txt');
  });
});

describe('run (daemon) against a real S3 server', () => {
  it('mirrors creates, modifies and deletes; 50 rapid writes to one file are one upload', async () => {
    s = await scratch('daemon');
    s.write('keep.txt', 'k');
    s.write('mod.txt', 'v1');
    s.write('del.txt', 'bye');
    const d = daemon(s.config({}, { debounceMs: 300 }));
    await d.start();
    try {
      await eventually(() => expectMirror(s!.root, s!.bucket));
      const before = d.rt.counter.attempts.get('PutObjectCommand') ?? 0;
      for (let i = 0; i < 50; i++) appendFileSync(join(s.root, 'burst.log'), `line ${i}\n`);
      s.write('mod.txt', 'v2');
      unlinkSync(join(s.root, 'del.txt'));
      await eventually(() => expectMirror(s!.root, s!.bucket));
      expect((d.rt.counter.attempts.get('PutObjectCommand') ?? 0) - before).toBe(2);
    } finally {
      await d.stop();
    }
  });

  it('a file that keeps changing during its upload never ends as a torn object', async () => {
    s = await scratch('torn');
    const cfg = s.config(
      {},
      { debounceMs: 50, maxDelayMs: 200, multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } },
    );
    s.write('grow.bin', bytes(11 * MiB, 3));
    const d = daemon(cfg);
    await d.start();
    try {
      for (let i = 0; i < 5; i++) appendFileSync(join(s.root, 'grow.bin'), bytes(MiB, 10 + i));
      await eventually(() => expectMirror(s!.root, s!.bucket), 30_000);
    } finally {
      await d.stop();
    }
  });
});

it('the test endpoint is configured', () => {
  expect(testEnv().endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

describe('several pairs in one process', () => {
  it('pairs share a bucket under different prefixes; a pair with a missing bucket stalls no other', async () => {
    s = await scratch('multi');
    mkdirSync(join(s.dir, 'second'));
    writeFileSync(join(s.dir, 'second', 'b.txt'), 'second');
    mkdirSync(join(s.dir, 'third'));
    writeFileSync(join(s.dir, 'third', 'c.txt'), 'third');
    s.write('a.txt', 'first');
    const base = s.config({ prefix: 'one/' });
    const cfg = {
      ...base,
      pairs: [
        base.pairs[0]!,
        { ...base.pairs[0]!, name: 'q', path: join(s.dir, 'second'), prefix: 'two/' },
        { ...base.pairs[0]!, name: 'r', path: join(s.dir, 'third'), bucket: `${s.bucket}-missing`, prefix: '' },
      ],
    };
    const r = await once(cfg);
    expect(r.unusable).toEqual([{ pair: 'r', code: 'BUCKET_MISSING', message: expect.any(String) }]);
    expect(r.failures).toEqual([]);
    expect((await listAll(s.bucket)).map((o) => o.key).sort()).toEqual(['one/a.txt', 'two/b.txt']);

    const d = daemon({ ...cfg, debounceMs: 100 });
    await d.start();
    try {
      writeFileSync(join(s.dir, 'second', 'new.txt'), 'n');
      await eventually(async () => expect((await listAll(s!.bucket)).map((o) => o.key)).toContain('two/new.txt'));
    } finally {
      await d.stop();
    }
  });
});
