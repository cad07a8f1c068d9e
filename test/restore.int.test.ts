import { PutObjectCommand } from '@aws-sdk/client-s3';
import { chmod, mkdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './support/cli.js';
import { cliSuiteHooks, describeRun, fixture, put, stopDaemon, syncOk, waitForDaemon } from './support/cli-fixture.js';
import { independentClient } from './support/s3client.js';

// `s3mirror restore`: the bucket back onto a disk, checked, with mtimes and modes, never outside
// the directory it is given, and recognised as identical by the next sync (nothing uploaded).
cliSuiteHooks();

const restoreCli = (config: string, to: string, ...more: string[]) =>
  runCli(['restore', '--config', config, '--pair', 'main', '--to', to, ...more]);

const TREE: Record<string, string> = {
  'a.txt': 'alpha',
  'docs/b.md': '# beta\n'.repeat(100),
  'docs/deep/c.bin': 'x'.repeat(70_000),
  'ünï/名前.txt': 'unicode',
};

async function mirrored() {
  const f = await fixture();
  for (const [rel, body] of Object.entries(TREE)) await put(f.data, rel, body);
  await chmod(join(f.data, 'a.txt'), 0o600);
  await utimes(join(f.data, 'docs/b.md'), new Date(1_700_000_000_000), new Date(1_700_000_000_000));
  await syncOk(f.config);
  return f;
}

describe('s3mirror restore', () => {
  it('restores every file with its content, mode and mtime; a second run finds them identical', async () => {
    const f = await mirrored();
    const to = join(f.root, 'restored');
    const r = await restoreCli(f.config, to);
    expect(r.code, describeRun('restore', r)).toBe(0);
    expect(r.stdout).toContain('main: 4 restored, 0 already identical, 0 kept, 0 skipped, 0 refused, 0 failed');
    for (const [rel, body] of Object.entries(TREE)) expect(await readFile(join(to, rel), 'utf8')).toBe(body);
    expect(lstatSync(join(to, 'a.txt')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(to, 'docs/b.md')).mtimeMs).toBe(1_700_000_000_000);
    expect(readdirSync(join(to, 'docs')).filter((n) => n.includes('s3mirror-restore'))).toEqual([]);
    const again = await restoreCli(f.config, to);
    expect(again.code, describeRun('restore again', again)).toBe(0);
    expect(again.stdout).toContain('main: 0 restored, 4 already identical');
  });

  it('an existing different file is kept unless --overwrite; --path restores one subtree', async () => {
    const f = await mirrored();
    const to = join(f.root, 'restored');
    await mkdir(join(to, 'docs'), { recursive: true });
    await writeFile(join(to, 'docs/b.md'), 'mine');
    const kept = await restoreCli(f.config, to, '--path', 'docs');
    expect(kept.code, describeRun('restore --path docs', kept)).toBe(0);
    expect(kept.stdout).toContain('main: 1 restored, 0 already identical, 1 kept');
    expect(await readFile(join(to, 'docs/b.md'), 'utf8')).toBe('mine');
    expect(existsSync(join(to, 'a.txt'))).toBe(false);
    const over = await restoreCli(f.config, to, '--path', 'docs', '--overwrite');
    expect(over.code, describeRun('restore --overwrite', over)).toBe(0);
    expect(await readFile(join(to, 'docs/b.md'), 'utf8')).toBe(TREE['docs/b.md']);
  });

  it('keys that would leave the directory, and a symlink inside it, are refused one by one; the rest is restored', async () => {
    const f = await mirrored();
    const s3 = independentClient();
    for (const key of ['a/..%2F..%2Fescape', 'evil\\..\\x.txt', 'link/through.txt'])
      await s3.send(new PutObjectCommand({ Bucket: f.bucket, Key: key, Body: 'bad' }));
    const to = join(f.root, 'restored');
    const outside = join(f.root, 'outside');
    await mkdir(to);
    await mkdir(outside);
    await symlink(outside, join(to, 'link'));
    const r = await restoreCli(f.config, to);
    expect(r.code, describeRun('restore', r)).toBe(1);
    expect(r.stdout).toMatch(/^refused: evil\\\.\.\\x\.txt: the key holds a backslash/m);
    expect(r.stdout).toMatch(/^refused: link\/through\.txt: .*is a symlink/m);
    expect(readdirSync(outside)).toEqual([]);
    for (const [rel, body] of Object.entries(TREE)) expect(await readFile(join(to, rel), 'utf8')).toBe(body);
    s3.destroy();
  });

  it('disaster recovery: restore into the pair path on a new disk, then sync uploads nothing', async () => {
    const f = await mirrored();
    await rm(f.data, { recursive: true });
    await rm(f.state, { recursive: true });
    const r = await restoreCli(f.config, f.data);
    expect(r.code, describeRun('restore', r)).toBe(0);
    const sync = await runCli(['sync', '--once', '--config', f.config, '--json']);
    expect(sync.code, describeRun('sync', sync)).toBe(0);
    const requests = (JSON.parse(sync.stdout) as { requests: Record<string, number> }).requests;
    expect(requests.PutObjectCommand ?? 0).toBe(0);
    expect(requests.CopyObjectCommand ?? 0).toBe(0);
    expect(requests.DeleteObjectsCommand ?? 0).toBe(0);
  });

  it("into the pair's own path while the daemon runs: exit 75, naming it; elsewhere it goes ahead", async () => {
    const f = await mirrored();
    const daemon = spawnCli(['run', '--config', f.config]);
    await waitForDaemon(f.config, daemon);
    const busy = await restoreCli(f.config, f.data);
    expect(busy.code, describeRun('restore into the pair', busy)).toBe(75);
    expect(busy.stderr).toContain("pair main's own path");
    expect(busy.stderr).toContain('stop the daemon while you restore into the pair');
    const elsewhere = await restoreCli(f.config, join(f.root, 'elsewhere'));
    expect(elsewhere.code, describeRun('restore elsewhere', elsewhere)).toBe(0);
    const d = await stopDaemon(daemon);
    expect(d.code, describeRun('run', d)).toBe(0);
  });
});
