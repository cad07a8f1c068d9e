import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './support/cli.js';
import {
  baseConfig,
  cliSuiteHooks,
  describeRun,
  fixture,
  poll,
  put,
  stopDaemon,
  waitForDaemon,
  writeJson,
} from './support/cli-fixture.js';
import { createBucket, emptyAndDeleteBucket, listAll, uniqueBucket } from './support/s3client.js';

// SIGHUP to `s3mirror run` (systemd's ExecReload=): the config file is read again. A config that
// does not validate, or changes what needs a restart, keeps the running one and says why.

interface LogLine {
  msg: string;
  errors?: string[];
  restartNeeded?: { field: string }[];
}

const lines = (out: string): LogLine[] =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);

describe('s3mirror run: SIGHUP reloads the config', () => {
  cliSuiteHooks();

  it('a pair added takes effect; an invalid config and a stateDir change are refused, logged, and change nothing; SIGTERM drains', async () => {
    const f = await fixture({ config: { debounceMs: 100 } });
    await put(f.data, 'a.txt', 'first');
    const daemon = spawnCli(['run', '--config', f.config]);
    await waitForDaemon(f.config, daemon);
    const keys = async (bucket: string) => (await listAll(bucket)).map((o) => o.key).sort();
    const until = (what: string, ok: () => Promise<boolean> | boolean) =>
      poll(what, async () => ((await ok()) ? true : undefined), {
        timeoutMs: 15_000,
        note: () => daemon.stdout().slice(-3000),
      });
    const logged = (msg: string) => lines(daemon.stdout()).filter((l) => l.msg.startsWith(msg));
    await until('a.txt mirrored', async () => (await keys(f.bucket)).includes('a.txt'));

    // Invalid: two problems, both logged; the daemon goes on with the running config.
    await writeJson(f.config, { ...baseConfig(f), concurrency: 'x', pairs: [{ name: 'main', path: f.data }] });
    daemon.kill('SIGHUP');
    await until('the refusal logged', () => logged('config reload refused').length === 1);
    const refused = logged('config reload refused')[0]!;
    expect(refused.errors).toEqual([
      expect.stringMatching(/^concurrency: must be an integer/),
      'pairs[0].bucket: required',
    ]);
    await put(f.data, 'b.txt', 'after the refused reload');
    await until('b.txt mirrored', async () => (await keys(f.bucket)).includes('b.txt'));

    // Valid: a second pair in a bucket of its own.
    const other = await createBucket(uniqueBucket('cli-reload'));
    try {
      const data2 = join(f.root, 'data2');
      await mkdir(data2);
      await put(data2, 'c.txt', 'in the added pair');
      const two = {
        ...baseConfig(f),
        debounceMs: 100,
        pairs: [
          { name: 'main', path: f.data, bucket: f.bucket },
          { name: 'second', path: data2, bucket: other },
        ],
      };
      await writeJson(f.config, two);
      daemon.kill('SIGHUP');
      await until('c.txt mirrored', async () => (await keys(other)).includes('c.txt'));
      await put(data2, 'd.txt', 'seen by the new watch');
      await until('d.txt mirrored', async () => (await keys(other)).includes('d.txt'));

      // Needs a restart: refused as a whole, naming the field.
      await writeJson(f.config, { ...two, stateDir: join(f.root, 'state2'), pairs: [two.pairs[0]] });
      daemon.kill('SIGHUP');
      await until('the second refusal logged', () => logged('config reload refused').length === 2);
      expect(logged('config reload refused')[1]!.restartNeeded?.map((r) => r.field)).toEqual(['stateDir']);
      await put(data2, 'e.txt', 'the pair was not removed');
      await until('e.txt mirrored', async () => (await keys(other)).includes('e.txt'));

      const r = await stopDaemon(daemon);
      expect(r.code, describeRun('run', r)).toBe(0);
      expect(lines(r.stdout).some((l) => l.msg === 'stopped')).toBe(true);
    } finally {
      await emptyAndDeleteBucket(other).catch(() => undefined);
    }
  });
});
