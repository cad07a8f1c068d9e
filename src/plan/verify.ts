import type { LocalStat } from '../model.js';
import { etagKind } from './etag.js';
import { objectIdentity } from './identity.js';

/** What verify says of one key. The first five are differences (exit 1); the rest are not. */
export type VerifyVerdict =
  | 'missing'
  | 'extra'
  | 'size-differs'
  | 'content-differs'
  | 'collision'
  | 'pending'
  | 'kept'
  | 'skipped'
  | 'identical';

export const DIFFERENCES: readonly VerifyVerdict[] = [
  'missing',
  'extra',
  'size-differs',
  'content-differs',
  'collision',
];

/** The order verdicts are counted in: what is fine first, then each kind of difference. */
export const VERDICT_ORDER: readonly string[] = [
  'identical',
  'pending',
  'kept',
  'skipped',
  ...DIFFERENCES,
  'unreadable',
];

/** A verdict, or the read or request that must come first (the caller performs it and asks again). */
export type VerifyDecision =
  | { verdict: VerifyVerdict; reason: string }
  | { need: 'hash'; partSize?: number; reason: string }
  | { need: 'head' | 'get'; reason: string };

/** The local file's MD5 (and its multipart ETag in `partSize` parts), from the journal or read now. */
interface LocalDigest {
  /** null: the journal's record of a file sent in parts as it was read, which has no whole-file MD5. */
  md5: string | null;
  partSize?: number;
  multipartEtag?: string;
  /** true: read from the file by this verify; false: the journal's, for a file whose stat is unchanged. */
  read: boolean;
}

/** Everything known of one key: the file that maps to it, the journal's row, the listed object. */
export interface VerifyView {
  local?: { kind: 'file' | 'symlink' | 'special'; stat: LocalStat };
  /** The journal's row for the file (or, without a file, any row of the key). */
  row?: { state: 'dirty' | 'clean' | 'failed' | 'skipped' | 'held'; etag: string | null; remoteSize: number | null };
  object?: { size: number; etag: string };
  digest?: LocalDigest;
  /** The HEAD's answer; null: the object is gone since it was listed. */
  head?: { metaMd5: string | null; metaPartSize: string | null; sse?: string } | null;
  /** The object's content as a GET streamed it (--deep). */
  got?: { md5: string };
}

export interface VerifyContext {
  now: number;
  debounceMs: number;
  deep: boolean;
  /** The part size the config would upload this object's size in. */
  configuredPartSize: number;
  /** Facts of the key itself (for an object without a file). */
  inTrash: boolean;
  /** false: no file can have this key (a directory marker `dir/`), the engine never deletes it. */
  hasPath: boolean;
  excluded: boolean;
  deleteKeep: boolean;
  deleteExcluded: boolean;
}

const MD5_HEX = /^[0-9a-f]{32}$/;
const NS_PER_MS = 1_000_000n;

/** Changed within `debounceMs`: the daemon has not had its chance to upload it yet. */
function tooRecent(stat: LocalStat, ctx: VerifyContext): boolean {
  const since = BigInt(Math.max(0, ctx.now - ctx.debounceMs)) * NS_PER_MS;
  return BigInt(stat.mtimeNs) >= since || BigInt(stat.ctimeNs) >= since;
}

function withoutFile(v: VerifyView, ctx: VerifyContext): VerifyDecision {
  if (ctx.inTrash) return { verdict: 'kept', reason: 'under the trash prefix' };
  if (v.row?.state === 'held') return { verdict: 'extra', reason: 'no local file; its delete is held by the guard' };
  if (!ctx.hasPath) return { verdict: 'kept', reason: 'no file can have this key (a folder marker)' };
  if (ctx.excluded && !ctx.deleteExcluded) return { verdict: 'kept', reason: 'excluded, kept without deleteExcluded' };
  if (ctx.deleteKeep) return { verdict: 'kept', reason: 'no local file; kept by delete: "keep"' };
  return { verdict: 'extra', reason: ctx.excluded ? 'excluded, and deleteExcluded is set' : 'no local file' };
}

/** Compares MD5s; `by` says which fact of the object named its content. */
function byMd5(v: VerifyView, md5: string, by: string): VerifyDecision {
  if (!v.digest?.md5) return { need: 'hash', reason: `${by}: the file's MD5 is needed` };
  return v.digest.md5 === md5
    ? { verdict: 'identical', reason: by }
    : { verdict: 'content-differs', reason: `${by}, and the file's MD5 differs` };
}

/** Content by what a listing and (where needed) a HEAD tell, without a download. */
function byIdentity(v: VerifyView, o: { size: number; etag: string }, ctx: VerifyContext): VerifyDecision {
  const kind = etagKind(o.etag);
  const head = v.head;
  if (kind === 'md5' && head?.sse !== 'aws:kms') {
    if (!v.digest?.md5) return { need: 'hash', reason: 'the ETag is an MD5: the file MD5 is needed' };
    if (v.digest.md5 === o.etag) return { verdict: 'identical', reason: 'the ETag is the MD5 of the file' };
    // An SSE-KMS object's ETag looks like an MD5 and is not one: only a HEAD tells.
    if (!head) return { need: 'head', reason: 'the ETag differs: is it SSE-KMS?' };
    return { verdict: 'content-differs', reason: "the ETag is the object's MD5 and differs from the file's" };
  }
  if (kind === 'opaque' && !head && v.digest && !v.digest.read && v.row?.etag === o.etag && v.row.remoteSize === o.size)
    return { verdict: 'identical', reason: 'the object is the upload the journal recorded for this file' };
  const facts = {
    etag: o.etag,
    size: o.size,
    metaMd5: head?.metaMd5 ?? null,
    metaPartSize: head?.metaPartSize ?? null,
  };
  const sizes = [...(v.digest?.partSize ? [v.digest.partSize] : []), ctx.configuredPartSize];
  if (head?.sse === 'aws:kms' && !(head.metaMd5 && MD5_HEX.test(head.metaMd5)))
    return {
      verdict: 'content-differs',
      reason: 'SSE-KMS without x-amz-meta-md5: cannot tell, the next sync uploads it',
    };
  const id = objectIdentity(facts, sizes);
  if (id.by === 'md5' && head?.metaMd5 && MD5_HEX.test(head.metaMd5)) return byMd5(v, id.md5, 'x-amz-meta-md5');
  if (id.by === 'multipart') {
    const d = v.digest;
    if (!d || d.partSize !== id.partSize || !d.multipartEtag)
      return { need: 'hash', partSize: id.partSize, reason: `the multipart ETag in ${id.partSize}-byte parts` };
    if (d.multipartEtag === id.etag) return { verdict: 'identical', reason: id.reason };
    if (!head) return { need: 'head', reason: 'the multipart ETag differs: its part size?' };
    return { verdict: 'content-differs', reason: 'the multipart ETag differs from the file' };
  }
  if (!head) return { need: 'head', reason: id.reason };
  return { verdict: 'content-differs', reason: `cannot tell, so the next sync uploads it: ${id.reason}` };
}

/**
 * The verdict for one key of `s3mirror verify`: a file and its object compared as the engine
 * would (the same identities: ETag, multipart ETag, x-amz-meta-md5), what the engine keeps on
 * purpose told apart from what it would delete, and a change it has not had its chance to ship
 * yet listed as pending. `--deep` trusts nothing but the bytes: both sides read and hashed.
 */
export function judgeKey(v: VerifyView, ctx: VerifyContext): VerifyDecision {
  if (v.row?.state === 'dirty')
    return { verdict: 'pending', reason: v.local ? 'a change not uploaded yet' : 'a delete not made yet' };
  const l = v.local;
  if (l && l.kind !== 'file')
    return v.object
      ? { verdict: 'kept', reason: `a ${l.kind} is not mirrored; its object stays` }
      : { verdict: 'skipped', reason: `a ${l.kind} is not mirrored` };
  if (l && tooRecent(l.stat, ctx)) return { verdict: 'pending', reason: 'changed within debounceMs' };
  const o = v.object;
  if (!l) return o ? withoutFile(v, ctx) : { verdict: 'identical', reason: 'neither file nor object' };
  if (!o || v.head === null) return { verdict: 'missing', reason: 'no object' };
  if (o.size !== l.stat.size)
    return { verdict: 'size-differs', reason: `${l.stat.size} bytes here, ${o.size} in the bucket` };
  if (ctx.deep) {
    if (!v.digest?.read) return { need: 'hash', reason: '--deep: the file is read' };
    if (!v.got) return { need: 'get', reason: '--deep: the object is read' };
    return v.got.md5 === v.digest.md5
      ? { verdict: 'identical', reason: '--deep: same MD5 read on both sides' }
      : { verdict: 'content-differs', reason: '--deep: the bytes differ' };
  }
  return byIdentity(v, o, ctx);
}
