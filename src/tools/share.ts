import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Config, PairConfig } from '../config.js';
import { MirrorError } from '../errors.js';
import { digestFile } from '../local/digest.js';
import { treePath } from '../local/safe-open.js';
import { partSizeFor } from '../plan/etag.js';
import { parseExpires } from '../plan/expires.js';
import { objectIdentity, sameContent } from '../plan/identity.js';
import { keyFor } from '../plan/keys.js';
import { JOURNAL_FILE, Journal } from '../store/journal.js';
import { Filter } from '../watch/filter.js';

export type ShareResult = { ok: true; url: string } | { ok: false; pending: string };

/** The pair whose tree holds `abs`, and the file's path in it ('/'-separated). */
function locate(cfg: Config, abs: string): { pair: PairConfig; rel: string } {
  for (const pair of cfg.pairs) {
    const rel = relative(pair.path, abs);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
    return { pair, rel: rel.split(sep).join('/') };
  }
  throw new MirrorError('USAGE', `${abs} is not inside any pair's path`, {
    hint: `pairs: ${cfg.pairs.map((p) => `${p.name} (${p.path})`).join(', ')}`,
  });
}

function excluded(pair: PairConfig, rel: string): boolean {
  const filter = new Filter(pair.path, pair.exclude);
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) if (filter.excludes(parts.slice(0, i).join('/'), true)) return true;
  return filter.excludes(rel);
}

/** What the journal knows of the file, read-only (a running daemon keeps its lock). */
function recorded(cfg: Config, pair: PairConfig, rel: string): { key?: string; partSize?: number } {
  if (!existsSync(join(cfg.stateDir, JOURNAL_FILE))) return {};
  const j = Journal.open(cfg.stateDir, { readonly: true });
  try {
    const row = j.getFile(pair.name, rel);
    return { ...(row?.key ? { key: row.key } : {}), ...(row?.part_size ? { partSize: row.part_size } : {}) };
  } finally {
    j.close();
  }
}

/**
 * A presigned GET URL for the object a local file is mirrored to, made only when the object holds
 * the file's content now (checked against the file itself, not the journal's word for it).
 */
export async function share(cfg: Config, path: string, expires: string): Promise<ShareResult> {
  const e = parseExpires(expires);
  if (!e.ok) throw new MirrorError('USAGE', e.error);
  const { pair, rel } = locate(cfg, resolve(path));
  if (excluded(pair, rel))
    return { ok: false, pending: `${rel} is excluded from pair ${pair.name}: it is not mirrored` };
  const rec = recorded(cfg, pair, rel);
  const key = rec.key ?? keyFor(pair.prefix, rel);
  const { standaloneBucket } = await import('../s3/standalone.js');
  const client = standaloneBucket(cfg.s3, pair.bucket);
  try {
    const head = await client.bucket.head(key);
    if (!head) return { ok: false, pending: `${rel} is not in the bucket yet (${pair.bucket}/${key})` };
    const identity = objectIdentity(
      {
        etag: head.etag,
        size: head.size,
        metaMd5: head.metaMd5,
        metaPartSize: head.metadata['part-size'] ?? null,
      },
      [...(rec.partSize ? [rec.partSize] : []), partSizeFor(head.size, cfg.multipart.partSizeBytes)],
    );
    const local = await digestFile(
      treePath(pair.path, rel, pair.followSymlinks),
      identity.by === 'multipart' ? identity.partSize : undefined,
    );
    const verdict = sameContent(identity, head, local);
    if (!verdict.same) return { ok: false, pending: `${rel} does not match its object yet: ${verdict.reason}` };
    return { ok: true, url: await client.presignGet(key, e.seconds) };
  } finally {
    client.close();
  }
}
