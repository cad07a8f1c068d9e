// A copy of the built CLI that any user can run, wherever this repository lives.
//
// Tests that run the CLI as another user (root drops to "nobody") cannot use dist/cli.js in
// place when a directory above the clone is closed to others (a clone in /root, 0700, or under
// `mktemp -d`): that user cannot reach the script or its node_modules. So such tests run a copy
// under the OS temp dir (where their scratch dirs live too): dist/, package.json and the
// production packages from package-lock.json, hard-linked where the file system allows (fast,
// no bytes copied), copied otherwise. Made once per test process, under the run's own temp dir
// (global-setup.ts), which the run removes at its end: vitest ends its forks without their exit
// handlers running.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

let made: string | undefined;

/** Path of cli.js in a copy readable and traversable by every user. */
export function portableCli(): string {
  if (made) return made;
  const dir = mkdtempSync(join(process.env.S3MIRROR_TEST_RUN_DIR ?? tmpdir(), 's3mirror-cli-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  mirrorTree(join(REPO, 'dist'), join(dir, 'dist'));
  copyFileSync(join(REPO, 'package.json'), join(dir, 'package.json'));
  const modules = realpathSync(join(REPO, 'node_modules'));
  openDir(join(dir, 'node_modules'));
  for (const pkg of productionPackages()) {
    const from = join(modules, pkg);
    if (!existsSync(from)) continue;
    if (pkg.includes('/')) openDir(join(dir, 'node_modules', pkg.slice(0, pkg.indexOf('/'))));
    mirrorTree(from, join(dir, 'node_modules', pkg));
  }
  made = join(dir, 'dist', 'cli.js');
  return made;
}

/** Top-level packages the lock file does not mark dev-only (nested ones come with their parent). */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && path.lastIndexOf('node_modules/') === 0 && !p.dev)
    .map(([path]) => path.slice('node_modules/'.length));
}

/** Recreate a tree: directories readable by all, files hard-linked (or copied), symlinks as they are. */
function mirrorTree(from: string, to: string): void {
  openDir(to);
  for (const name of readdirSync(from)) {
    const a = join(from, name);
    const b = join(to, name);
    const st = lstatSync(a);
    if (st.isDirectory()) mirrorTree(a, b);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(a), b);
    else {
      // A hard link shares the original's mode: a file others cannot read is copied instead.
      if (st.mode & 0o004) {
        try {
          linkSync(a, b);
          continue;
        } catch {
          /* another file system: copied */
        }
      }
      copyFileSync(a, b);
      chmodSync(b, (st.mode | 0o444) & 0o755);
    }
  }
}

/** A directory every user can list and traverse, whatever the umask. */
function openDir(d: string): void {
  mkdirSync(d, { recursive: true });
  chmodSync(d, 0o755);
}
