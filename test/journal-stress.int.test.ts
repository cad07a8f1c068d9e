import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './support/cli.js';
import { expectMirror, keysAndSizesDiffer } from './support/cli-mirror.js';
import {
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
  writeTree,
} from './support/cli-fixture.js';
import { quickCheck } from './support/journal-check.js';
import { canMount, mountTmpfs } from './support/tmpfs.js';

const MiB = 1024 * 1024;

async function manyFiles(root: string, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) await put(root, `${tag}/${'long-name-'.repeat(8)}${i}.txt`, `${tag} ${i}\n`);
}

// A stateDir on a full or read-only disk: commands stop with exit 5 naming the path, the daemon
// pauses and goes on, and the journal stays intact for the next run.
describe.runIf(canMount)('a full or read-only stateDir (tmpfs)', () => {
  cliSuiteHooks();

  it('sync --once and resume exit 5 naming the stateDir when it is read-only; the next run works', async () => {
    const f = await fixture();
    const fs = mountTmpfs(f.state, 8 * MiB);
    try {
      await writeTree(f.data);
      await syncOk(f.config);
      await put(f.data, 'later.txt', 'written while the stateDir is read-only\n');
      fs.readonly(true);
      const r = await sync(f.config);
      expect(r.code, describeRun('sync --once', r)).toBe(5);
      expect(r.stderr).toContain('STATE_DIR_UNWRITABLE');
      expect(r.stderr).toContain(f.state);
      expect(r.stderr).toContain('read-only');
      expect(r.stderr, 'no stack trace').not.toContain('    at ');
      const resume = await runCli(['resume', '--config', f.config, '--pair', 'main', '--allow-deletes']);
      expect(resume.code, describeRun('resume', resume)).toBe(5);
      expect(resume.stderr).toContain(f.state);
      fs.readonly(false);
      expect(quickCheck(f.state)).toBe('ok');
      await syncOk(f.config);
      await expectMirror(f.bucket, f.data);
    } finally {
      fs.unmount();
    }
  });

  it('sync --once exits 5 when the journal cannot grow; the journal is intact and the next run completes', async () => {
    const f = await fixture();
    const fs = mountTmpfs(f.state, 8 * MiB);
    try {
      await writeTree(f.data);
      await syncOk(f.config);
      // Room for the lock and pid file, none for 1,000 more rows.
      fs.fill(64 * 1024);
      await manyFiles(f.data, 1000, 'many');
      const r = await sync(f.config);
      expect(r.code, describeRun('sync --once', r)).toBe(5);
      expect(r.stderr).toContain('STATE_DIR_UNWRITABLE');
      expect(r.stderr).toContain(join(f.state, 'journal.db'));
      expect(r.stderr).toContain('disk is full');
      expect(r.stderr, 'no stack trace').not.toContain('    at ');
      expect(quickCheck(f.state)).toBe('ok');
      fs.free();
      await syncOk(f.config);
      await expectMirror(f.bucket, f.data);
    } finally {
      fs.unmount();
    }
  });

  it('the daemon does not exit on a full stateDir: its pairs show error, and it catches up once there is room', async () => {
    const f = await fixture();
    const fs = mountTmpfs(f.state, 8 * MiB);
    try {
      await writeTree(f.data);
      const daemon = spawnCli(['run', '--config', f.config]);
      await waitForDaemon(f.config, daemon);
      await poll('the first sync', async () => ((await keysAndSizesDiffer(f.bucket, f.data)) ? undefined : true), {
        timeoutMs: 30_000,
      });
      fs.fill();
      await manyFiles(f.data, 500, 'during');
      const paused = await poll(
        'status to show the pair in error',
        async () => {
          const s = (await status(f.config)) as unknown as { pairs: { verdict: string; reason: string | null }[] };
          return s.pairs[0]?.verdict === 'error' ? s.pairs[0] : undefined;
        },
        { timeoutMs: 30_000, note: () => daemon.stdout().slice(-2000) },
      );
      expect(paused.reason ?? '').toContain('STATE_DIR_UNWRITABLE');
      expect(daemon.hasExited(), 'the daemon is still running').toBe(false);
      expect(daemon.stdout()).toContain('the journal cannot be written');
      fs.free();
      await poll(
        'the bucket to mirror the tree',
        async () => ((await keysAndSizesDiffer(f.bucket, f.data)) ? undefined : true),
        { timeoutMs: 60_000, intervalMs: 500, note: () => daemon.stdout().slice(-2000) },
      );
      await expectMirror(f.bucket, f.data);
      const stopped = await stopDaemon(daemon);
      expect(stopped.code, describeRun('run', stopped)).toBe(0);
      expect(quickCheck(f.state)).toBe('ok');
    } finally {
      fs.unmount();
    }
  }, 150_000);

  it('the daemon waits at start while its stateDir is full, then starts', async () => {
    const f = await fixture();
    const fs = mountTmpfs(f.state, 4 * MiB);
    try {
      await writeTree(f.data);
      fs.fill();
      const daemon = spawnCli(['run', '--config', f.config]);
      await poll(
        'the daemon to say it waits',
        async () => (daemon.stdout().includes('cannot start') ? true : undefined),
        {
          timeoutMs: 20_000,
          note: () => `exited: ${daemon.hasExited()}; ${daemon.stdout().slice(-1000)} ${daemon.stderr().slice(-1000)}`,
        },
      );
      expect(daemon.stdout()).toContain('STATE_DIR_UNWRITABLE');
      expect(daemon.hasExited()).toBe(false);
      fs.free();
      await waitForDaemon(f.config, daemon, 30_000);
      await poll(
        'the bucket to mirror the tree',
        async () => ((await keysAndSizesDiffer(f.bucket, f.data)) ? undefined : true),
        {
          timeoutMs: 30_000,
        },
      );
      const stopped = await stopDaemon(daemon);
      expect(stopped.code, describeRun('run', stopped)).toBe(0);
    } finally {
      fs.unmount();
    }
  }, 90_000);
});
