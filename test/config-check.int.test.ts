import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskEndpoint } from '../src/config-check.js';
import { assertBuilt, runCli } from './support/cli.js';

// `s3mirror config check`: the config as it would run, every problem, and no secret.
let dir: string;
beforeAll(() => assertBuilt());
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configFile(cfg: unknown): string {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-check-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

describe('s3mirror config check', () => {
  it('a valid config: the resolved config with every default, the endpoint password masked, exit 0', async () => {
    const file = configFile({
      stateDir: 'state',
      s3: { endpoint: 'http://admin:hunter2-secret@127.0.0.1:9000' },
      pairs: [{ name: 'docs', path: 'docs', bucket: 'backups' }],
    });
    mkdirSync(join(dir, 'docs'));
    const r = await runCli(['config', 'check', '--config', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      config: { concurrency: number; s3: { endpoint: string }; pairs: { path: string; trashPrefix: string }[] };
      warnings: string[];
    };
    expect(out.ok).toBe(true);
    expect(out.config.concurrency).toBe(16);
    expect(out.config.s3.endpoint).toBe('http://****:****@127.0.0.1:9000/');
    expect(out.config.pairs[0]!.path).toBe(join(dir, 'docs'));
    expect(out.config.pairs[0]!.trashPrefix).toBe('.s3mirror-trash/');
    expect(out.warnings).toEqual([]);
  });

  it('a missing pair folder is a warning, not an error', async () => {
    const file = configFile({ stateDir: 'state', pairs: [{ name: 'docs', path: 'nowhere', bucket: 'backups' }] });
    const r = await runCli(['config', 'check', '--config', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`warning: pairs[0].path: ${join(dir, 'nowhere')} does not exist`);
    expect(r.stdout).toContain('valid, 1 warning(s)');
  });

  it('an invalid config: every problem, one per line, exit 2', async () => {
    const file = configFile({
      stateDir: 'state',
      concurrency: 0,
      watcher: 'inotify',
      pairs: [
        { name: 'a', path: 'x', bucket: 'backups' },
        { name: 'a', path: 'x/y', bucket: 'Bad_Bucket' },
      ],
    });
    const r = await runCli(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('concurrency: must be an integer 1..512, got 0');
    expect(r.stderr).toContain('watcher: must be one of');
    expect(r.stderr).toContain('pairs[1].bucket: must be a valid S3 bucket name');
    const json = await runCli(['config', 'check', '--config', file, '--json']);
    expect(json.code).toBe(2);
    const out = JSON.parse(json.stdout) as { ok: boolean; problems: string[] };
    expect(out.ok).toBe(false);
    expect(out.problems.length).toBeGreaterThanOrEqual(3);
  });
});

describe('maskEndpoint', () => {
  it.each([
    ['http://127.0.0.1:9000', 'http://127.0.0.1:9000'],
    ['https://key:secret@s3.example.com', 'https://****:****@s3.example.com/'],
    ['https://key@s3.example.com', 'https://****@s3.example.com/'],
  ])('%s → %s', (input, masked) => expect(maskEndpoint(input)).toBe(masked));
});
