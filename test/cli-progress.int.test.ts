import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnv, runCli } from './support/cli.js';
import { cliSuiteHooks, describeRun, fixture, put } from './support/cli-fixture.js';

// `sync --once` shows progress on stderr: a bar on a terminal, plain lines otherwise, nothing
// with --json (stdout stays the summary alone).
cliSuiteHooks();

async function treeOf(n: number): Promise<Awaited<ReturnType<typeof fixture>>> {
  const f = await fixture();
  for (let i = 0; i < n; i++) await put(f.data, `d${i % 10}/f${i}.txt`, `file ${i}\n`);
  return f;
}

describe('sync --once progress', () => {
  it('not a terminal: plain progress lines on stderr, ending at every file', async () => {
    const f = await treeOf(300);
    const r = await runCli(['sync', '--once', '--config', f.config], { env: cliEnv({ S3MIRROR_PROGRESS_MS: '20' }) });
    expect(r.code, describeRun('sync --once', r)).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(lines.length, r.stderr).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/^progress: 300\/300 files, [\d.]+ KiB sent, \d+ files\/s, .* ETA 0 s$/);
    expect(r.stdout).toContain('main: 300 uploaded');
    expect(r.stdout).not.toContain('progress');
  });

  it('--json: no progress anywhere, stdout is the JSON summary alone', async () => {
    const f = await treeOf(100);
    const r = await runCli(['sync', '--once', '--config', f.config, '--json'], {
      env: cliEnv({ S3MIRROR_PROGRESS_MS: '20' }),
    });
    expect(r.code, describeRun('sync --once --json', r)).toBe(0);
    expect(r.stderr).not.toContain('progress');
    expect((JSON.parse(r.stdout) as { stats: { main: { uploaded: number } } }).stats.main.uploaded).toBe(100);
  });

  it('a terminal: a bar drawn in place on stderr', async () => {
    const f = await treeOf(300);
    // `script` gives the command a pseudo-terminal, as an operator's shell would.
    const cmd = `${process.execPath} ${CLI_PATH} sync --once --config ${f.config}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: cliEnv(), encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/[█░]+ \d+\/300 files \| .* sent \| .*\/s \| ETA /);
    expect(r.stdout).toContain('\r');
    expect(r.stdout).toContain('main: 300 uploaded');
  });
});
