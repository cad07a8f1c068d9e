// A no-op `sync --once` is mostly process start-up (issue 10: ≤ 0.5 s on W1 as a whole process),
// and most of start-up was Node resolving, reading and compiling modules one by one. The build
// bundles dist/ (scripts/build.mjs); this counts what a trusted no-op loads, so that a new static
// import of a heavy package, or a build that stops bundling, shows up as a count.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './support/cli.js';
import { cliSuiteHooks, fixture, put } from './support/cli-fixture.js';

/**
 * Preloaded into the CLI: every ES module it loads (a load hook) and, at exit, every CommonJS
 * file in the require cache, one URL or path a line, into the file named by the probe's own URL.
 */
function probe(dir: string): { url: string; read: () => { esm: string[]; cjs: string[] } } {
  const out = join(dir, 'loaded.txt');
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(out)}, 'esm ' + url + '\\n');
  return next(url, context);
}`;
  const main = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));
const cache = createRequire(import.meta.url)('node:module')._cache;
process.on('exit', () => appendFileSync(${JSON.stringify(out)}, Object.keys(cache).map((k) => 'cjs ' + k + '\\n').join('')));
`;
  const file = join(dir, 'probe.mjs');
  writeFileSync(file, main);
  writeFileSync(out, '');
  return {
    url: pathToFileURL(file).href,
    read: () => {
      const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
      const of = (kind: string) => lines.filter((l) => l.startsWith(`${kind} `)).map((l) => l.slice(kind.length + 1));
      return { esm: of('esm').filter((u) => !u.startsWith('node:')), cjs: of('cjs') };
    },
  };
}

/** The package a module path lies in, by its last node_modules/ segment; null for our own files. */
function packageOf(path: string): string | null {
  const i = path.lastIndexOf('node_modules/');
  if (i < 0) return null;
  const parts = path.slice(i + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe('what a trusted no-op sync --once loads', () => {
  cliSuiteHooks();

  it('a few bundled files of its own, no ES module of a package, and only the CommonJS it uses', async () => {
    const f = await fixture();
    for (let i = 0; i < 20; i++) await put(f.data, `d${i % 2}/f${i}.txt`, `file ${i}`);
    const sync = (extra: Record<string, string> = {}): Promise<CliResult> =>
      runCli(['sync', '--once', '--json', '--config', f.config], { env: extra });
    const first = await sync();
    expect(first.code, first.stderr.slice(-2000)).toBe(0);

    const p = probe(f.root);
    const r = await sync({ NODE_OPTIONS: `--import=${p.url}` });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const summary = JSON.parse(r.stdout) as { requests: Record<string, number> };
    expect(summary.requests).toEqual({});
    const { esm, cjs } = p.read();

    const ours = esm.filter((u) => packageOf(u) === null && !u.endsWith('/probe.mjs'));
    // 24 at the time of writing (the entry and the chunks it and sync/once.js need): an
    // unbundled dist/ loads about 100, and zod alone 95 more.
    expect(ours.length, ours.join('\n')).toBeLessThanOrEqual(35);
    expect(
      ours.every((u) => u.includes('/dist/')),
      ours.join('\n'),
    ).toBe(true);
    expect(esm.map(packageOf).filter((x) => x !== null)).toEqual([]);
    // The CommonJS a no-op needs: the journal's SQLite (with its binding loader), the command
    // line, and the .gitignore filter. Not the SDK, a watcher, pino or prom-client.
    const packages = new Set(cjs.map(packageOf).filter((x) => x !== null));
    expect([...packages].sort()).toEqual(['better-sqlite3', 'bindings', 'commander', 'file-uri-to-path', 'ignore']);
  });
});
