import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './support/cli.js';
import { expectMirror, keysAndSizesDiffer } from './support/cli-mirror.js';
import {
  baseConfig,
  cliSuiteHooks,
  describeRun,
  fixture,
  poll,
  put,
  status,
  stopDaemon,
  syncOk,
  waitForDaemon,
  writeJson,
  writeTree,
} from './support/cli-fixture.js';
import { quickCheck } from './support/journal-check.js';
import { startProxy } from './support/proxy.js';
import { createBucket, emptyAndDeleteBucket, listAll, uniqueBucket } from './support/s3client.js';
import { testEnv } from './support/s3server.js';
import { canLoopExt4, mountExt4 } from './support/ext4.js';
import { canMount, mountTmpfs } from './support/tmpfs.js';

const MiB = 1024 * 1024;

interface PairVerdict {
  verdict: string;
  reason: string | null;
}

const count = (out: string, msg: string) => out.split('\n').filter((l) => l.includes(`"msg":"${msg}`)).length;

// A stateDir on a read-only filesystem: the daemon neither exits (a crash loop under systemd) nor
// pretends all is well; it waits, says why (log and status), and goes on once it can write.
describe.runIf(canMount)('a read-only stateDir and the daemon (tmpfs)', () => {
  cliSuiteHooks();

  it('run waits on a read-only stateDir, status shows error, a SIGHUP re-reads the config, and it starts once writable', async () => {
    const f = await fixture({ config: { debounceMs: 100 } });
    const fs = mountTmpfs(f.state, 8 * MiB);
    const other = await createBucket(uniqueBucket('stress-ro'));
    try {
      await writeTree(f.data);
      await syncOk(f.config);
      fs.readonly(true);
      await put(f.data, 'later.txt', 'written while the stateDir is read-only\n');
      const daemon = spawnCli(['run', '--config', f.config]);
      const out = () =>
        `exited: ${daemon.hasExited()}\n${daemon.stdout().slice(-2000)}\n${daemon.stderr().slice(-1000)}`;
      const until = (what: string, ok: () => boolean) =>
        poll(what, async () => (ok() ? true : undefined), { timeoutMs: 30_000, note: out });
      await until('the daemon to say it waits', () => count(daemon.stdout(), 'cannot start') >= 1);
      expect(daemon.stdout()).toContain('STATE_DIR_UNWRITABLE');
      expect(daemon.stdout()).toContain(f.state);

      const s = (await status(f.config)) as unknown as { pairs: PairVerdict[] };
      expect(s.pairs[0]!.verdict, 'never "in sync" while nothing can be recorded').toBe('error');
      expect(s.pairs[0]!.reason).toContain('STATE_DIR_UNWRITABLE');
      expect(s.pairs[0]!.reason).toContain(f.state);

      // A config that does not validate: refused and logged; the process waits on.
      await writeJson(f.config, { ...baseConfig(f), concurrency: 'x' });
      daemon.kill('SIGHUP');
      await until('the refusal logged', () => count(daemon.stdout(), 'config reload refused') === 1);
      expect(daemon.hasExited()).toBe(false);

      // A valid one with a second pair: read now, tried at once, in force once it starts.
      const data2 = join(f.root, 'data2');
      await mkdir(data2);
      await put(data2, 'c.txt', 'in the pair added while waiting\n');
      await writeJson(f.config, {
        ...baseConfig(f),
        debounceMs: 100,
        pairs: [
          { name: 'main', path: f.data, bucket: f.bucket },
          { name: 'second', path: data2, bucket: other },
        ],
      });
      const waits = count(daemon.stdout(), 'cannot start');
      daemon.kill('SIGHUP');
      await until('the new config read', () => count(daemon.stdout(), 'config re-read while waiting to start') === 1);
      await until('an attempt with it', () => count(daemon.stdout(), 'cannot start') > waits);
      expect(daemon.hasExited()).toBe(false);

      fs.readonly(false);
      await waitForDaemon(f.config, daemon, 30_000);
      const mirrored = (bucket: string, root: string) =>
        poll(
          `s3://${bucket} to mirror ${root}`,
          async () => ((await keysAndSizesDiffer(bucket, root)) ? undefined : true),
          {
            timeoutMs: 30_000,
            note: out,
          },
        );
      await mirrored(f.bucket, f.data);
      await mirrored(other, data2);
      await expectMirror(f.bucket, f.data);
      const stopped = await stopDaemon(daemon);
      expect(stopped.code, describeRun('run', stopped)).toBe(0);
      expect(quickCheck(f.state)).toBe('ok');
    } finally {
      fs.unmount();
      await emptyAndDeleteBucket(other).catch(() => undefined);
    }
  }, 120_000);
});

// A filesystem that turns read-only under the running daemon (an ext4 error with errors=remount-ro):
// it stays up, shows error, and stops cleanly; after the operator's fsck the journal is sound and
// the next start converges.
describe.runIf(canLoopExt4)('the stateDir turns read-only under a running daemon (ext4)', () => {
  cliSuiteHooks();

  it('the daemon does not exit, status shows error, SIGTERM stops it cleanly, and the next start converges', async () => {
    const f = await fixture({ config: { debounceMs: 100 } });
    const fs = mountExt4(f.state, 32 * MiB);
    try {
      await writeTree(f.data);
      const daemon = spawnCli(['run', '--config', f.config]);
      const out = () =>
        `exited: ${daemon.hasExited()}\n${daemon.stdout().slice(-3000)}\n${daemon.stderr().slice(-1000)}`;
      await waitForDaemon(f.config, daemon);
      const mirrored = (what: string) =>
        poll(what, async () => ((await keysAndSizesDiffer(f.bucket, f.data)) ? undefined : true), {
          timeoutMs: 30_000,
          note: out,
        });
      await mirrored('the first sync');

      fs.fail();
      for (let i = 0; i < 20; i++) await put(f.data, `during/${i}.txt`, `written after the disk error ${i}\n`);
      await poll(
        'the daemon to log that the journal cannot be written',
        async () => (daemon.stdout().includes('the journal cannot be written') ? true : undefined),
        { timeoutMs: 30_000, note: out },
      );
      const paused = await poll(
        'status to show the pair in error',
        async () => {
          const s = (await status(f.config)) as unknown as { pairs: PairVerdict[] };
          return s.pairs[0]?.verdict === 'error' ? s.pairs[0] : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000, note: out },
      );
      expect(paused.reason ?? '').toContain('STATE_DIR_UNWRITABLE');
      expect(daemon.hasExited(), 'the daemon is still running').toBe(false);

      const stopped = await stopDaemon(daemon);
      expect(stopped.code, describeRun('run', stopped)).toBe(0);
      fs.repair();
      expect(quickCheck(f.state)).toBe('ok');

      const again = spawnCli(['run', '--config', f.config]);
      await waitForDaemon(f.config, again);
      await mirrored('the next start to mirror the tree');
      await expectMirror(f.bucket, f.data);
      const last = await stopDaemon(again);
      expect(last.code, describeRun('run', last)).toBe(0);
      expect(quickCheck(f.state)).toBe('ok');
    } finally {
      fs.unmount();
    }
  }, 180_000);
  it('an upload that completes after the disk error: SIGTERM still stops cleanly (exit 0), and nothing is sent again', async () => {
    const proxy = await startProxy(testEnv().endpoint);
    const f = await fixture({ config: { debounceMs: 100 } });
    await writeJson(f.config, {
      ...baseConfig(f),
      debounceMs: 100,
      s3: { ...(baseConfig(f).s3 as object), endpoint: proxy.endpoint },
    });
    const fs = mountExt4(f.state, 32 * MiB);
    try {
      await writeTree(f.data);
      const daemon = spawnCli(['run', '--config', f.config]);
      const out = () =>
        `exited: ${daemon.hasExited()}\n${daemon.stdout().slice(-3000)}\n${daemon.stderr().slice(-1000)}`;
      await waitForDaemon(f.config, daemon);
      await poll('the first sync', async () => ((await keysAndSizesDiffer(f.bucket, f.data)) ? undefined : true), {
        timeoutMs: 30_000,
        note: out,
      });
      // held.txt's PUT waits at the proxy until the disk has failed.
      let arrived!: () => void;
      const atProxy = new Promise<void>((r) => (arrived = r));
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      proxy.setFault({
        kind: 'hook',
        match: (op, req) => op === 'PutObject' && req.path.endsWith('/held.txt'),
        before: async () => {
          arrived();
          await released;
        },
      });
      await put(f.data, 'held.txt', 'its outcome cannot be recorded\n');
      await atProxy;
      fs.fail();
      await put(f.data, 'after.txt', 'its event cannot be recorded\n');
      await poll(
        'the journal to fail',
        async () => (daemon.stdout().includes('the journal cannot be written') ? true : undefined),
        {
          timeoutMs: 30_000,
          note: out,
        },
      );
      proxy.setFault(null);
      release();
      await poll(
        'held.txt in the bucket',
        async () => ((await listAll(f.bucket)).some((o) => o.key === 'held.txt') ? true : undefined),
        {
          timeoutMs: 30_000,
          note: out,
        },
      );
      const stopped = await stopDaemon(daemon);
      expect(stopped.code, describeRun('run', stopped)).toBe(0);
      expect(stopped.stdout).toContain('"msg":"stopped"');
      expect(stopped.stderr, 'no stack trace').not.toContain('    at ');

      fs.repair();
      expect(quickCheck(f.state)).toBe('ok');
      proxy.reset();
      const again = spawnCli(['run', '--config', f.config]);
      await waitForDaemon(f.config, again);
      await poll('after.txt mirrored', async () => ((await keysAndSizesDiffer(f.bucket, f.data)) ? undefined : true), {
        timeoutMs: 30_000,
        note: () => again.stdout().slice(-3000),
      });
      const last = await stopDaemon(again);
      expect(last.code, describeRun('run', last)).toBe(0);
      // held.txt was sent once, before the disk error: the restart finds it in the bucket.
      expect(proxy.requests.filter((r) => r.op === 'PutObject').map((r) => r.path.split('/').pop())).toEqual([
        'after.txt',
      ]);
      expect(quickCheck(f.state)).toBe('ok');
    } finally {
      fs.unmount();
      await proxy.close();
    }
  }, 180_000);
});
