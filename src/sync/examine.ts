import { statSync, type BigIntStats } from 'node:fs';
import type { PairConfig } from '../config.js';
import { MirrorError, fromFsError } from '../errors.js';
import { absOf, lstatInTree, treePath, type TreePath } from '../local/safe-open.js';
import { metaPartSize } from '../plan/etag.js';
import { isKeyOnly, keyBytes, pathOfRel } from '../plan/keys.js';
import { plan, type Decision, type JournalView, type LocalView, type RemoteView } from '../plan/planner.js';
import type { Bucket } from '../bucket.js';
import type { Journal } from '../store/journal.js';
import type { FileRow, RemoteRow } from '../store/types.js';
import type { Filter } from '../watch/filter.js';
import { kindOf, toLocalStat } from '../local/stat.js';
import type { ByteBudget } from '../local/budget.js';
import type { BucketEncryption } from './encryption.js';
import type { HashCache } from './hash-cache.js';
import { readAndHash, type Hashed } from '../local/hasher.js';
import { hashForResume } from './resume-read.js';
import { hashWhileSent } from './hash-timing.js';
import { racyStat } from '../plan/racy.js';

/** One row, examined: what the disk and the bucket say, and the planner's decision. */
export interface Examined {
  row: FileRow;
  abs: string;
  local: LocalView | null;
  remote: RemoteView | null;
  hashed?: Hashed;
  decision: Decision;
}

function journalView(r: FileRow): JournalView {
  return {
    size: r.size,
    mtimeNs: r.mtime_ns,
    ctimeNs: r.ctime_ns,
    ino: r.ino,
    md5: r.md5 || null,
    partSize: r.part_size,
    localEtag: r.local_etag,
    etag: r.etag,
    remoteSize: r.remote_size,
  };
}

function remoteView(r: RemoteRow | undefined): RemoteView | null {
  if (!r) return null;
  return {
    etag: r.etag,
    size: r.size,
    ...(r.meta_md5 === null ? {} : { metaMd5: r.meta_md5 === '' ? null : r.meta_md5 }),
  };
}

/**
 * What the planner learns of a file from its hash. `lookedAt`: when examining began, before any
 * read, for whether the stat can vouch for the hash later (plan/racy.ts).
 */
function seen(local: LocalView, h: Hashed, lookedAt: number): void {
  h.racy ??= racyStat(h.stat.mtimeNs, lookedAt);
  local.stat = h.stat;
  local.md5 = h.md5;
  local.localEtag = h.localEtag || undefined;
  if (h.localEtag) local.partSize = h.partSize;
}

/** A path under a directory that is a symlink now (and not followed) is gone from the tree. */
export function statLocal(p: TreePath): LocalView | null {
  const abs = absOf(p);
  let st: BigIntStats | null;
  try {
    st = lstatInTree(p);
  } catch (e) {
    throw fromFsError(e, abs);
  }
  if (!st) return null;
  let kind = kindOf(st);
  if (kind === 'symlink' && p.follow) {
    try {
      st = statSync(abs, { bigint: true });
      kind = kindOf(st);
    } catch {
      kind = 'symlink';
    }
  }
  // A directory where a file was: the file is gone; the directory's files have rows of their own.
  if (kind === 'dir') return null;
  return { kind, stat: toLocalStat(st) };
}

export interface ExamineContext {
  pair: PairConfig;
  journal: Journal;
  bucket: Bucket;
  filter: Filter;
  /** Whether the pair's ETags are MD5s (learned from HEADs here, too). */
  encryption: BucketEncryption;
  thresholdBytes: number;
  partSizeBytes: number;
  /** The byte budget a body of this size is kept in for its upload (its lane's, in the pair). */
  budgetFor: (bytes: number) => ByteBudget;
  /** The last hash of each file, while its stat holds: a retry does not hash it again. */
  hashes?: HashCache;
  /** No transfer queued or running (see readAndHash). */
  linkIdle?: () => boolean;
  now: () => number;
  /**
   * The remote rows and key holders of the whole batch, read in two statements when it was taken
   * instead of two per file. A holder other than the row itself is looked up again before it
   * counts as a collision, so the verdict is the one of the moment.
   */
  batch?: { remote: ReadonlyMap<string, RemoteRow>; holders: ReadonlyMap<string, Pick<FileRow, 'rel' | 'state'>> };
}

function etagTrust(t: ReturnType<BucketEncryption['trust']>): { opaqueEtags: boolean; etagsUnknown: boolean } {
  return { opaqueEtags: t === 'opaque', etagsUnknown: t === 'unknown' };
}

/**
 * Gather facts and ask the planner until it names an action: a stat, then a read-and-hash if the
 * stat changed, then a HEAD if the ETag cannot be compared. Local facts are read fresh here, so
 * the decision reflects the file as it is, not as the event described it.
 */
export async function examine(row: FileRow, c: ExamineContext): Promise<Examined> {
  const where = treePath(c.pair.path, row.rel, c.pair.followSymlinks);
  const abs = absOf(where);
  const lookedAt = c.now();
  // Always looked at, whatever the row says: a row created from a listing is a hint, and a file
  // that appears at its path is an ordinary file, never a delete. An object no file
  // can map to (a key-only row) has no path to look at: the file at its raw path (an NFD name)
  // has a key of its own.
  const local = isKeyOnly(row.rel) ? null : statLocal(where);
  let remote = remoteView(c.batch ? c.batch.remote.get(row.key) : c.journal.remote.get(c.pair.name, row.key));
  const opts = {
    deleteMode: c.pair.delete,
    excluded: c.filter.excludes(pathOfRel(row.rel)),
    deleteExcluded: c.pair.deleteExcluded,
    ...etagTrust(c.encryption.trust(c.pair)),
    keyBytes: keyBytes(row.key),
  };
  if (local?.kind === 'file' && !opts.excluded) {
    let holder = c.batch ? c.batch.holders.get(row.key) : c.journal.query.fileByKey(c.pair.name, row.key);
    if (c.batch && holder && holder.rel !== row.rel) holder = c.journal.query.fileByKey(c.pair.name, row.key);
    if (holder && holder.rel !== row.rel && holder.state !== 'skipped') {
      throw new MirrorError(
        'KEY_COLLISION',
        `${row.rel} and ${holder.rel} map to the same key ${row.key} (NFC); the first one is mirrored`,
        {
          hint: 'rename one of them',
        },
      );
    }
  }
  if (!local) {
    // The key is another file's now (the loser of a key collision took it over): its object is
    // that file's to replace, never this tombstone's to delete.
    const holder = c.journal.query.fileByKey(c.pair.name, row.key);
    if (holder && holder.rel !== row.rel && holder.state !== 'skipped')
      return { row, abs, local, remote, decision: { op: 'forget', reason: `${holder.rel} maps to the same key` } };
  }
  const jv = row.md5 === null && row.etag === null ? null : journalView(row);
  let hashed: Hashed | undefined;
  try {
    const parts = { thresholdBytes: c.thresholdBytes, partSizeBytes: c.partSizeBytes };
    const hashFully = async (l: LocalView): Promise<Hashed> => {
      const h = await readAndHash(where, parts, l.stat.size, c.budgetFor(l.stat.size), c.linkIdle);
      h.racy = racyStat(h.stat.mtimeNs, lookedAt);
      // A retry may take a hash from the cache by its stat alone: only one the stat vouches for.
      if (!h.racy) c.hashes?.put(c.pair.name, row.rel, h);
      return h;
    };
    for (let step = 0; step < 6; step++) {
      const decision = plan(local, jv, remote, opts);
      // Only an upload continues a recorded one: any other decision needs the whole file's hash. So
      // does a HEAD when the record has no MD5 (hashed as it was sent): x-amz-meta-md5 cannot match;
      // and so does an upload over an object of the file's size, which only an MD5 can tell apart.
      const blind = !hashed?.md5 && !!remote && !!local && remote.size === local.stat.size;
      const whole = hashed?.deferred && (decision.op === 'upload' ? blind : decision.op !== 'head' || !hashed.md5);
      if ((decision.op === 'hash' && local && !hashed) || (whole && local)) {
        hashed = whole ? undefined : c.hashes?.get(c.pair.name, row.rel, local.stat);
        if (!hashed && !whole && local.stat.size >= c.thresholdBytes)
          hashed = await hashForResume({ ...c, where, rel: row.rel, key: row.key, parts });
        if (!hashed && !whole) {
          const size = local.stat.size;
          const later = await hashWhileSent({ ...c, row, where, size, remoteSize: remote?.size ?? null, parts });
          // Only while the planner uploads whatever the MD5 (no object of this size to compare with).
          const d = later && plan({ ...local, stat: later.hashed.stat, md5: '' }, jv, remote, opts);
          if (later && d?.op === 'upload') {
            local.stat = later.hashed.stat;
            later.hashed.racy = racyStat(later.hashed.stat.mtimeNs, lookedAt);
            const decision = { op: 'upload' as const, reason: `${d.reason}; hashed as it is sent: ${later.reason}` };
            return { row, abs, local, remote, hashed: later.hashed, decision };
          }
        }
        hashed ??= await hashFully(local);
        seen(local, hashed, lookedAt);
        continue;
      }
      if (decision.op === 'hash' && decision.partSize && local && hashed) {
        // In the object's own part size (x-amz-meta-part-size), so its ETag can be reproduced.
        const again = { thresholdBytes: 0, partSizeBytes: decision.partSize };
        const h = await readAndHash(where, again, local.stat.size, c.budgetFor(local.stat.size), c.linkIdle);
        hashed.release?.();
        hashed = h;
        seen(local, hashed, lookedAt);
        continue;
      }
      if (decision.op === 'head' && remote && remote.metaMd5 === undefined) {
        const h = await c.bucket.head(row.key);
        if (h) {
          c.encryption.read(c.pair, h);
          Object.assign(opts, etagTrust(c.encryption.trust(c.pair)));
        }
        if (!h) {
          c.journal.remote.drop(c.pair.name, row.key);
          remote = null;
        } else {
          c.journal.remote.put({
            pair: c.pair.name,
            key: row.key,
            size: h.size,
            etag: h.etag,
            metaMd5: h.metaMd5 ?? '',
            now: c.now(),
          });
          const partSize = metaPartSize(h.metadata['part-size']);
          remote = { etag: h.etag, size: h.size, metaMd5: h.metaMd5, ...(partSize ? { partSize } : {}) };
        }
        continue;
      }
      return { row, abs, local, remote, ...(hashed ? { hashed } : {}), decision };
    }
    throw new Error(`planner did not settle for ${row.rel}`);
  } catch (e) {
    // Whatever examining held for the upload is given back when there will be none.
    hashed?.release?.();
    throw e;
  }
}
