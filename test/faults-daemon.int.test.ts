import { renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { EXIT, exitCodeFor } from '../src/exit.js';
import { isLocked } from '../src/store/lock.js';
import { uniqueBucket } from './support/s3client.js';
import { viaProxy } from './support/faults.js';
import { daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// The daemon against a slow, failing or misconfigured server: it stops cleanly, waits and catches up, or exits.

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

describe('faults injected by a proxy (no SDK mocking)', () => {
  it('stopping the daemon while a rescan waits on the server is clean: the rescan finishes first, nothing fails afterwards', async () => {
    s = await scratch('stop-rescan');
    for (let i = 0; i < 20; i++) s.write(`f${i}.txt`, `data ${i}`);
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    // remoteAuditIntervalMs 0: every rescan lists the bucket (else only audits do).
    const cfg = viaProxy(s, p, { rescanIntervalMs: 20, remoteAuditIntervalMs: 0 });
    const stray: unknown[] = [];
    const onStray = (e: unknown) => stray.push(e);
    process.on('unhandledRejection', onStray);
    const d = daemon(cfg);
    try {
      await d.start();
      await eventually(() => expectMirror(s!.root, s!.bucket));
      // Every listing now takes a while: the next rescan is caught waiting on one.
      p.setFault({ kind: 'delay', ms: 400, match: (op) => op === 'ListObjectsV2' });
      const lists = p.counts.get('ListObjectsV2') ?? 0;
      await eventually(() => expect(p.counts.get('ListObjectsV2') ?? 0).toBeGreaterThan(lists));
      await d.stop();
      // stop() waited for the rescan: its listing has been answered, and what the rescan did with
      // it met an open journal (before, it ran on after stop and threw on the closed one).
      expect(p.pending()).toBe(0);
      expect(stray).toEqual([]);
    } finally {
      process.off('unhandledRejection', onStray);
      await d.stop();
    }
  });

  it('the daemon keeps recording changes while the server is down and ships them when it is back', async () => {
    s = await scratch('outage');
    s.write('a.txt', 'a');
    s.write('b.txt', 'b');
    proxy = await startProxy(testEnv().endpoint);
    const cfg = viaProxy(s, proxy, { debounceMs: 100 });
    const d = daemon(cfg);
    await d.start();
    try {
      await eventually(() => expectMirror(s!.root, s!.bucket));
      proxy.setFault({
        kind: 'status',
        status: 503,
        match: (op) => op === 'PutObject' || op === 'DeleteObjects',
        times: 6,
      });
      s.write('c.txt', 'c');
      unlinkSync(join(s.root, 'a.txt'));
      await eventually(() => expectMirror(s!.root, s!.bucket), 30_000);
      expect(proxy.injected()).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  });

  it('a delete decided before its file comes back is dropped, never sent after the new upload (daemon)', async () => {
    s = await scratch('comeback');
    s.write('a.txt', 'first version');
    s.write('slow.txt', 'slow: its rename is a copy');
    proxy = await startProxy(testEnv().endpoint);
    const cfg = viaProxy(s, proxy, { debounceMs: 100 });
    await once(cfg);
    // A rename's copy that waits: while it is on its way the pair's deletes wait too (one of
    // them is the old half of the move), so the decided delete of a.txt stays in hand.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    proxy.setFault({ kind: 'hook', match: (op) => op === 'CopyObject', before: () => held });
    proxy.reset();
    const d = daemon(cfg);
    await d.start();
    try {
      renameSync(join(s.root, 'slow.txt'), join(s.root, 'moved.txt'));
      unlinkSync(join(s.root, 'a.txt'));
      const engine = d.rt.engines.get('p')!;
      await eventually(() => {
        expect(proxy!.counts.get('CopyObject') ?? 0).toBe(1);
        expect(engine.pendingDeletes).toBe(2);
      });
      s.write('a.txt', 'second version');
      await eventually(() => expect(engine.pendingDeletes).toBe(1));
      release();
      await eventually(async () => {
        expect(engine.pendingDeletes).toBe(0);
        await expectMirror(s!.root, s!.bucket);
      });
      // One call, for the old key of the move: a.txt's delete was dropped, not sent after its upload.
      expect(proxy.counts.get('DeleteObjects') ?? 0).toBe(1);
    } finally {
      release();
      await d.stop();
    }
  });

  // A bucket missing at start is checked again every preflightRetryMs. A config error (exit 2) is
  // final wherever it is first seen: here the bucket turns up in another region than the config's.
  it.each([
    ['at start', 0],
    ['on a retry of the bucket check', 1],
  ] as const)('a config error first seen %s stops the daemon with it (exit 2)', async (_when, firstWrong) => {
    s = await scratch('cfgerr');
    s.write('a.txt', 'a');
    proxy = await startProxy(testEnv().endpoint);
    const base = viaProxy(s, proxy);
    // A bucket nobody created: the server's own answer is 404 until the proxy says otherwise.
    const cfg = parseConfig(
      {
        ...JSON.parse(JSON.stringify({ ...base, source: undefined })),
        pairs: [{ name: 'p', path: s.root, bucket: uniqueBucket('later') }],
      },
      s.dir,
    );
    let heads = 0;
    proxy.setFault({
      kind: 'status',
      status: 301,
      headers: { 'x-amz-bucket-region': 'eu-west-1' },
      match: (op) => op === 'HeadBucket' && heads++ >= firstWrong,
    });
    const d = daemon(cfg, { preflightRetryMs: 50 });
    try {
      let e: unknown;
      if (firstWrong === 0)
        e = await d.start().then(
          () => undefined,
          (err: unknown) => err,
        );
      else {
        await d.start();
        e = await d.failed;
        // What the CLI exits with when a signal arrives while the daemon stops over it.
        expect(d.failure).toBe(e);
      }
      expect(e).toMatchObject({ code: 'REGION_WRONG' });
      expect(exitCodeFor(e)).toBe(EXIT.usage);
      expect(heads).toBe(firstWrong + 1);
      // It has stopped: the lock is free for the next start (with a fixed config).
      expect(isLocked(cfg.stateDir)).toBe(false);
    } finally {
      await d.stop();
    }
  });
});
