// The in-memory S3's shapes (objects, uploads, requests) and the helpers both of its halves use.
import { createHash, randomBytes } from 'node:crypto';
import type { Head, ObjectSettings } from '../../src/bucket.js';
import { mapS3Error } from '../../src/s3/errors.js';
import type { S3Operation } from '../../src/s3/operation.js';

export interface StoredObject {
  body: Buffer;
  etag: string;
  contentType: string;
  metadata: Record<string, string>;
  cacheControl?: string;
  storageClass: string;
  sse?: string;
  kmsKeyId?: string;
}

export interface Upload {
  key: string;
  settings: ObjectSettings;
  parts: Map<number, { body: Buffer; etag: string }>;
  initiated: number;
}

/** One version of a key: an object, or a delete marker. */
export interface MemoryVersion {
  versionId: string;
  lastModified: number;
  object: StoredObject | null;
}

/**
 * A bucket's current objects, and the versions S3 keeps of them: while versioning is off, a key's
 * only version is its current object ('null'); enabled, every write and delete adds a version (a
 * delete adds a marker, even of a key that is not there); suspended, they replace the 'null' one.
 */
export class VersionedObjects extends Map<string, StoredObject> {
  status: 'off' | 'enabled' | 'suspended' = 'off';
  /** Per key, newest first. */
  readonly history = new Map<string, MemoryVersion[]>();

  override set(key: string, o: StoredObject): this {
    super.set(key, o);
    this.record(key, o);
    return this;
  }

  override delete(key: string): boolean {
    const had = super.delete(key);
    if (this.status === 'off') this.history.delete(key);
    else this.record(key, null);
    return had;
  }

  private record(key: string, object: StoredObject | null): void {
    const id = this.status === 'enabled' ? randomBytes(16).toString('base64url') : 'null';
    const kept = this.status === 'enabled' ? (this.history.get(key) ?? []) : [];
    const older =
      this.status === 'suspended' ? (this.history.get(key) ?? []).filter((v) => v.versionId !== 'null') : kept;
    this.history.set(key, [{ versionId: id, lastModified: Date.now(), object }, ...older]);
  }
}

export interface MemoryBucketState {
  objects: VersionedObjects;
  uploads: Map<string, Upload>;
}

export interface MemoryS3Options {
  /** The buckets' default encryption. 'aws:kms' makes ETags opaque (not MD5s), as S3 does. */
  defaultSse?: 'AES256' | 'aws:kms';
  /** S3 refuses to complete an upload whose parts (all but the last) are smaller; tests lower it. */
  minPartSize?: number;
  /**
   * Extra event-loop turns a request waits before the server applies it (default none): a seeded
   * choice per request reorders concurrent requests' completions, as a real network does.
   */
  turns?: (r: Request) => number;
  /** False mimics s3rver, which has no ListMultipartUploads (501 NotImplemented). Default true. */
  listUploads?: boolean;
}

export type Operation =
  | 'HeadBucket'
  | 'GetBucketVersioning'
  | 'ListObjectsV2'
  | 'ListObjectVersions'
  | 'HeadObject'
  | 'GetObject'
  | 'PutObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListMultipartUploads'
  | 'CopyObject'
  | 'UploadPartCopy'
  | 'DeleteObjects';

/** One request as the server saw it: what the tests count and search. */
export interface Request {
  op: Operation;
  bucket: string;
  key?: string;
  /** Body bytes sent with the request (PutObject, UploadPart). */
  bytes: number;
  /** Keys named (DeleteObjects). */
  keys?: number;
}

/** An error as the SDK throws it for a response (name = the S3 error code). */
export function s3Error(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

export const MiB = 1024 * 1024;

/** S3's key order: the keys' UTF-8 bytes. */
export function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function md5(b: Buffer | string): Buffer {
  return createHash('md5').update(b).digest();
}

/** S3 checks a body against its Content-MD5 and refuses (400 BadDigest) what differs. */
export function checkDigest(body: Buffer, md5Hex: string, what: S3Operation): void {
  if (createHash('md5').update(body).digest('hex') !== md5Hex.toLowerCase()) {
    throw mapS3Error(s3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.'), what);
  }
}

/** What HEAD (and GET) answer of a stored object. */
export function headOf(o: StoredObject): Head {
  return {
    etag: o.etag,
    size: o.body.length,
    metaMd5: o.metadata.md5 ?? null,
    metadata: { ...o.metadata },
    contentType: o.contentType,
    ...(o.cacheControl ? { cacheControl: o.cacheControl } : {}),
    ...(o.sse ? { sse: o.sse } : {}),
  };
}
