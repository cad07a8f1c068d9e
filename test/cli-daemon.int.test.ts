import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './support/cli.js';
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
import { expectMirror, keysAndSizesDiffer } from './support/cli-mirror.js';
import { listAll } from './support/s3client.js';

// The daemon (s3mirror run) as a process: its log lines, its lock, a kill -9 before it, and a watch that mirrors.
describe('s3mirror CLI (integration)', () => {
  cliSuiteHooks();

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

    // Something to send: a trusted journal with nothing to send would never load the SDK.
    await writeTree(f.data, { 'b.txt': 'b\n' });
    const daemon = spawnCli(['run', '--config', f.config], { env });
    await waitForDaemon(f.config, daemon);
    await poll('b.txt uploaded', async () => ((await keysAndSizesDiffer(f.bucket, f.data)) ? undefined : true), {
      timeoutMs: 20_000,
    });
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
