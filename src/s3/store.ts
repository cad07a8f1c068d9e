import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { hexToBase64, normalizeEtag } from '../plan/etag.js';
import { isNotFound, mapS3Error } from './errors.js';

export interface ObjectSettings {
  contentType: string;
  metadata: Record<string, string>;
  storageClass?: string;
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  cacheControl?: string;
}

export interface Listed {
  key: string;
  size: number;
  etag: string;
}

export interface Head {
  etag: string;
  size: number;
  metaMd5: string | null;
  /** What a multipart copy must set again itself (it cannot copy them from the source). */
  contentType?: string;
  metadata: Record<string, string>;
  cacheControl?: string;
}

/**
 * The bucket operations s3mirror needs, over one pooled client. Every error leaves here as a
 * MirrorError; every ETag leaves normalised. Where a server omits an ETag, we HEAD rather than
 * record a wrong one (DESIGN §5).
 */
export class S3Store {
  constructor(readonly client: S3Client) {}

  async checkBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (e) {
      throw mapS3Error(e, `HeadBucket ${bucket}`);
    }
  }

  /** For the demo and tests' convenience; an existing bucket we own is fine. */
  async createBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw mapS3Error(e, `CreateBucket ${bucket}`);
    }
  }

  async list(bucket: string, prefix: string, onPage?: (n: number) => void): Promise<Listed[]> {
    const out: Listed[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: 1000 }),
        );
        for (const o of r.Contents ?? []) {
          if (o.Key === undefined) continue;
          out.push({ key: o.Key, size: o.Size ?? 0, etag: normalizeEtag(o.ETag) ?? '' });
        }
        onPage?.(out.length);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw mapS3Error(e, `ListObjectsV2 ${bucket}/${prefix}`);
    }
    return out;
  }

  async head(bucket: string, key: string): Promise<Head | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        etag: normalizeEtag(r.ETag) ?? '',
        size: r.ContentLength ?? 0,
        metaMd5: r.Metadata?.md5 ?? null,
        metadata: r.Metadata ?? {},
        ...(r.ContentType ? { contentType: r.ContentType } : {}),
        ...(r.CacheControl ? { cacheControl: r.CacheControl } : {}),
      };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw mapS3Error(e, `HeadObject ${key}`);
    }
  }

  async put(bucket: string, key: string, body: Buffer, md5Hex: string, s: ObjectSettings): Promise<string> {
    try {
      const r = await this.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: hexToBase64(md5Hex), ...settings(s) }),
      );
      return normalizeEtag(r.ETag) ?? (await this.etagByHead(bucket, key));
    } catch (e) {
      throw mapS3Error(e, `PutObject ${key}`);
    }
  }

  async createMultipart(bucket: string, key: string, s: ObjectSettings): Promise<string> {
    try {
      const r = await this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...settings(s) }));
      if (!r.UploadId) throw new Error('no UploadId in response');
      return r.UploadId;
    } catch (e) {
      throw mapS3Error(e, `CreateMultipartUpload ${key}`);
    }
  }

  async uploadPart(bucket: string, key: string, uploadId: string, n: number, body: Buffer, md5Hex: string): Promise<string> {
    try {
      const r = await this.client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length, ContentMD5: hexToBase64(md5Hex) }),
      );
      // A part's ETag is its MD5 on every server we know; fall back to ours if it is missing.
      return normalizeEtag(r.ETag) ?? md5Hex;
    } catch (e) {
      throw mapS3Error(e, `UploadPart ${key} #${n}`);
    }
  }

  async completeMultipart(bucket: string, key: string, uploadId: string, parts: readonly { n: number; etag: string }[]): Promise<string> {
    try {
      const r = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: `"${p.etag}"` })) },
        }),
      );
      return normalizeEtag(r.ETag) ?? (await this.etagByHead(bucket, key));
    } catch (e) {
      throw mapS3Error(e, `CompleteMultipartUpload ${key}`);
    }
  }

  /** Best effort: some servers (s3rver) have no AbortMultipartUpload; a lifecycle rule is the backstop. */
  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      return true;
    } catch {
      return false;
    }
  }

  /** `ifMatch`: the source's expected ETag; the server refuses (412) if the object changed since. */
  async copy(bucket: string, from: string, to: string, s: Pick<ObjectSettings, 'storageClass' | 'sse' | 'kmsKeyId'>, ifMatch?: string): Promise<string> {
    try {
      const r = await this.client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          CopySource: copySource(bucket, from),
          ...(ifMatch ? { CopySourceIfMatch: `"${ifMatch}"` } : {}),
          MetadataDirective: 'COPY',
          ...(s.storageClass ? { StorageClass: s.storageClass as never } : {}),
          ...(s.sse ? { ServerSideEncryption: s.sse } : {}),
          ...(s.kmsKeyId ? { SSEKMSKeyId: s.kmsKeyId } : {}),
        }),
      );
      return normalizeEtag(r.CopyObjectResult?.ETag) ?? (await this.etagByHead(bucket, to));
    } catch (e) {
      throw mapS3Error(e, `CopyObject ${from} -> ${to}`);
    }
  }

  /** One part of a multipart copy: bytes [start, end] of `from`, copied inside the server. */
  async uploadPartCopy(bucket: string, from: string, key: string, uploadId: string, n: number, range: { start: number; end: number }, ifMatch?: string): Promise<string> {
    try {
      const r = await this.client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: copySource(bucket, from),
          CopySourceRange: `bytes=${range.start}-${range.end}`,
          ...(ifMatch ? { CopySourceIfMatch: `"${ifMatch}"` } : {}),
        }),
      );
      const etag = normalizeEtag(r.CopyPartResult?.ETag);
      if (!etag) throw new Error('no ETag in CopyPartResult');
      return etag;
    } catch (e) {
      throw mapS3Error(e, `UploadPartCopy ${from} -> ${key} #${n}`);
    }
  }

  /** One DeleteObjects call for at most 1000 keys; per-key failures are returned, not thrown. */
  async deleteMany(bucket: string, keys: readonly string[]): Promise<{ failed: Map<string, string> }> {
    if (keys.length > 1000) throw new Error(`deleteMany: ${keys.length} keys > 1000`);
    try {
      const r = await this.client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = new Map<string, string>();
      for (const er of r.Errors ?? []) if (er.Key) failed.set(er.Key, `${er.Code ?? 'Error'}: ${er.Message ?? ''}`);
      return { failed };
    } catch (e) {
      throw mapS3Error(e, `DeleteObjects (${keys.length} keys)`);
    }
  }

  private async etagByHead(bucket: string, key: string): Promise<string> {
    const h = await this.head(bucket, key);
    if (!h?.etag) throw mapS3Error(new Error('object has no ETag after upload'), `HeadObject ${key}`);
    return h.etag;
  }
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function settings(s: ObjectSettings) {
  return {
    ContentType: s.contentType,
    Metadata: s.metadata,
    ...(s.storageClass ? { StorageClass: s.storageClass as never } : {}),
    ...(s.sse ? { ServerSideEncryption: s.sse } : {}),
    ...(s.kmsKeyId ? { SSEKMSKeyId: s.kmsKeyId } : {}),
    ...(s.cacheControl ? { CacheControl: s.cacheControl } : {}),
  };
}
