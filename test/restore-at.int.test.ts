import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { cliSuiteHooks, describeRun, fixture, put, syncOk } from './support/cli-fixture.js';
import { testEnv } from './support/s3server.js';
import { allVersions, emptyAndDeleteVersionedBucket, enableVersioning } from './support/s3versions.js';

// `restore --at`: the tree as it was at a moment, from a versioned bucket (RGW; s3rver keeps no
// versions, so there the test is that --at says so and how to turn versioning on).
cliSuiteHooks();
const versioned: string[] = [];
afterAll(async () => {
  for (const b of versioned) await emptyAndDeleteVersionedBucket(b).catch(() => undefined);
});

const restoreAt = (config: string, to: string, at: string) =>
  runCli(['restore', '--config', config, '--pair', 'main', '--to', to, '--at', at]);

/** Wait for the server's clock to pass `t` where it counts time in whole seconds. */
async function pastSecondOf(t: number): Promise<void> {
  if (t % 1000 !== 0) return;
  while (Date.now() < t + 1000) await new Promise((r) => setTimeout(r, 20));
}

describe('s3mirror restore --at', () => {
  it('without versioning: exit 2, saying so and how to enable it; nothing written', async () => {
    const f = await fixture();
    await put(f.data, 'a.txt', 'a');
    await syncOk(f.config);
    const to = join(f.root, 'restored');
    const r = await restoreAt(f.config, to, new Date().toISOString());
    expect(r.code, describeRun('restore --at', r)).toBe(2);
    expect(r.stderr).toContain('does not keep versions');
    expect(r.stderr).toContain(
      `aws s3api put-bucket-versioning --bucket ${f.bucket} --versioning-configuration Status=Enabled`,
    );
    expect(readdirSync(to)).toEqual([]);
  });

  it('a time that is not ISO 8601 with a zone is a usage error', async () => {
    const f = await fixture();
    const r = await restoreAt(f.config, join(f.root, 'restored'), '2026-01-01 12:00');
    expect(r.code, describeRun('restore --at', r)).toBe(2);
    expect(r.stderr).toContain('--at must be an ISO 8601 time with its zone');
  });

  if (testEnv().server !== 's3rver')
    it('brings back the older version and the deleted file, not what came later; before anything, nothing', async () => {
      const f = await fixture();
      await enableVersioning(f.bucket);
      versioned.push(f.bucket);
      await put(f.data, 'a.txt', 'v1');
      await put(f.data, 'dir/b.txt', 'bee');
      await syncOk(f.config);
      const first = await allVersions(f.bucket);
      expect(first).toHaveLength(2);
      const t = Math.max(...first.map((v) => v.lastModified));
      await pastSecondOf(t);
      await writeFile(join(f.data, 'a.txt'), 'v2, longer');
      await rm(join(f.data, 'dir/b.txt'));
      await put(f.data, 'c.txt', 'created later');
      await syncOk(f.config);
      const later = (await allVersions(f.bucket)).filter((v) => v.lastModified > t);
      expect(later.map((v) => [v.key, v.deleteMarker]).sort()).toEqual([
        ['a.txt', false],
        ['c.txt', false],
        ['dir/b.txt', true],
      ]);

      const to = join(f.root, 'at-t');
      const r = await restoreAt(f.config, to, new Date(t).toISOString());
      expect(r.code, describeRun('restore --at', r)).toBe(0);
      expect(r.stdout).toContain('main: 2 restored, 0 already identical, 0 kept, 0 skipped, 0 refused, 0 failed');
      expect(readFileSync(join(to, 'a.txt'), 'utf8')).toBe('v1');
      expect(readFileSync(join(to, 'dir/b.txt'), 'utf8')).toBe('bee');
      expect(readdirSync(to).sort()).toEqual(['a.txt', 'dir']);

      const again = await restoreAt(f.config, to, new Date(t).toISOString());
      expect(again.stdout, describeRun('again', again)).toContain('main: 0 restored, 2 already identical');

      const before = join(f.root, 'before');
      const none = await restoreAt(
        f.config,
        before,
        new Date(Math.min(...first.map((v) => v.lastModified)) - 1000).toISOString(),
      );
      expect(none.code, describeRun('restore --at before', none)).toBe(0);
      expect(none.stdout).toContain('main: 0 restored');
      expect(readdirSync(before)).toEqual([]);
    });
});
