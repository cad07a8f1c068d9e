// Real crashes at exact moments: the CLI runs as a child with S3MIRROR_FAILPOINTS set, kills
// itself with SIGKILL at the named point, and a restart must leave the bucket exact without
// sending again what had landed.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, killAllClis, runCli, type CliResult } from './support/cli.js';
import { bytes, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { listAll } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

let s: Scratch | undefined;
beforeAll(() => assertBuilt());
afterEach(async () => {
  await killAllClis();
  s?.cleanup();
  s = undefined;
});

function writeConfig(sc: Scratch, top: Record<string, unknown> = {}): string {
  const env = testEnv();
  const file = join(sc.dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      stateDir: sc.stateDir,
      s3: { endpoint: env.endpoint, region: env.region, forcePathStyle: true },
      pairs: [{ name: 'p', path: sc.root, bucket: sc.bucket, maxDeletePercent: 100, maxDeleteCount: 100_000 }],
      ...top,
    }),
  );
  return file;
}

const sync = (config: string, failpoints?: string) =>
  runCli(['sync', '--once', '--json', '--config', config], { env: { S3MIRROR_FAILPOINTS: failpoints } });

function json(r: CliResult): { requests: Record<string, number>; failures: unknown[] } {
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  return JSON.parse(r.stdout) as { requests: Record<string, number>; failures: unknown[] };
}

describe('kill -9 at a failpoint, then a restart', () => {
  it('after a PUT the journal has not recorded: the restart sends only the files not in the bucket', async () => {
    s = await scratch('crash-put');
    for (let i = 0; i < 20; i++) s.write(`f${String(i).padStart(2, '0')}.bin`, bytes(2000 + i, i));
    // One transfer at a time: exactly five PUTs land before the fifth kills the process.
    const config = writeConfig(s, { concurrency: 1 });
    const killed = await sync(config, 'after-put:5');
    expect(killed.signal).toBe('SIGKILL');
    expect(await listAll(s.bucket)).toHaveLength(5);

    const r = json(await sync(config));
    expect(r.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
    expect(r.requests.PutObjectCommand).toBe(15);
  });

  it('mid delete batch: the restart finishes the deletes, and the keys already gone cost nothing', async () => {
    s = await scratch('crash-delete');
    // At the root beside a kept file: s3rver answers 500 to a batch that empties a directory.
    for (let i = 0; i < 1100; i++) s.write(`d${String(i).padStart(4, '0')}`, String(i));
    s.write('keep', 'kept');
    const config = writeConfig(s, { concurrency: 8 });
    expect(json(await sync(config)).failures).toEqual([]);
    for (let i = 0; i < 1100; i++) rmSync(join(s.root, `d${String(i).padStart(4, '0')}`));

    const killed = await sync(config, 'delete-mid-batch');
    expect(killed.signal).toBe('SIGKILL');
    // The first batch of 1,000 went; its deletes are not in the journal.
    expect(await listAll(s.bucket)).toHaveLength(101);

    const r = json(await sync(config));
    expect(r.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
    expect(r.requests.DeleteObjectsCommand).toBe(1);
    expect(r.requests.PutObjectCommand ?? 0).toBe(0);
  }, 120_000);
});
