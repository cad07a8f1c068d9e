// src/plan/: the pure decisions (what to do with a path, when to retry, whether to hold deletes), no I/O.
import type { LocalStat, SyncedContent } from '../model.js';
import { etagKind, etagParts, partCount } from './etag.js';
import { sameAsRecorded } from './identity.js';
import { MAX_KEY_BYTES } from './keys.js';

/** What the disk says of the path (null: nothing there). */
export interface LocalView {
  kind: 'file' | 'symlink' | 'special';
  stat: LocalStat;
  /** Whole-file MD5, once hashed. */
  md5?: string;
  /** The ETag our upload would produce (MD5 for a single PUT, `…-N` for multipart). */
  localEtag?: string;
  /** The part size `localEtag` was computed with (0: a single PUT), once hashed. */
  partSize?: number;
}

export interface JournalView {
  size: number | null;
  mtimeNs: string | null;
  ctimeNs: string | null;
  ino: string | null;
  /** null: not hashed whole (a multipart file sent as it was read: plan/one-pass.ts). */
  md5: string | null;
  /** The part size and multipart ETag the content was recorded with (0 and its MD5: one PUT). */
  partSize?: number | null;
  localEtag?: string | null;
  /** ETag S3 confirmed after our own upload, and the size it was for. */
  etag: string | null;
  remoteSize: number | null;
}

export interface RemoteView {
  etag: string;
  size: number;
  /** `undefined`: not asked yet; `null`: HEAD found no x-amz-meta-md5. */
  metaMd5?: string | null;
  /** x-amz-meta-part-size, when a HEAD found one: the part size our multipart upload used. */
  partSize?: number;
}

export interface PlanOptions {
  deleteMode: 'mirror' | 'keep' | 'trash';
  excluded: boolean;
  deleteExcluded: boolean;
  /** SSE-KMS or SSE-C: ETags are not MD5s, so only x-amz-meta-md5 proves identity. */
  opaqueEtags: boolean;
  /**
   * No pair `sse`, and the bucket has not shown yet whether it encrypts with SSE-KMS by default:
   * an MD5-like ETag that differs from the local MD5 may be opaque, so x-amz-meta-md5 decides.
   */
  etagsUnknown?: boolean;
  keyBytes: number;
}

export type Decision =
  | { op: 'skip'; reason: string; learned?: Pick<SyncedContent, 'etag' | 'etagKind'> }
  /** `partSize`: the file is hashed (again) in parts of this size, the object's, to compare ETags. */
  | { op: 'hash'; reason: string; partSize?: number }
  | { op: 'head'; reason: string }
  | { op: 'upload'; reason: string }
  | { op: 'delete'; reason: string }
  | { op: 'trash'; reason: string }
  | { op: 'forget'; reason: string }
  /** Not mirrored on purpose (by configuration): listed in status as skipped. */
  | { op: 'ignore'; reason: string; code: 'UNSUPPORTED_FILE' }
  /** Cannot be mirrored as it is named: a per-file error the operator must fix. */
  | { op: 'refuse'; reason: string; code: 'KEY_TOO_LONG' };

/** What the journal recorded of a file's stat (null: never stat'ed). */
export type StatView = Pick<JournalView, 'size' | 'mtimeNs' | 'ctimeNs' | 'ino'>;

/**
 * "Changed since the last scan": size, mtime, ctime and inode all match what the journal
 * recorded. The planner skips such a file without a read; a rescan leaves its row alone.
 */
export function sameStat(a: LocalStat, j: StatView): boolean {
  return a.size === j.size && a.mtimeNs === j.mtimeNs && a.ctimeNs === j.ctimeNs && a.ino === j.ino;
}

/**
 * The decision for one path, as a pure function of what the disk, the journal and the bucket say
 * (docs/architecture.md lists the rules in order). Every branch returns a reason, which is logged
 * with the action. Steps that need I/O to decide (`hash`, `head`) are decisions too: the caller
 * performs them and asks again.
 */
export function plan(
  local: LocalView | null,
  journal: JournalView | null,
  remote: RemoteView | null,
  o: PlanOptions,
): Decision {
  if (!local) return planAbsent(remote, o);
  if (local.kind === 'symlink')
    return { op: 'ignore', code: 'UNSUPPORTED_FILE', reason: 'symlink skipped (followSymlinks is off)' };
  if (local.kind === 'special')
    return { op: 'ignore', code: 'UNSUPPORTED_FILE', reason: 'not a regular file (FIFO, socket or device) skipped' };
  if (o.excluded) {
    if (remote && o.deleteExcluded && o.deleteMode !== 'keep') return deleteOp(o, 'excluded and deleteExcluded is on');
    return { op: 'forget', reason: 'excluded by a filter' };
  }
  if (o.keyBytes > MAX_KEY_BYTES) {
    return {
      op: 'refuse',
      code: 'KEY_TOO_LONG',
      reason: `object key is ${o.keyBytes} bytes; S3 allows ${MAX_KEY_BYTES}`,
    };
  }

  // Unchanged since our own confirmed upload, and the listing still shows that object: no read, no request.
  if (
    journal &&
    sameStat(local.stat, journal) &&
    journal.etag &&
    remote &&
    remote.etag === journal.etag &&
    remote.size === journal.remoteSize
  ) {
    return { op: 'skip', reason: 'unchanged since our upload' };
  }
  if (local.md5 === undefined) {
    if (!journal || (journal.md5 === null && !journal.etag)) return { op: 'hash', reason: 'new file' };
    if (!sameStat(local.stat, journal)) return { op: 'hash', reason: 'size, mtime, ctime or inode changed' };
    return { op: 'hash', reason: remote ? 'object differs from our last upload' : 'object missing remotely' };
  }
  if (!remote) return { op: 'upload', reason: journal?.etag ? 'object missing remotely' : 'new object' };
  if (remote.size !== local.stat.size) return { op: 'upload', reason: 'size differs from object' };

  if (journal?.etag && remote.etag === journal.etag && remote.size === journal.remoteSize) {
    const same = sameAsRecorded(journal, local);
    // Our own upload of this very content, still in place (a touch, or a re-hash after restart).
    if (same === true) return { op: 'skip', reason: 'content unchanged since our upload' };
    // The object is still our own upload, and the content we uploaded then is not this content.
    if (same === false) return { op: 'upload', reason: 'content changed since our upload' };
  }
  if (typeof remote.metaMd5 === 'string') {
    return remote.metaMd5 === local.md5
      ? { op: 'skip', reason: 'x-amz-meta-md5 matches', learned: learned(remote.etag) }
      : { op: 'upload', reason: 'x-amz-meta-md5 differs' };
  }
  const kind = etagKind(remote.etag);
  if (kind === 'md5' && !o.opaqueEtags) {
    if (remote.etag === local.md5)
      return { op: 'skip', reason: 'ETag equals local MD5', learned: learned(remote.etag) };
    if (o.etagsUnknown && remote.metaMd5 === undefined)
      return {
        op: 'head',
        reason:
          'ETag differs from local MD5, but may be opaque (bucket encryption not known yet); reading x-amz-meta-md5',
      };
    return { op: 'upload', reason: 'ETag differs from local MD5' };
  }
  if (
    kind === 'multipart' &&
    !o.opaqueEtags &&
    local.localEtag &&
    etagParts(local.localEtag) === etagParts(remote.etag)
  ) {
    // Equal part counts do not prove equal part sizes: a mismatch falls through to x-amz-meta-md5.
    if (remote.etag === local.localEtag)
      return { op: 'skip', reason: 'multipart ETag reproduced', learned: learned(remote.etag) };
  }
  // Our own multipart objects name their part size: with it the ETag is reproducible (plan/one-pass.ts).
  const byParts =
    kind === 'multipart' &&
    !o.opaqueEtags &&
    remote.partSize !== undefined &&
    etagParts(remote.etag) === partCount(local.stat.size, remote.partSize);
  if (byParts && local.partSize !== undefined && local.partSize !== remote.partSize)
    return {
      op: 'hash',
      reason: `the object was sent in parts of ${remote.partSize} bytes (x-amz-meta-part-size); hashing with them`,
      partSize: remote.partSize,
    };
  if (byParts && local.localEtag) return { op: 'upload', reason: 'multipart ETag differs at the same part size' };
  if (remote.metaMd5 === null)
    return { op: 'upload', reason: 'identity unknown (no x-amz-meta-md5, ETag not comparable)' };
  return {
    op: 'head',
    reason: `ETag (${kind}${o.opaqueEtags ? ', SSE' : ''}) cannot be compared; reading x-amz-meta-md5`,
  };
}

function planAbsent(remote: RemoteView | null, o: PlanOptions): Decision {
  if (!remote) return { op: 'forget', reason: 'gone locally and remotely' };
  if (o.excluded && !o.deleteExcluded) return { op: 'forget', reason: 'excluded; object kept' };
  if (o.deleteMode === 'keep') return { op: 'forget', reason: 'deleted locally; object kept (delete: keep)' };
  return deleteOp(o, 'deleted locally');
}

function deleteOp(o: PlanOptions, why: string): Decision {
  return o.deleteMode === 'trash' ? { op: 'trash', reason: `${why}; moved to trash` } : { op: 'delete', reason: why };
}

function learned(etag: string): Pick<SyncedContent, 'etag' | 'etagKind'> {
  return { etag, etagKind: etagKind(etag) };
}
