import { createHash } from 'node:crypto';

/** S3's limits on multipart uploads. */
export const MAX_PARTS = 10_000;
export const MIN_PART = 5 * 1024 * 1024;
/** The largest object one CopyObject may copy; larger ones are copied part by part (UploadPartCopy). */
export const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

export type EtagKind = 'md5' | 'multipart' | 'opaque';

/** Under SSE-KMS (and DSSE-KMS) an object's ETag is not its content's MD5, whatever it looks like. */
export function etagsOpaque(sse: string | undefined | null): boolean {
  return !!sse && sse.startsWith('aws:kms');
}

/** Servers differ: quoted or not, upper or lower case, weak prefixes. One place normalises. */
export function normalizeEtag(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  const s = raw
    .trim()
    .replace(/^W\//, '')
    .replace(/^"+|"+$/g, '')
    .toLowerCase();
  return s === '' ? undefined : s;
}

export function etagKind(etag: string): EtagKind {
  if (/^[0-9a-f]{32}$/.test(etag)) return 'md5';
  if (/^[0-9a-f]{32}-([1-9][0-9]{0,3}|10000)$/.test(etag)) return 'multipart';
  return 'opaque';
}

/** The N of an `…-N` multipart ETag. */
export function etagParts(etag: string): number | undefined {
  const m = /-([1-9][0-9]*)$/.exec(etag);
  return m ? Number(m[1]) : undefined;
}

/**
 * The part size an x-amz-meta-part-size names: whole bytes, at least S3's minimum part; anything
 * else (absent, or written by another tool) is no part size.
 */
export function metaPartSize(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^[1-9][0-9]{0,15}$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= MIN_PART ? n : undefined;
}

/** The part size we upload `size` bytes with: the configured one, grown (in whole MiB) to fit 10,000 parts. */
export function partSizeFor(size: number, configured: number): number {
  const needed = Math.ceil(size / MAX_PARTS);
  if (needed <= configured) return configured;
  return Math.ceil(needed / MiB) * MiB;
}

export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** `md5(concat(md5(part_i)))-N`, the ETag S3 gives a multipart upload of these parts. */
export function multipartEtag(partDigests: readonly Buffer[]): string {
  const h = createHash('md5');
  for (const d of partDigests) h.update(d);
  return `${h.digest('hex')}-${partDigests.length}`;
}

export function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
