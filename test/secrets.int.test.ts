import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli, spawnCli } from './support/cli.js';
import {
  cliSuiteHooks,
  describeRun,
  fixture,
  metricsBase,
  poll,
  put,
  status,
  stopDaemon,
  waitForDaemon,
  writeJson,
} from './support/cli-fixture.js';
import { testEnv } from './support/s3server.js';

// Credentials never reach what s3mirror prints: logs at the most verbose level, status (text and
// JSON), the sync summary, config check, a scrape of the daemon's metrics and its status page's data. Both ways in: the environment and a shared profile, with
// the right secret and with a wrong one (whose rejection is logged as an error).
cliSuiteHooks();

/** Metrics on a port the system picks: the daemon logs which. */
async function withMetrics(config: string): Promise<void> {
  const cfg = JSON.parse(await readFile(config, 'utf8')) as Record<string, unknown>;
  await writeJson(config, { ...cfg, metrics: { listen: '127.0.0.1:0' } });
}

/** Everything a run printed, what the commands that read its state print, and a metrics scrape. */
async function everythingShown(config: string, env: NodeJS.ProcessEnv): Promise<string> {
  await withMetrics(config);
  const out: string[] = [];
  const sync = await runCli(['sync', '--once', '--config', config, '--json'], { env });
  out.push(sync.stdout, sync.stderr);
  const daemon = spawnCli(['run', '--config', config], { env });
  await waitForDaemon(config, daemon);
  await put(join(config, '..', 'data'), 'later.txt', 'written while the daemon runs');
  await poll(
    'the change to be mirrored',
    async () => {
      const s = (await status(config)) as unknown as { pairs: { verdict: string; inSync: { files: number } }[] };
      return s.pairs[0]?.verdict === 'in sync' && s.pairs[0].inSync.files === 2 ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const listen = (await metricsBase(daemon)).slice('http://'.length);
  const scrape = await (await fetch(`http://${listen}/metrics`)).text();
  expect(scrape).toContain('s3mirror_pair_uploaded_files_total{pair="main"}');
  expect(scrape).not.toContain(testEnv().accessKeyId);
  out.push(scrape);
  // The status page and the data it draws.
  const page = await (await fetch(`http://${listen}/status.json`)).text();
  expect(page).toContain('"pair":"main"');
  out.push(page, await (await fetch(`http://${listen}/`)).text());
  for (const args of [
    ['status', '--config', config],
    ['status', '--config', config, '--json'],
    ['config', 'check', '--config', config],
  ]) {
    const r = await runCli(args, { env });
    out.push(r.stdout, r.stderr);
  }
  const stopped = await stopDaemon(daemon);
  out.push(stopped.stdout, stopped.stderr);
  return out.join('\n');
}

describe('secrets never appear in logs, status or summaries', () => {
  it('keys in the environment, right and wrong', async () => {
    const f = await fixture();
    await put(f.data, 'a.txt', 'a');
    const right = cliEnv({ S3MIRROR_LOG_LEVEL: 'trace' });
    const shown = await everythingShown(f.config, right);
    expect(shown).toContain('"msg":"running"');
    expect(shown).not.toContain(testEnv().secretAccessKey);
    // Keys the server rejects (s3rver checks the key id, not every signature): the error is
    // shown, the secret is not.
    const wrongSecret = 'wrong-secret-4f9c2e7a1b';
    const wrong = await runCli(['sync', '--once', '--config', f.config, '--json', '--audit'], {
      env: cliEnv({
        S3MIRROR_LOG_LEVEL: 'trace',
        AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY0000',
        AWS_SECRET_ACCESS_KEY: wrongSecret,
      }),
    });
    expect(wrong.code, describeRun('sync with wrong keys', wrong)).toBe(4);
    expect(wrong.stdout + wrong.stderr).toContain('CREDENTIALS_INVALID');
    expect(wrong.stdout + wrong.stderr).not.toContain(wrongSecret);
  }, 90_000);

  it('keys in a shared credentials profile named by s3.profile', async () => {
    const f = await fixture();
    await put(f.data, 'a.txt', 'a');
    const t = testEnv();
    const credentials = join(f.root, 'credentials');
    const secret = t.secretAccessKey;
    await writeFile(
      credentials,
      `[mirror]\naws_access_key_id = ${t.accessKeyId}\naws_secret_access_key = ${secret}\n`,
      { mode: 0o600 },
    );
    const cfg = JSON.parse((await import('node:fs')).readFileSync(f.config, 'utf8')) as { s3: Record<string, unknown> };
    cfg.s3.profile = 'mirror';
    await writeJson(f.config, cfg);
    const env = cliEnv({
      S3MIRROR_LOG_LEVEL: 'trace',
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: join(f.root, 'no-config'),
    });
    const shown = await everythingShown(f.config, env);
    expect(shown).toContain('"msg":"running"');
    expect(shown).not.toContain(secret);
  }, 90_000);
});
