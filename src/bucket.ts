import type { MirrorError } from './errors.js';

/**
 * The narrow seam between the sync engine and object storage: every operation s3mirror needs of
 * one bucket. `src/s3/` implements it over the AWS SDK; the tests' in-memory bucket implements it
 * as S3 behaves, so engine, transfer and delete logic can be tested without a server. Errors leave
 * as MirrorErrors; ETags leave normalised (unquoted, lower case).
 */
export interface Bucket {
  readonly name: string;
  /** Is the bucket there and usable with these credentials? Throws a MirrorError if not. */
  check(): Promise<void>;
  /** Every object under `prefix`, in S3's key order (UTF-8 bytes). */
  list(prefix: string, opts?: ListOptions): Promise<Listed[]>;
  /** null when there is no such object. */
  head(key: string): Promise<Head | null>;
  /** The object's body as it streams in, with its head; null when there is no such object. */
  get(key: string): Promise<Got | null>;
  put(key: string, body: Buffer, md5Hex: string, s: ObjectSettings): Promise<Stored>;
  /** `encryption`, when given, is told the x-amz-server-side-encryption the creation answered with. */
  createMultipart(key: string, s: ObjectSettings, encryption?: (sse: string | undefined) => void): Promise<string>;
  /** The part's ETag, and its encryption (an SSE-KMS part's ETag is not its MD5). */
  uploadPart(p: PartUpload): Promise<Stored>;
  completeMultipart(key: string, uploadId: string, parts: readonly { n: number; etag: string }[]): Promise<Stored>;
  /**
   * The parts the server holds of an upload, in part order; `gone` when it has no such upload;
   * `unsupported` on a server without ListParts (s3rver).
   */
  listParts(key: string, uploadId: string): Promise<ListedPart[] | 'gone' | 'unsupported'>;
  /** Multipart uploads under way under `prefix`; `unsupported` without ListMultipartUploads (s3rver). */
  listUploads(prefix: string): Promise<ListedUpload[] | 'unsupported'>;
  /** True once the upload is gone (or cannot be aborted on this server); else the error. */
  abortMultipart(key: string, uploadId: string): Promise<true | MirrorError>;
  /**
   * A copy inside the server. `replace`: the new object gets these headers and metadata; without,
   * it keeps the source's, with `keep`'s storage class and encryption. `ifMatch`: the source's
   * expected ETag; the server refuses if the object changed since.
   */
  copy(from: string, to: string, o: CopyOptions): Promise<Stored>;
  /** Bytes [start, end] of `from` as part `n` of an upload to `key`; the part's ETag. */
  uploadPartCopy(p: PartCopy): Promise<string>;
  /** One DeleteObjects call for at most 1000 keys; per-key failures are returned, not thrown. */
  deleteMany(keys: readonly string[]): Promise<{ failed: Map<string, string> }>;
}

/**
 * What `restore --at` reads of a versioned bucket. Apart from Bucket: only restore needs it, over
 * its own client, so the engine's buckets (lazy, watched) never carry it.
 */
export interface VersionedReads {
  /** GetBucketVersioning: 'off' for a bucket that never had it (no Status). */
  versioning(): Promise<'enabled' | 'suspended' | 'off'>;
  /**
   * ListObjectVersions: every version and delete marker under `prefix`, page by page (at most
   * 1,000 entries), in key order; a page's versions of a key come newest first, its delete markers
   * too, in a list of their own (a key's entries may continue on the next page). The next page is
   * asked for only once `onPage` has settled: the caller paces the listing.
   */
  listVersions(prefix: string, onPage: (versions: readonly ListedVersion[]) => void | Promise<void>): Promise<void>;
  headVersion(key: string, versionId: string): Promise<Head | null>;
  getVersion(key: string, versionId: string): Promise<Got | null>;
}

export interface ListedVersion {
  key: string;
  /** 'null' for an object written before versioning was enabled (or while it was suspended). */
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  /** ms since the epoch. */
  lastModified: number;
  /** 0 and '' for a delete marker. */
  size: number;
  etag: string;
}

/** Buckets by name over one pooled connection, and what it sent. */
export interface BucketProvider {
  bucket(name: string): Bucket;
  close(): void;
}

export interface Listed {
  key: string;
  size: number;
  etag: string;
}

export interface ListedPart {
  n: number;
  size: number;
  etag: string;
}

export interface ListedUpload {
  key: string;
  uploadId: string;
  /** When it was created, ms since the epoch. */
  initiated: number;
}

export interface ListOptions {
  /** Keys to cut the listing at (ascending in UTF-8 order): ranges listed side by side. */
  splitAfter?: readonly string[];
  /**
   * Each page's objects as it arrives; ranges listed side by side interleave. `covered`, when the
   * listing is in S3's key order: the page holds every object with a key in (after, through]
   * ('' as `after`: from the start; null as `through`: to the end of the prefix). A promise
   * returned holds the next request of that range until it settles (a consumer slower than the
   * listing keeps memory to the pages it has not taken).
   */
  onPage?: (objects: readonly Listed[], covered?: { after: string; through: string | null }) => unknown;
  /** false: the pages go to onPage only and `list` returns nothing (memory stays one page). */
  collect?: boolean;
  /** The ranges were given up (keys out of order) and the listing starts again: forget the pages so far. */
  onRestart?: () => void;
}

/** Part `n` (from 1) of the multipart upload `uploadId` to `key`. */
export interface PartUpload {
  key: string;
  uploadId: string;
  n: number;
  body: Buffer;
  /** The part's MD5, sent as Content-MD5: a server that checks it refuses a part that changed. */
  md5Hex: string;
}

/** Bytes [start, end] of the object `from` as part `n` (from 1) of the multipart upload `uploadId` to `key`. */
export interface PartCopy {
  from: string;
  key: string;
  uploadId: string;
  n: number;
  range: { start: number; end: number };
  /** The source's expected ETag: the server refuses if the object changed since. */
  ifMatch?: string;
}

export interface ObjectSettings {
  contentType: string;
  metadata: Record<string, string>;
  storageClass?: string;
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  cacheControl?: string;
}

export interface CopyOptions {
  replace?: ObjectSettings;
  keep?: Pick<ObjectSettings, 'storageClass' | 'sse' | 'kmsKeyId'>;
  ifMatch?: string;
}

/** What the server says it stored. */
export interface Stored {
  etag: string;
  /** The response's x-amz-server-side-encryption (e.g. a bucket's default SSE-KMS), if any. */
  sse?: string;
}

export interface Got {
  head: Head;
  body: AsyncIterable<Buffer>;
}

export interface Head {
  etag: string;
  size: number;
  metaMd5: string | null;
  /** What a multipart copy must set again itself (it cannot copy them from the source). */
  contentType?: string;
  metadata: Record<string, string>;
  cacheControl?: string;
  sse?: string;
}
