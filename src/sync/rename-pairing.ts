// src/sync/: the journal's side of renames. The rules are in src/plan/renames.ts and
// src/plan/rename-wait.ts; this gathers their facts and records their answers.
import type { PairConfig } from '../config.js';
import { contentRecorded } from '../plan/moves.js';
import { awaitRenamePartner } from '../plan/rename-wait.js';
import type { Hashed } from '../local/hasher.js';
import { partsId } from '../plan/identity.js';
import { baseName, matchRenames, sourceHolds } from '../plan/renames.js';
import type { ContentKey, FileRow } from '../store/types.js';
import type { EngineDeps } from './deps.js';
import type { Examined } from './examine.js';

type Deps = Pick<EngineDeps, 'journal' | 'transfers' | 'cfg' | 'mode' | 'now'>;

/** A hashed file's content as a rename source's row may record it. */
function contentKey(h: Hashed): ContentKey {
  const multipart = h.partSize > 0 && h.localEtag !== '';
  return {
    md5: h.md5 === '' ? null : h.md5,
    partSize: multipart ? h.partSize : null,
    localEtag: multipart ? h.localEtag : null,
  };
}

/** New content with the size and MD5 (or multipart ETag) of a pending delete: perhaps the far end of a move. */
export function mayBeMoved(d: Deps, pair: PairConfig, e: Examined): boolean {
  if (e.decision.op !== 'upload' || e.remote || !e.hashed) return false;
  return d.journal.query.hasPendingTombstone(pair.name, e.hashed.stat.size, contentKey(e.hashed));
}

/**
 * The rename source each of `uploads` is copied from, by the upload's path: deletes decided in
 * this batch and pending tombstones of the same content, whose objects still hold it.
 */
export function pairRenames(
  d: Deps,
  pair: PairConfig,
  uploads: readonly Examined[],
  examined: readonly Examined[],
): Map<string, FileRow> {
  if (!uploads.length) return new Map();
  const sources = new Map<string, FileRow>();
  for (const e of examined) {
    if ((e.decision.op === 'delete' || e.decision.op === 'trash') && e.row.size !== null && contentRecorded(e.row))
      sources.set(e.row.rel, e.row);
  }
  for (const u of uploads) {
    for (const t of d.journal.query.pendingTombstones(pair.name, u.hashed!.stat.size, contentKey(u.hashed!)))
      sources.set(t.rel, t);
  }
  // A source is only usable while its object still holds the content we matched on.
  const opaque = d.transfers.encryption.trust(pair) === 'opaque';
  for (const [rel, t] of sources) {
    const obj = d.journal.remote.get(pair.name, t.key);
    const view = obj && { size: obj.size, etag: obj.etag, metaMd5: obj.meta_md5 };
    if (!sourceHolds(view, { size: t.size!, md5: t.md5 || null, etag: t.etag }, opaque)) sources.delete(rel);
  }
  const m = matchRenames(
    uploads.map((u) => {
      const k = contentKey(u.hashed!);
      const parts = partsId(k.partSize, k.localEtag);
      return { id: u.row.rel, size: u.hashed!.stat.size, md5: k.md5, parts, name: baseName(u.row.rel) };
    }),
    [...sources.values()].map((t) => ({
      id: t.rel,
      size: t.size!,
      md5: t.md5 || null,
      parts: partsId(t.part_size, t.local_etag),
      name: baseName(t.rel),
    })),
  );
  return new Map([...m].map(([to, from]) => [to, sources.get(from)!]));
}

/** Postpones a delete that may be half of a rename (awaitRenamePartner); true if it waits. */
export function waitsForRenamePartner(d: Deps, pair: PairConfig, row: FileRow): boolean {
  const v = awaitRenamePartner({
    mode: d.mode,
    now: d.now(),
    dirtySince: row.dirty_since,
    size: row.size,
    debounceMs: d.cfg.debounceMs,
    maxDelayMs: d.cfg.maxDelayMs,
    newFileOfSizePending: (size) => d.journal.query.hasPendingNewFileOfSize(pair.name, size),
  });
  if (v.action === 'wait') d.journal.postpone(pair.name, row.rel, v.until);
  return v.action === 'wait';
}
