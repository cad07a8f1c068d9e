import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import {
  cliSuiteHooks,
  describeRun,
  fixture,
  status,
  type StatusJson,
  syncOk,
  TREE,
  writeTree,
} from './support/cli-fixture.js';

// s3mirror status against the journal a sync left, before any run, and for a user who can only read it.
describe('s3mirror CLI (integration)', () => {
  cliSuiteHooks();

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
    // Unhealthy all the same: no daemon runs.
    expect(r.code, describeRun('status', r)).toBe(1);
    expect(r.stdout).toContain('[never-synced]');
    expect(r.stdout).toContain('state:     never-synced');
    expect(r.stderr).toBe('s3mirror: unhealthy: the daemon is not running\n');
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
      expect(r.code, describeRun('status as a read-only user', r)).toBe(1);
      const s = JSON.parse(r.stdout) as StatusJson;
      expect(s.pairs[0]!.inSync.files).toBe(Object.keys(TREE).length);
      expect(s.pairs[0]!.state).toBe('ok');
    } finally {
      await chmod(f.state, 0o755);
    }
  });
});
