import { createRequire } from 'node:module';
import type { ObjectSettings } from '../bucket.js';
import type { PairConfig } from '../config.js';
import type { Hashed } from '../local/hasher.js';
import { md5Hex } from '../plan/etag.js';

/** Content types by extension, loaded at the first upload: a pass with nothing to send never needs them (~8 ms of start-up). */
let mime: typeof import('mime-types') | undefined;
function contentType(key: string): string {
  mime ??= createRequire(import.meta.url)('mime-types') as typeof import('mime-types');
  return mime.lookup(key) || 'application/octet-stream';
}

/** A file's own headers and metadata (its extension's Content-Type, MD5, mtime and mode) with the pair's options. */
export function settingsFor(pair: PairConfig, key: string, h: Pick<Hashed, 'md5' | 'stat' | 'mode'>): ObjectSettings {
  return {
    contentType: contentType(key),
    metadata: { md5: h.md5, mtime: h.stat.mtimeNs, mode: (h.mode & 0o7777).toString(8) },
    ...objectOptions(pair),
    ...(pair.cacheControl ? { cacheControl: pair.cacheControl } : {}),
  };
}

export function objectOptions(pair: PairConfig): Pick<ObjectSettings, 'storageClass' | 'sse' | 'kmsKeyId'> {
  return {
    ...(pair.storageClass ? { storageClass: pair.storageClass } : {}),
    ...(pair.sse ? { sse: pair.sse } : {}),
    ...(pair.kmsKeyId ? { kmsKeyId: pair.kmsKeyId } : {}),
  };
}

/**
 * The headers an upload is created with, as one digest (keys sorted, so equal settings give equal
 * fingerprints): a recorded upload is resumed only with the headers a new one would get.
 */
export function settingsFingerprint(s: ObjectSettings): string {
  const sorted = (o: object): [string, unknown][] =>
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, v !== null && typeof v === 'object' ? sorted(v) : v]);
  return md5Hex(Buffer.from(JSON.stringify(sorted(s))));
}
