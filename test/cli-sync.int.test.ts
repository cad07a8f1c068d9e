import { chmod, chown, mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { cliSuiteHooks, describeRun, fixture, put, sync, syncOk, TREE, writeTree } from './support/cli-fixture.js';
import { expectMirror } from './support/cli-mirror.js';
import { listAll } from './support/s3client.js';

// sync --once end to end: what lands in the bucket, what a rerun sends, held deletes and unreadable files.
describe('s3mirror CLI (integration)', () => {
  cliSuiteHooks();

  it('sync --once mirrors a tree with awkward names', async () => {
    const f = await fixture();
    await writeTree(f.data);
    const r = await syncOk(f.config);
    expect(r.stdout).toContain('in sync');
    // One readable line per pair, not the raw counters as JSON.
    expect(r.stdout.split('\n')).toContain(
      `main: ${Object.keys(TREE).length} uploaded, 0 copied, 0 deleted, 0 trashed, 0 skipped, 0 failed, 0 held`,
    );
    expect(r.stdout).not.toContain('{');
    await expectMirror(f.bucket, f.data);
    expect((await listAll(f.bucket)).length).toBe(Object.keys(TREE).length);
  });

  it('sync --once exits 3 and names the release command when the guard holds deletes; resume releases them', async () => {
    const f = await fixture();
    await writeTree(f.data, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd.txt': 'd' });
    await syncOk(f.config);
    for (const n of ['a.txt', 'b.txt', 'c.txt']) await unlink(join(f.data, n));
    const r = await sync(f.config);
    expect(r.code, describeRun('sync', r)).toBe(3);
    expect(r.stdout).toContain('main: 3 deletes held: 3 deletes of 4 objects exceed maxDeletePercent 50%');
    expect(r.stdout).toContain(`release with: s3mirror resume --config ${f.config} --pair main --allow-deletes`);
    expect((await listAll(f.bucket)).length).toBe(4);
    const res = await runCli(['resume', '--config', f.config, '--pair', 'main', '--allow-deletes']);
    expect(res.stdout).toContain('main: released 3 held delete(s)');
    await syncOk(f.config);
    expect((await listAll(f.bucket)).map((o) => o.key)).toEqual(['d.txt']);
  });

  it('a file its user cannot read is a per-file error (exit 1) that stalls nothing, and is retried once readable', async () => {
    const f = await fixture();
    await writeTree(f.data, { 'ok.txt': 'fine', 'sub/also-ok.txt': 'fine too', 'secret.txt': 'locked' });
    // Root reads anything, so as root the sync runs as "nobody", which owns the state dir but
    // not secret.txt; otherwise the owner itself cannot read a 000 file.
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? { uid: 65534, gid: 65534 } : {};
    await mkdir(f.state);
    if (asRoot) {
      for (const d of [f.root, f.data, join(f.data, 'sub')]) await chmod(d, 0o755);
      for (const n of ['ok.txt', 'sub/also-ok.txt']) await chmod(join(f.data, n), 0o644);
      await chmod(f.config, 0o644);
      await chown(f.state, 65534, 65534);
      await chmod(join(f.data, 'secret.txt'), 0o600);
    } else {
      await chmod(join(f.data, 'secret.txt'), 0o000);
    }
    const r = await runCli(['sync', '--once', '--config', f.config], user);
    expect(r.code, describeRun('sync', r)).toBe(1);
    expect(r.stdout).toMatch(/^ {2}main\/secret\.txt: FILE_UNREADABLE: cannot read .*secret\.txt: permission denied$/m);
    expect((await listAll(f.bucket)).map((o) => o.key).sort()).toEqual(['ok.txt', 'sub/also-ok.txt']);
    await chmod(join(f.data, 'secret.txt'), 0o644);
    const again = await runCli(['sync', '--once', '--config', f.config], user);
    expect(again.code, describeRun('sync', again)).toBe(0);
    expect((await listAll(f.bucket)).map((o) => o.key).sort()).toEqual(['ok.txt', 'secret.txt', 'sub/also-ok.txt']);
  });

  it('resume says when a running daemon picks the release up', async () => {
    const f = await fixture({ createBucket: false });
    const r = await runCli(['resume', '--config', f.config, '--pair', 'main', '--allow-deletes']);
    expect(r.code, describeRun('resume', r)).toBe(0);
    expect(r.stdout).toBe(
      'main: released 0 held delete(s); a running daemon picks them up within a few seconds, or run sync --once\n',
    );
  });

  it('a second sync --once with nothing changed uploads nothing', async () => {
    const f = await fixture();
    await writeTree(f.data);
    await syncOk(f.config);
    const r = await sync(f.config, '--json');
    expect(r.code, describeRun('sync --once --json', r)).toBe(0);
    const summary = JSON.parse(r.stdout) as { exitCode: number; requests: Record<string, number>; failures: unknown[] };
    expect(summary.exitCode).toBe(0);
    expect(summary.failures).toEqual([]);
    expect(summary.requests).toBeTypeOf('object');
    const uploads = Object.keys(summary.requests).filter((k) =>
      /^(PutObject|UploadPart|CreateMultipartUpload|CompleteMultipartUpload|CopyObject)/.test(k),
    );
    expect(uploads, JSON.stringify(summary.requests)).toEqual([]);
    await expectMirror(f.bucket, f.data);
  });

  it('mirrors a modify, a delete and an add made between runs', async () => {
    const f = await fixture();
    await writeTree(f.data);
    await syncOk(f.config);
    await writeFile(join(f.data, 'top.txt'), 'top level, now changed and longer\n');
    await writeFile(join(f.data, 'dir with spaces', 'file with spaces.txt'), 'SPACES\n'); // same size, new bytes
    await unlink(join(f.data, 'a', 'sibling.json'));
    await put(f.data, 'a/b/new file ✨.txt', 'brand new\n');
    const r = await syncOk(f.config);
    expect(r.stdout).toContain('in sync');
    await expectMirror(f.bucket, f.data);
    const keys = (await listAll(f.bucket)).map((o) => o.key);
    expect(keys).not.toContain('a/sibling.json');
    expect(keys).toContain('a/b/new file ✨.txt');
  });
});
