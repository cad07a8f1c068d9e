// Builds dist/: src/cli.ts bundled by esbuild into one ESM file, with a chunk per module set that a
// command loads on demand (`await import(...)` stays lazy: `status` still loads neither the SDK nor a
// watcher). Run after `tsc` has type-checked (esbuild only strips types).
//
// Why a bundle: a no-op `sync --once` is mostly process start-up, and Node resolves, reads and
// compiles each ES module on its own (about 100 of ours and 95 of zod's); one file per entry costs a
// fraction of that CPU. The pure-ESM packages in BUNDLED go in with our code; every other package
// stays an import or `require` of node_modules at run time: native addons (better-sqlite3,
// @parcel/watcher), the AWS SDK (large, and it loads its credential providers by name), and the
// CommonJS packages, which src/ loads through createRequire, a call esbuild leaves alone.
//
// dist/config.js is a second entry, for scripts/config-schema.mjs, and dist/march-worker.js a
// third, for the worker threads a large pass is split between (src/sync/march-parts.ts finds it
// beside itself). Chunks sit beside the entries in dist/, so a module's
// `new URL('../package.json', import.meta.url)` (src/version.ts) finds the package from src/ and
// from any file of dist/ alike.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLED = new Set(['zod', 'p-queue', 'eventemitter3', 'p-timeout']);

/** The package a bare import names (`@scope/name` or `name`), or null for a relative path. */
function packageOf(spec) {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const pkg = packageOf(args.path);
      return pkg && BUNDLED.has(pkg) ? undefined : { path: args.path, external: true };
    });
  },
};

const outdir = join(REPO, 'dist');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: REPO,
  entryPoints: { cli: 'src/cli.ts', config: 'src/config.ts', 'march-worker': 'src/sync/march-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  chunkNames: 'chunk-[hash]',
  plugins: [externals],
  logLevel: 'warning',
});
if (!readdirSync(outdir).includes('cli.js')) throw new Error('build: dist/cli.js was not written');
