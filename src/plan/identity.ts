import { etagKind, etagParts, partCount } from './etag.js';

/**
 * How an object's content can be compared with a local file without downloading it: by the MD5
 * its ETag is (a single-part upload), by the MD5 s3mirror wrote in `x-amz-meta-md5`, or by the
 * multipart ETag recomputed locally with the part size the object was uploaded in (written in
 * `x-amz-meta-part-size`, else the one the journal recorded, else the configured one).
 */
export type ObjectIdentity =
  | { by: 'md5'; md5: string; reason: string }
  | { by: 'multipart'; etag: string; partSize: number; reason: string }
  | { by: 'none'; reason: string };

export interface ObjectFacts {
  etag: string;
  size: number;
  metaMd5: string | null;
  /** x-amz-meta-part-size, as the server returned it. */
  metaPartSize: string | null;
}

export function objectIdentity(o: ObjectFacts, partSizes: readonly number[]): ObjectIdentity {
  if (o.metaMd5 && /^[0-9a-f]{32}$/.test(o.metaMd5))
    return { by: 'md5', md5: o.metaMd5, reason: 'x-amz-meta-md5 names the content' };
  const kind = etagKind(o.etag);
  if (kind === 'md5') return { by: 'md5', md5: o.etag, reason: 'the ETag is the MD5 of a single-part upload' };
  if (kind === 'opaque') return { by: 'none', reason: 'the ETag is not an MD5 (encrypted?) and no x-amz-meta-md5' };
  const parts = etagParts(o.etag)!;
  const meta = o.metaPartSize !== null ? Number(o.metaPartSize) : Number.NaN;
  const candidates = Number.isSafeInteger(meta) && meta > 0 ? [meta] : partSizes;
  for (const partSize of candidates) {
    if (partSize > 0 && partCount(o.size, partSize) === parts)
      return {
        by: 'multipart',
        etag: o.etag,
        partSize,
        reason: Number.isSafeInteger(meta) ? 'multipart ETag, part size from x-amz-meta-part-size' : 'multipart ETag',
      };
  }
  return { by: 'none', reason: `a multipart ETag of ${parts} parts, and no known part size gives ${parts}` };
}

export type IdentityVerdict = { same: boolean; reason: string };

/** The local file's digests, computed as `identity` asked (multipartEtag for its part size). */
export function sameContent(
  identity: ObjectIdentity,
  o: { size: number },
  local: { size: number; md5: string; multipartEtag?: string },
): IdentityVerdict {
  if (o.size !== local.size) return { same: false, reason: `sizes differ (${local.size} here, ${o.size} there)` };
  if (identity.by === 'none') return { same: false, reason: `cannot tell: ${identity.reason}` };
  if (identity.by === 'md5')
    return identity.md5 === local.md5
      ? { same: true, reason: identity.reason }
      : { same: false, reason: 'content differs (MD5)' };
  return identity.etag === local.multipartEtag
    ? { same: true, reason: identity.reason }
    : { same: false, reason: 'content differs (multipart ETag)' };
}

/**
 * Content as the journal recorded it: its whole-file MD5, or, for a file sent in parts as it was
 * read (plan/one-pass.ts), only its multipart ETag in a part size.
 */
export interface RecordedContent {
  md5: string | null;
  partSize?: number | null;
  localEtag?: string | null;
}

/** `partSize:multipartEtag` of content hashed in parts (part size above 0); null otherwise. */
export function partsId(partSize: number | null | undefined, localEtag: string | null | undefined): string | null {
  return partSize && localEtag ? `${partSize}:${localEtag}` : null;
}

/**
 * Is the hashed file the recorded content? By the whole-file MD5, or, where only the multipart
 * ETag was recorded, by that ETag in the same part size; undefined when neither tells.
 */
export function sameAsRecorded(
  recorded: RecordedContent,
  local: { md5?: string; partSize?: number; localEtag?: string },
): boolean | undefined {
  if (recorded.md5) return recorded.md5 === local.md5;
  const id = partsId(recorded.partSize, recorded.localEtag);
  if (id === null || recorded.partSize !== local.partSize || !local.localEtag) return undefined;
  return recorded.localEtag === local.localEtag;
}
