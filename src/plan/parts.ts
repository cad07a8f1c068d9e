/**
 * How the bytes of one object travel: one request or parts of which size (uploads and server-side
 * copies), and how a file is read to be hashed. Pure: sizes and settings in, a shape and its reason out.
 */
import { partSizeFor } from './etag.js';

export interface PartOptions {
  /** Files of at least this many bytes go multipart (`multipart.thresholdBytes`). */
  thresholdBytes: number;
  /** The configured part size (`multipart.partSizeBytes`), grown to fit 10,000 parts. */
  partSizeBytes: number;
}

export interface Shape {
  kind: 'single' | 'multipart';
  /** 0 for a single request. */
  partSize: number;
  reason: string;
}

/**
 * Files up to this size are read once, with synchronous calls, and the bytes kept for the upload:
 * for small files the promise machinery of fs/promises costs far more CPU than the reads, and on a
 * 2-core machine client CPU is throughput. Small enough that a cold read barely blocks the loop.
 */
export const SMALL_READ_BYTES = 256 * 1024;

/** One PUT below the threshold; at or above it, a multipart upload with the part size for `size`. */
export function uploadShape(size: number, o: PartOptions): Shape {
  if (size < o.thresholdBytes)
    return { kind: 'single', partSize: 0, reason: `under the multipart threshold of ${o.thresholdBytes} bytes` };
  return {
    kind: 'multipart',
    partSize: partSizeFor(size, o.partSizeBytes),
    reason: `at least the multipart threshold of ${o.thresholdBytes} bytes`,
  };
}

/**
 * One CopyObject up to the copy limit; above it, UploadPartCopy parts. A copy of a file we hashed
 * for multipart keeps that part size, so the new object's ETag is the one we computed.
 */
export function copyShape(
  size: number,
  o: { copyLimitBytes: number; partSizeBytes: number },
  hashedPartSize = 0,
): Shape {
  if (size <= o.copyLimitBytes)
    return { kind: 'single', partSize: 0, reason: `within the CopyObject limit of ${o.copyLimitBytes} bytes` };
  if (hashedPartSize)
    return { kind: 'multipart', partSize: hashedPartSize, reason: 'over the CopyObject limit: parts as hashed' };
  return {
    kind: 'multipart',
    partSize: partSizeFor(size, o.partSizeBytes),
    reason: `over the CopyObject limit of ${o.copyLimitBytes} bytes`,
  };
}

export interface HashRead {
  /**
   * `whole`: read at once and kept as the PUT body. `parts`: streamed for a multipart upload (whole
   * and per-part MD5s). `stream`: streamed for a single PUT, nothing kept (read again when sent).
   */
  kind: 'whole' | 'parts' | 'stream';
  reason: string;
}

/**
 * How to read a file of `size` bytes (undefined: not known yet) to hash it. A file expected to be
 * small is checked again once open, with its real size: `whole` only if that size is small too.
 */
export function hashRead(size: number | undefined, o: PartOptions): HashRead {
  if (size === undefined) return { kind: 'stream', reason: 'size not known before the read' };
  if (uploadShape(size, o).kind === 'multipart') return { kind: 'parts', reason: 'a multipart upload' };
  if (size <= SMALL_READ_BYTES) return { kind: 'whole', reason: `at most ${SMALL_READ_BYTES} bytes: kept for the PUT` };
  return { kind: 'stream', reason: `a single PUT over ${SMALL_READ_BYTES} bytes: read again when sent` };
}
