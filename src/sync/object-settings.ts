import { createRequire } from 'node:module';
import type { ObjectSettings } from '../bucket.js';
import type { PairConfig } from '../config.js';
import type { Hashed } from '../local/hasher.js';
import { md5Hex } from '../plan/etag.js';
import { type EtagsAre, writesMd5 } from '../plan/one-pass.js';

const require = createRequire(import.meta.url);

/** Content types by extension, loaded at the first upload: a pass with nothing to send never needs them (~8 ms of start-up). */
let mime: typeof import('mime-types') | undefined;
function contentType(key: string): string {
  mime ??= require('mime-types') as typeof import('mime-types');
  return mime.lookup(key) || 'application/octet-stream';
}

/**
 * A file's own headers and metadata (its extension's Content-Type, mtime and mode) with the pair's
 * options. `part-size` on a multipart object: with the part MD5s it reproduces the object's ETag,
 * which proves identity without the journal. `md5` only where no ETag can (writesMd5).
 */
export function settingsFor(
  pair: PairConfig,
  key: string,
  h: Pick<Hashed, 'md5' | 'stat' | 'mode'>,
  o: { partSize: number; etags: EtagsAre },
): ObjectSettings {
  const md5 = writesMd5({ multipart: o.partSize > 0, sse: !!pair.sse, etags: o.etags });
  return {
    contentType: contentType(key),
    metadata: {
      ...(md5 ? { md5: h.md5 } : {}),
      mtime: h.stat.mtimeNs,
      mode: (h.mode & 0o7777).toString(8),
      ...(o.partSize > 0 ? { 'part-size': String(o.partSize) } : {}),
    },
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
