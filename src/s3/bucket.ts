import type {
  $Command,
  S3Client,
  S3ClientResolvedConfig,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-s3';
import type { Bucket, CopyOptions, Got, Head, ObjectSettings, PartCopy, PartUpload, Stored } from '../bucket.js';
import { hexToBase64, normalizeEtag } from '../plan/etag.js';
import type { MirrorError } from '../errors.js';
import { isNotFound, mapS3Error } from './errors.js';
import type { S3Operation } from './operation.js';
import { getObject } from './get.js';
import { listPrefix } from './listing.js';
import { listParts, listUploads } from './multipart-list.js';
import { copySource, headFrom, settings, stored } from './request-shape.js';
import { sdk } from './sdk.js';
import type { ListOptions, Listed, ListedPart, ListedUpload, VersionedReads } from '../bucket.js';
import { getVersion, headVersion, listVersions, type OnVersions, type VersionIo, versioning } from './versions.js';

const {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} = sdk;

/**
 * The SDK implementation of the Bucket interface: one bucket, over the pooled client all buckets share. Every error leaves here as a
 * MirrorError; every ETag leaves normalised. Where a server omits an ETag, we HEAD rather than
 * record a wrong one (RGW answers CompleteMultipartUpload with an empty ETag).
 */
export class S3Bucket implements Bucket, VersionedReads {
  constructor(
    readonly client: S3Client,
    readonly name: string,
    private readonly probeClient: S3Client = client,
  ) {}

  /**
   * One request; whatever it throws leaves as a MirrorError that names `op`. The command is
   * built inside the try too: building one can throw (a copy source with a lone surrogate).
   */
  private async send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(
    op: S3Operation,
    command: () => $Command<I, O, S3ClientResolvedConfig, ServiceInputTypes, ServiceOutputTypes>,
  ): Promise<O> {
    try {
      return await this.client.send(command());
    } catch (e) {
      throw await this.mapError(e, op);
    }
  }

  /** mapS3Error, told the region we sign for (resolved only when an error needs it). */
  private async mapError(e: unknown, op: S3Operation): Promise<MirrorError> {
    let region: string | undefined;
    try {
      region = await this.client.config.region();
    } catch {
      /* no region at all: mapS3Error reports that */
    }
    return mapS3Error(e, op, region);
  }

  async check(): Promise<void> {
    const bucket = this.name;
    try {
      await this.probeClient.send(new HeadBucketCommand({ Bucket: this.name }));
    } catch (e) {
      throw await this.mapError(e, { op: 'HeadBucket', bucket });
    }
  }

  /** For the demo and tests' convenience; an existing bucket we own is fine. */
  async create(): Promise<void> {
    const bucket = this.name;
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.name }));
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
        throw mapS3Error(e, { op: 'CreateBucket', bucket });
    }
  }

  /** Every object under `prefix`, in key order; `splitAfter` lists it in ranges (see listing.ts). */
  async list(prefix: string, opts: ListOptions = {}): Promise<Listed[]> {
    try {
      return await listPrefix(this.client, this.name, prefix, opts);
    } catch (e) {
      throw mapS3Error(e, { op: 'ListObjectsV2', bucket: this.name, prefix });
    }
  }

  async head(key: string): Promise<Head | null> {
    try {
      return headFrom(await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key })));
    } catch (e) {
      if (isNotFound(e)) return null;
      throw await this.mapError(e, { op: 'HeadObject', key });
    }
  }

  get(key: string): Promise<Got | null> {
    return getObject(this.client, this.name, key, (e, op) => this.mapError(e, op));
  }

  /** The reads of a versioned bucket (versions.ts), errors mapped as every other request's. */
  private get at(): VersionIo {
    return { client: this.client, bucket: this.name, mapError: (e, op) => this.mapError(e, op) };
  }
  versioning = () => versioning(this.at);
  listVersions = (prefix: string, onPage: OnVersions) => listVersions(this.at, prefix, onPage);
  headVersion = (key: string, versionId: string) => headVersion(this.at, key, versionId);
  getVersion = (key: string, versionId: string) => getVersion(this.at, key, versionId);

  async put(key: string, body: Buffer, md5Hex: string, s: ObjectSettings): Promise<Stored> {
    const r = await this.send(
      { op: 'PutObject', key },
      () =>
        new PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: hexToBase64(md5Hex),
          ...settings(s),
        }),
    );
    return stored(normalizeEtag(r.ETag) ?? (await this.etagByHead(key)), r.ServerSideEncryption);
  }

  async createMultipart(
    key: string,
    s: ObjectSettings,
    encryption?: (sse: string | undefined) => void,
  ): Promise<string> {
    const op: S3Operation = { op: 'CreateMultipartUpload', key };
    const r = await this.send(
      op,
      () => new CreateMultipartUploadCommand({ Bucket: this.name, Key: key, ...settings(s) }),
    );
    if (!r.UploadId) throw mapS3Error(new Error('no UploadId in response'), op);
    encryption?.(r.ServerSideEncryption);
    return r.UploadId;
  }

  async uploadPart({ key, uploadId, n, body, md5Hex }: PartUpload): Promise<Stored> {
    const r = await this.send(
      { op: 'UploadPart', key, part: n },
      () =>
        new UploadPartCommand({
          Bucket: this.name,
          Key: key,
          UploadId: uploadId,
          PartNumber: n,
          Body: body,
          ContentLength: body.length,
          ContentMD5: hexToBase64(md5Hex),
        }),
    );
    // A part's ETag is its MD5 on every server we know (unless SSE-KMS); fall back to ours if it is missing.
    const etag = normalizeEtag(r.ETag) ?? md5Hex;
    return r.ServerSideEncryption ? { etag, sse: r.ServerSideEncryption } : { etag };
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { n: number; etag: string }[],
  ): Promise<Stored> {
    const r = await this.send(
      { op: 'CompleteMultipartUpload', key },
      () =>
        new CompleteMultipartUploadCommand({
          Bucket: this.name,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: `"${p.etag}"` })) },
        }),
    );
    return stored(normalizeEtag(r.ETag) ?? (await this.etagByHead(key)), r.ServerSideEncryption);
  }

  listParts(key: string, uploadId: string): Promise<ListedPart[] | 'gone' | 'unsupported'> {
    return listParts(this.client, this.name, key, uploadId, (e, op) => this.mapError(e, op));
  }

  listUploads(prefix: string): Promise<ListedUpload[] | 'unsupported'> {
    return listUploads(this.client, this.name, prefix, (e, op) => this.mapError(e, op));
  }

  /**
   * Is the upload gone? True once aborted, or when there is nothing left to abort (NoSuchUpload)
   * or no way to (a server without AbortMultipartUpload, like s3rver: a lifecycle rule is the
   * backstop there). Otherwise the error: the abort failed and is worth trying again later.
   */
  async abortMultipart(key: string, uploadId: string): Promise<true | MirrorError> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: key, UploadId: uploadId }));
      return true;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      // s3rver answers 405 MethodNotAllowed: it has no abort at all.
      if (
        err.name === 'NoSuchUpload' ||
        err.name === 'NotImplemented' ||
        status === 404 ||
        status === 405 ||
        status === 501
      )
        return true;
      return this.mapError(e, { op: 'AbortMultipartUpload', key });
    }
  }

  /**
   * A copy inside the server. With `replace`, the new object gets these headers and metadata
   * (MetadataDirective REPLACE: a renamed file's own Content-Type, mtime and mode); without, it
   * keeps the source's (COPY: what the trash wants), with `keep`'s storage class and encryption.
   * `ifMatch`: the source's expected ETag; the server refuses (412) if the object changed since.
   */
  async copy(from: string, to: string, o: CopyOptions): Promise<Stored> {
    const keep = o.keep ?? {};
    const r = await this.send(
      { op: 'CopyObject', from, to },
      () =>
        new CopyObjectCommand({
          Bucket: this.name,
          Key: to,
          CopySource: copySource(this.name, from),
          ...(o.ifMatch ? { CopySourceIfMatch: `"${o.ifMatch}"` } : {}),
          ...(o.replace
            ? { MetadataDirective: 'REPLACE' as const, ...settings(o.replace) }
            : {
                MetadataDirective: 'COPY' as const,
                ...(keep.storageClass ? { StorageClass: keep.storageClass as never } : {}),
                ...(keep.sse ? { ServerSideEncryption: keep.sse } : {}),
                ...(keep.kmsKeyId ? { SSEKMSKeyId: keep.kmsKeyId } : {}),
              }),
        }),
    );
    return stored(normalizeEtag(r.CopyObjectResult?.ETag) ?? (await this.etagByHead(to)), r.ServerSideEncryption);
  }

  /** One part of a multipart copy: bytes [start, end] of `from`, copied inside the server. */
  async uploadPartCopy({ from, key, uploadId, n, range, ifMatch }: PartCopy): Promise<string> {
    const op: S3Operation = { op: 'UploadPartCopy', from, key, part: n };
    const r = await this.send(
      op,
      () =>
        new UploadPartCopyCommand({
          Bucket: this.name,
          Key: key,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: copySource(this.name, from),
          CopySourceRange: `bytes=${range.start}-${range.end}`,
          ...(ifMatch ? { CopySourceIfMatch: `"${ifMatch}"` } : {}),
        }),
    );
    const etag = normalizeEtag(r.CopyPartResult?.ETag);
    if (!etag) throw mapS3Error(new Error('no ETag in CopyPartResult'), op);
    return etag;
  }

  /** One DeleteObjects call for at most 1000 keys; per-key failures are returned, not thrown. */
  async deleteMany(keys: readonly string[]): Promise<{ failed: Map<string, string> }> {
    if (keys.length > 1000) throw new Error(`deleteMany: ${keys.length} keys > 1000`);
    const r = await this.send(
      { op: 'DeleteObjects', keys: keys.length },
      () =>
        new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
    );
    const failed = new Map<string, string>();
    for (const er of r.Errors ?? []) if (er.Key) failed.set(er.Key, `${er.Code ?? 'Error'}: ${er.Message ?? ''}`);
    return { failed };
  }

  private async etagByHead(key: string): Promise<string> {
    const h = await this.head(key);
    if (!h?.etag) throw mapS3Error(new Error('object has no ETag after upload'), { op: 'HeadObject', key });
    return h.etag;
  }
}
