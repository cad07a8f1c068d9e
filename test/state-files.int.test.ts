import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEnv, CLI_PATH, killAllClis, runCli, type CliResult } from './support/cli.js';
import { expectStatusExit } from './support/cli-fixture.js';
import { eventually } from './support/mirror.js';
import { portableCli } from './support/portable.js';
import { createBucket, uniqueBucket } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

const asRoot = process.getuid?.() === 0;
/** The service's group: a gid no name maps to, so that only the processes given it belong. */
const GROUP = 64123;
const NOBODY = 65534;
const dirs: string[] = [];
afterEach(async () => {
  await killAllClis();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const modeOf = (p: string) => statSync(p).mode & 0o777;

async function fixture(): Promise<{ root: string; state: string; config: string }> {
  const root = mkdtempSync(join(tmpdir(), 's3mirror-modes-'));
  dirs.push(root);
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'a.txt'), 'a');
  const bucket = await createBucket(uniqueBucket('modes'));
  const env = testEnv();
  const config = join(root, 'config.json');
  const state = join(root, 'state');
  writeFileSync(
    config,
    JSON.stringify({
      stateDir: state,
      s3: { endpoint: env.endpoint, forcePathStyle: true, region: env.region },
      pairs: [{ name: 'main', path: data, bucket }],
    }),
  );
  chmodSync(config, 0o644);
  return { root, state, config };
}

/**
 * The CLI under a umask (the daemon's own, as systemd or a shell would set it); as root with the
 * service's group as its group, so the files it creates belong to that group.
 */
function cliUnderUmask(umask: string, args: string[]) {
  const cli = asRoot ? portableCli() : CLI_PATH;
  const child = spawn('/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, cli, ...args], {
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { gid: GROUP } : {}),
  });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, exited, stderr: () => err };
}

const STATE_FILES = ['journal.db', 'journal.db-wal', 'journal.db-shm', 'lock.db', 'daemon.pid'];

describe('state files are readable by the service group only (README: Install as a service)', () => {
  it.each([['022'], ['077']])(
    'under umask %s the daemon creates its state 0640 (dir 0750), and a group member reads status',
    async (umask) => {
      const f = await fixture();
      const d = cliUnderUmask(umask, ['run', '--config', f.config]);
      try {
        // Running, and the first pass recorded: every state file exists while it runs.
        await eventually(async () => {
          const r = await runCli(['status', '--json', '--config', f.config]);
          const s = JSON.parse(r.stdout || '{}') as {
            daemon?: { running: boolean };
            pairs?: { inSync: { files: number } }[];
          };
          expect(s.daemon?.running).toBe(true);
          expect(s.pairs?.[0]?.inSync.files).toBe(1);
        }, 30_000);
        for (const n of STATE_FILES) expect([n, modeOf(join(f.state, n)).toString(8)]).toEqual([n, '640']);
        expect(modeOf(f.state).toString(8)).toBe('750');
        if (asRoot) {
          for (const n of STATE_FILES) expect([n, statSync(join(f.state, n)).gid]).toEqual([n, GROUP]);
          // A non-root member of the group reads status, with the daemon running and stopped.
          const member = await runCli(['status', '--json', '--config', f.config], { uid: NOBODY, gid: GROUP });
          expectStatus(member, true);
          // Anyone else gets nothing: the modes, not a world-readable default, are what grant it.
          const other = await runCli(['status', '--json', '--config', f.config], { uid: NOBODY, gid: NOBODY });
          expectStatusExit(other);
          const o = JSON.parse(other.stdout) as {
            pairs: { state: string; reason: string; inSync: { files: number } }[];
          };
          expect(o.pairs[0]).toMatchObject({ state: 'unknown', inSync: { files: 0 } });
          expect(o.pairs[0]!.reason).toContain('permission denied');
        }
      } finally {
        d.child.kill('SIGTERM');
      }
      expect(await d.exited, d.stderr()).toBe(0);
      expect(existsSync(join(f.state, 'daemon.pid'))).toBe(false);
      for (const n of ['journal.db', 'lock.db']) expect([n, modeOf(join(f.state, n)).toString(8)]).toEqual([n, '640']);
      if (asRoot)
        expectStatus(await runCli(['status', '--json', '--config', f.config], { uid: NOBODY, gid: GROUP }), false);
    },
  );

  it('state files an older version left world-readable lose the others’ bits at the next start', async () => {
    const f = await fixture();
    const first = cliUnderUmask('022', ['sync', '--once', '--config', f.config]);
    expect(await first.exited, first.stderr()).toBe(0);
    for (const n of ['journal.db', 'lock.db']) chmodSync(join(f.state, n), 0o644);
    if (asRoot) chownSync(f.state, 0, GROUP);
    const again = cliUnderUmask('022', ['sync', '--once', '--config', f.config]);
    expect(await again.exited, again.stderr()).toBe(0);
    for (const n of ['journal.db', 'lock.db']) expect([n, modeOf(join(f.state, n)).toString(8)]).toEqual([n, '640']);
  });
});

function expectStatus(r: CliResult, running: boolean): void {
  expectStatusExit(r);
  const s = JSON.parse(r.stdout) as { daemon: { running: boolean }; pairs: { inSync: { files: number } }[] };
  expect(s.daemon.running).toBe(running);
  expect(s.pairs[0]!.inSync.files).toBe(1);
}
