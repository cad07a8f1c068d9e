// src/s3/: implements the Bucket interface (src/bucket.ts) over the AWS SDK, the only code that imports it.
import type { S3Client } from '@aws-sdk/client-s3';
import type {
  Bucket,
  BucketProvider,
  CopyOptions,
  ListOptions,
  ObjectSettings,
  PartCopy,
  PartUpload,
} from '../bucket.js';
import { S3Store } from './store.js';

/** One bucket over the shared SDK client: the S3Store calls with the bucket name bound. */
class S3Bucket implements Bucket {
  constructor(
    private readonly store: S3Store,
    readonly name: string,
  ) {}

  check() {
    return this.store.checkBucket(this.name);
  }
  list(prefix: string, opts?: ListOptions) {
    return this.store.list(this.name, prefix, opts);
  }
  head(key: string) {
    return this.store.head(this.name, key);
  }
  put(key: string, body: Buffer, md5Hex: string, s: ObjectSettings) {
    return this.store.put(this.name, key, body, md5Hex, s);
  }
  createMultipart(key: string, s: ObjectSettings) {
    return this.store.createMultipart(this.name, key, s);
  }
  uploadPart(p: PartUpload) {
    return this.store.uploadPart(this.name, p);
  }
  completeMultipart(key: string, uploadId: string, parts: readonly { n: number; etag: string }[]) {
    return this.store.completeMultipart(this.name, key, uploadId, parts);
  }
  abortMultipart(key: string, uploadId: string) {
    return this.store.abortMultipart(this.name, key, uploadId);
  }
  copy(from: string, to: string, o: CopyOptions) {
    return this.store.copy(this.name, from, to, o);
  }
  uploadPartCopy(p: PartCopy) {
    return this.store.uploadPartCopy(this.name, p);
  }
  deleteMany(keys: readonly string[]) {
    return this.store.deleteMany(this.name, keys);
  }
}

/** The SDK implementation of the bucket seam: every bucket shares one pooled keep-alive client. */
export class S3Buckets implements BucketProvider {
  readonly store: S3Store;
  private readonly byName = new Map<string, Bucket>();

  constructor(client: S3Client) {
    this.store = new S3Store(client);
  }

  bucket(name: string): Bucket {
    let b = this.byName.get(name);
    if (!b) {
      b = new S3Bucket(this.store, name);
      this.byName.set(name, b);
    }
    return b;
  }

  close(): void {
    this.store.client.destroy();
  }
}
