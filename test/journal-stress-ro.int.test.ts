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
import { createBucket, emptyAndDeleteBucket, uniqueBucket } from './support/s3client.js';
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
