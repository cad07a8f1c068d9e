import { readFileSync } from 'node:fs';

/**
 * The version in package.json, read at run time so it is the installed one. This file sits at the
 * top of src/, and the build puts every module of dist/ at its top too (scripts/build.mjs), so the
 * same relative path finds the package from either.
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
