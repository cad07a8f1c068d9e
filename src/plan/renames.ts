import { etagKind } from './etag.js';

/** An upload or a pending delete, by the content it carries. */
export interface RenameCandidate {
  id: string;
  size: number;
  md5: string;
  name: string;
}

/**
 * Pair uploads of new content with pending deletes of the same content: a move inside a pair
 * becomes a server-side copy plus a delete instead of a second upload. Pure; greedy, each
 * tombstone used once; among candidates the one with the same file name wins (a folder rename
 * keeps names), then the lexically first, so the outcome is deterministic.
 */
export function matchRenames(
  uploads: readonly RenameCandidate[],
  tombstones: readonly RenameCandidate[],
): Map<string, string> {
  const pool = new Map<string, RenameCandidate[]>();
  for (const t of [...tombstones].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const k = `${t.size}:${t.md5}`;
    const list = pool.get(k);
    if (list) list.push(t);
    else pool.set(k, [t]);
  }
  const out = new Map<string, string>();
  const sorted = [...uploads].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Two rounds: same-name matches first, so the order of uploads cannot steal a name's partner.
  for (const sameName of [true, false]) {
    for (const u of sorted) {
      if (out.has(u.id)) continue;
      const list = pool.get(`${u.size}:${u.md5}`);
      if (!list?.length) continue;
      const i = sameName ? list.findIndex((t) => t.name === u.name) : 0;
      if (i < 0) continue;
      const [t] = list.splice(i, 1);
      out.set(u.id, t!.id);
    }
  }
  return out;
}

/** What the journal knows of a rename source: the content it last confirmed at its key. */
export interface SourceRecord {
  size: number;
  md5: string;
  /** ETag confirmed after our upload (or verified equal), if any. */
  etag: string | null;
}

/** What the latest listing (or HEAD) says is at that key now. */
export interface SourceObject {
  size: number;
  etag: string;
  /** x-amz-meta-md5 when learned by HEAD; null or undefined when not known. */
  metaMd5?: string | null;
}

/**
 * May the object at a rename source's key be copied to the new key? Only while it provably still
 * holds the content we matched on: an object overwritten by another client since our upload
 * must not become the new file's object, so the new file is uploaded from disk instead.
 */
export function sourceHolds(obj: SourceObject | undefined, rec: SourceRecord, opaqueEtags: boolean): boolean {
  if (!obj || obj.size !== rec.size) return false;
  if (rec.etag && obj.etag === rec.etag) return true;
  if (typeof obj.metaMd5 === 'string' && obj.metaMd5 !== '') return obj.metaMd5 === rec.md5;
  return !opaqueEtags && etagKind(obj.etag) === 'md5' && obj.etag === rec.md5;
}

export function baseName(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? rel : rel.slice(i + 1);
}
