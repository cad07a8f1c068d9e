import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './support/cli.js';
import { baseConfig, cliSuiteHooks, describeRun, fixture, sync, writeJson, writeTree } from './support/cli-fixture.js';
import { startProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// The CLI's exit codes for usage, config and S3 errors, each with a message that names the problem.
describe('s3mirror CLI (integration)', () => {
  cliSuiteHooks();

  it('--version prints the version of package.json; --help lists the exit codes', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const v = await runCli(['--version']);
    expect(v.code, describeRun('--version', v)).toBe(0);
    expect(v.stdout).toBe(`${pkg.version}\n`);
    const h = await runCli(['--help']);
    expect(h.code, describeRun('--help', h)).toBe(0);
    expect(h.stdout).toContain('Exit codes:');
    for (const [code, meaning] of [
      ['0', 'ok'],
      ['1', 'some files failed'],
      ['2', 'usage or config error'],
      ['3', 'deletes held'],
      ['4', 'endpoint, bucket or credentials unusable'],
      ['5', 'stateDir cannot be used or written'],
      ['75', 'stateDir is in use'],
    ]) {
      expect(h.stdout, `exit code ${code}`).toMatch(new RegExp(`^ +${code} +[^\\n]*${meaning}`, 'm'));
    }
  });

  describe('bad config exits 2 and names the field', () => {
    const noStack = (r: CliResult) => expect(r.stderr, 'no stack trace').not.toContain('    at ');

    it('missing pairs[0].bucket', async () => {
      const f = await fixture({ createBucket: false });
      const cfg = baseConfig(f);
      delete (cfg.pairs as Record<string, unknown>[])[0]!.bucket;
      await writeJson(f.config, cfg);
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(2);
      expect(r.stderr).toContain('pairs[0].bucket: required');
      noStack(r);
    });

    it('concurrency: "x"', async () => {
      const f = await fixture({ createBucket: false, config: { concurrency: 'x' } });
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(2);
      expect(r.stderr).toContain('concurrency: must be an integer 1..512, got "x"');
      noStack(r);
    });

    it('malformed JSON', async () => {
      const f = await fixture({ createBucket: false });
      await writeFile(f.config, '{ "stateDir": "state", "pairs": [ }\n');
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(2);
      expect(r.stderr).toContain('CONFIG_INVALID');
      expect(r.stderr).toContain(`config ${f.config} is not valid JSON`);
      noStack(r);
    });
  });

  it('no region anywhere → REGION_MISSING naming s3.region, exit 2', async () => {
    const f = await fixture({ createBucket: false });
    await writeTree(f.data);
    // No endpoint (AWS) and no s3.region; nothing in the environment or in ~/.aws may supply one.
    await writeJson(f.config, { stateDir: f.state, pairs: [{ name: 'main', path: f.data, bucket: f.bucket }] });
    const env = {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_CONFIG_FILE: join(f.root, 'no-such-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(f.root, 'no-such-aws-credentials'),
    };
    const r = await runCli(['sync', '--once', '--config', f.config], { env });
    expect(r.code, describeRun('sync', r)).toBe(2);
    expect(r.stderr).toContain('REGION_MISSING: no AWS region: set s3.region in the config, or AWS_REGION');
    expect(r.stderr).not.toContain('    at ');
    // The daemon too: no retry can fix a config error, and exit 2 keeps systemd from restarting it.
    const d = await runCli(['run', '--config', f.config], { env, timeoutMs: 30_000 });
    expect(d.code, describeRun('run', d)).toBe(2);
    expect(d.stderr).toContain('REGION_MISSING');
  });

  it('a config error first seen when the daemon checks a missing bucket again exits 2, as at start', async () => {
    const f = await fixture({ createBucket: false });
    await writeTree(f.data);
    const proxy = await startProxy(testEnv().endpoint);
    try {
      await writeJson(f.config, {
        ...baseConfig(f),
        s3: { endpoint: proxy.endpoint, forcePathStyle: true, region: testEnv().region },
      });
      // At start the server answers that the bucket is missing (exit-4 class: retried every 10 s);
      // by the retry it exists, in another region than the config names.
      let heads = 0;
      proxy.setFault({
        kind: 'status',
        status: 301,
        headers: { 'x-amz-bucket-region': 'eu-west-1' },
        match: (op) => op === 'HeadBucket' && heads++ >= 1,
      });
      const d = await runCli(['run', '--config', f.config], { timeoutMs: 40_000 });
      expect(d.code, describeRun('run', d)).toBe(2);
      expect(d.stderr).toContain('REGION_WRONG');
      expect(d.stderr).not.toContain('    at ');
      expect(heads).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  describe('an unusable S3 exits 4', () => {
    it('unreachable endpoint → ENDPOINT_UNREACHABLE', async () => {
      const f = await fixture({ createBucket: false });
      await writeTree(f.data);
      await writeJson(f.config, {
        ...baseConfig(f),
        s3: { endpoint: 'http://127.0.0.1:1', forcePathStyle: true, region: testEnv().region },
      });
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(4);
      expect(r.stderr).toContain('ENDPOINT_UNREACHABLE');
      expect(r.stderr).not.toContain('    at ');
    });

    it('missing bucket → BUCKET_MISSING', async () => {
      const f = await fixture({ createBucket: false });
      await writeTree(f.data);
      const r = await sync(f.config);
      expect(r.code, describeRun('sync', r)).toBe(4);
      expect(r.stderr).toContain('BUCKET_MISSING');
      expect(r.stderr).not.toContain('    at ');
    });
  });
});
