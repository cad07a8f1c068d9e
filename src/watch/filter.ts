import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type IgnoreFactory from 'ignore';
import type { Ignore } from 'ignore';

// Required, not imported: Node runs its export lexer over a CommonJS package that ESM imports,
// which costs a short-lived process (sync --once) tens of milliseconds before any work.
const require = createRequire(import.meta.url);
const ignore = require('ignore') as typeof IgnoreFactory;

export const IGNORE_FILE = '.s3mirrorignore';

/**
 * gitignore semantics for a pair: the pair's `exclude` patterns apply from the root, and every
 * `.s3mirrorignore` applies to its own directory and below (as .gitignore does). Ignore files are
 * read lazily and cached; the watcher invalidates a directory's entry when its file changes.
 */
export class Filter {
  /** Null without patterns: `ignores()` costs several microseconds a path even with no rules. */
  private readonly rootRules: Ignore | null;
  private readonly perDir = new Map<string, Ignore | null>();

  constructor(
    private readonly root: string,
    patterns: readonly string[],
  ) {
    this.rootRules = patterns.length ? ignore({ allowRelativePaths: true }).add([...patterns]) : null;
  }

  /** `rel` is '/'-separated and relative to the root; directories are tested with a trailing '/'. */
  excludes(rel: string, isDir = false): boolean {
    const path = isDir ? `${rel}/` : rel;
    if (this.rootRules?.ignores(path)) return true;
    // Each ancestor directory (root included) may carry its own rules for what lies below it.
    let dir = '';
    for (;;) {
      const rules = this.rulesFor(dir);
      if (rules) {
        const sub = dir ? path.slice(dir.length + 1) : path;
        if (sub && rules.ignores(sub)) return true;
      }
      const next = rel.indexOf('/', dir ? dir.length + 1 : 0);
      if (next < 0) return false;
      dir = rel.slice(0, next);
      if (isDir && dir === rel) return false;
    }
  }

  /**
   * Can any rule exclude an entry directly inside `dirRel`? False when there are no root rules and
   * neither the directory nor an ancestor carries an ignore file: a walk then tests the
   * directory once, not each of its entries (excludes() walks the ancestors for every path).
   */
  mayExcludeIn(dirRel: string): boolean {
    if (this.rootRules) return true;
    let dir = '';
    for (;;) {
      if (this.rulesFor(dir)) return true;
      if (dir === dirRel) return false;
      const next = dirRel.indexOf('/', dir ? dir.length + 1 : 0);
      dir = next < 0 ? dirRel : dirRel.slice(0, next);
    }
  }

  invalidate(dirRel: string): void {
    this.perDir.delete(dirRel);
  }

  private rulesFor(dirRel: string): Ignore | null {
    let r = this.perDir.get(dirRel);
    if (r !== undefined) return r;
    const file = join(this.root, dirRel, IGNORE_FILE);
    try {
      // Most directories have none: asking first spares the ENOENT error a failed read builds.
      r = existsSync(file) ? ignore({ allowRelativePaths: true }).add(readFileSync(file, 'utf8')) : null;
    } catch {
      r = null;
    }
    this.perDir.set(dirRel, r);
    return r;
  }
}
