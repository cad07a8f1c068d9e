import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from './config.js';

/**
 * `s3mirror config check`: the config as the daemon would run it (defaults filled in, paths
 * resolved) and what would trouble it on this machine. Nothing here is secret by design (keys
 * come from the environment or a profile), but an endpoint URL can carry a user and password:
 * those are masked, as everywhere the config is shown.
 */
export interface ConfigReport {
  config: Record<string, unknown>;
  /** Things the daemon would meet at its start on this machine: not errors of the file. */
  warnings: string[];
}

/** `http://user:pass@host` → `http://****:****@host`; anything that is not a URL as it is. */
export function maskEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    if (!u.username && !u.password) return endpoint;
    if (u.username) u.username = '****';
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return endpoint;
  }
}

function problemWith(path: string, want: 'directory' | 'writable parent'): string | null {
  try {
    if (want === 'directory') {
      if (!statSync(path).isDirectory()) return 'is not a directory';
      accessSync(path, constants.R_OK | constants.X_OK);
      return null;
    }
    accessSync(path, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be used (${code ?? (e as Error).message})`;
  }
}

export function checkConfig(cfg: Config): ConfigReport {
  const { source: _source, ...rest } = cfg;
  const config: Record<string, unknown> = {
    ...rest,
    s3: { ...cfg.s3, ...(cfg.s3.endpoint ? { endpoint: maskEndpoint(cfg.s3.endpoint) } : {}) },
  };
  const warnings: string[] = [];
  cfg.pairs.forEach((p, i) => {
    const why = problemWith(p.path, 'directory');
    if (why) warnings.push(`pairs[${i}].path: ${p.path} ${why}; the daemon waits for it and says so in status`);
  });
  const stateWhy = problemWith(cfg.stateDir, 'writable parent');
  if (stateWhy === 'does not exist') {
    const parentWhy = problemWith(dirname(cfg.stateDir), 'writable parent');
    if (parentWhy) warnings.push(`stateDir: ${cfg.stateDir} does not exist and its parent ${parentWhy}`);
  } else if (stateWhy) warnings.push(`stateDir: ${cfg.stateDir} ${stateWhy}`);
  return { config, warnings };
}
