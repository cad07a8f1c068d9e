/**
 * Whether a file that goes multipart is hashed before its upload (a read of its own, then a second
 * read to send it) or in the same pass that sends its parts. One pass unless something needs the
 * whole-file MD5 before the first part goes out. Pure: facts in, an action and its reason out.
 */

/** Whether a pair's ETags are its objects' MD5s (see sync/encryption.ts). */
export type EtagsAre = 'md5' | 'opaque' | 'unknown';

export interface HashFacts {
  size: number;
  /** `multipart.thresholdBytes`: below it a file is one PUT, whose Content-MD5 is its MD5. */
  thresholdBytes: number;
  /** Size of the object at the file's key (listing or journal); null when there is none. */
  remoteSize: number | null;
  /**
   * A dirty or held tombstone of this size whose content is recorded (an MD5, or a multipart ETag
   * in a part size): the file may be its rename.
   */
  tombstoneOfSize: boolean;
  /** A resumable upload of this file is recorded (sync/resume-read.ts reads only what it must). */
  recordedUpload: boolean;
  /** The pair's prefix changed and the journal recorded this content under the previous one. */
  previousPrefixCopy: boolean;
  /** The pair sets `sse`. */
  sse: boolean;
  etags: EtagsAre;
}

export type HashTiming = { action: 'pre-hash' | 'one-pass'; reason: string };

/**
 * `pre-hash` wherever the MD5 decides something before the upload starts: whether the object is
 * already this content (skip), whether a pending delete is this file's old name (a server-side
 * copy), which recorded upload resumes, and the x-amz-meta-md5 written at CreateMultipartUpload
 * where ETags cannot prove identity (SSE: the pair's, or SSE-KMS the bucket answered with).
 */
export function hashTiming(f: HashFacts): HashTiming {
  const pre = (reason: string): HashTiming => ({ action: 'pre-hash', reason });
  if (f.size < f.thresholdBytes) return pre('a single PUT: its MD5 is its Content-MD5');
  if (f.recordedUpload) return pre('a recorded upload of the file may resume');
  if (f.sse) return pre('the pair sets sse: x-amz-meta-md5 proves identity, written at creation');
  if (f.etags === 'opaque') return pre('the bucket encrypts with SSE-KMS: x-amz-meta-md5 proves identity');
  if (f.remoteSize === f.size) return pre('an object of the same size is at the key: it may be this content');
  if (f.tombstoneOfSize) return pre('a pending delete of the same size: it may be a rename (server-side copy)');
  if (f.previousPrefixCopy) return pre('the content may be copied from the previous prefix');
  return {
    action: 'one-pass',
    reason: f.remoteSize === null ? 'no object at the key' : 'the object at the key has another size',
  };
}

/**
 * Is x-amz-meta-md5 written? Only where an ETag cannot prove identity: under the pair's `sse` or
 * SSE-KMS, and for a single PUT while the bucket has not shown yet that its ETags are MD5s. A
 * multipart object's ETag is reproduced from its part MD5s and its x-amz-meta-part-size.
 * Decided from the pair and the bucket only, never from whether the MD5 is known yet, so a
 * resumed upload's headers are those it was created with.
 */
export function writesMd5(a: { multipart: boolean; sse: boolean; etags: EtagsAre }): boolean {
  if (a.sse || a.etags === 'opaque') return true;
  return !a.multipart && a.etags === 'unknown';
}
