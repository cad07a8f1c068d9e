import { etagKind } from './etag.js';

/** An upload or a pending delete, by the content it carries. */
export interface RenameCandidate {
  id: string;
  size: number;
  /** The whole-file MD5; null where only the multipart ETag is known (plan/one-pass.ts). */
  md5: string | null;
  /** `partSize:multipartEtag` for content hashed in parts; equal ones prove equal content. */
  parts?: string | null;
  name: string;
}

/** The keys content is known by: a pair shares one. */
function keysOf(c: RenameCandidate): string[] {
  const keys: string[] = [];
  if (c.md5) keys.push(`md5:${c.size}:${c.md5}`);
  if (c.parts) keys.push(`parts:${c.size}:${c.parts}`);
  return keys;
}

/**
 * Pair uploads of new content with pending deletes of the same content: a move inside a pair
 * becomes a server-side copy plus a delete instead of a second upload. Pure; greedy, each
 * tombstone used once; among candidates the one with the same file name wins (a folder rename
 * keeps names), then the lexically first, so the outcome is deterministic. Content matches by
 * its MD5 or by its multipart ETag in the same part size.
 */
export function matchRenames(
  uploads: readonly RenameCandidate[],
  tombstones: readonly RenameCandidate[],
): Map<string, string> {
  const pool = new Map<string, RenameCandidate[]>();
  for (const t of [...tombstones].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    for (const k of keysOf(t)) {
      const list = pool.get(k);
      if (list) list.push(t);
      else pool.set(k, [t]);
    }
  }
  const used = new Set<RenameCandidate>();
  const out = new Map<string, string>();
  const sorted = [...uploads].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Two rounds: same-name matches first, so the order of uploads cannot steal a name's partner.
  for (const sameName of [true, false]) {
    for (const u of sorted) {
      if (out.has(u.id)) continue;
      for (const k of keysOf(u)) {
        const t = pool.get(k)?.find((t) => !used.has(t) && (!sameName || t.name === u.name));
        if (!t) continue;
        used.add(t);
        out.set(u.id, t.id);
        break;
      }
    }
  }
  return out;
}

/** What the journal knows of a rename source: the content it last confirmed at its key. */
export interface SourceRecord {
  size: number;
  md5: string | null;
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
  if (rec.md5 === null) return false;
  if (typeof obj.metaMd5 === 'string' && obj.metaMd5 !== '') return obj.metaMd5 === rec.md5;
  return !opaqueEtags && etagKind(obj.etag) === 'md5' && obj.etag === rec.md5;
}

export function baseName(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? rel : rel.slice(i + 1);
}
