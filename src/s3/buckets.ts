// src/s3/: implements the Bucket interface (src/bucket.ts) over the AWS SDK, the only code that imports it.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Bucket, BucketProvider } from '../bucket.js';
import { S3Bucket } from './bucket.js';

/** Buckets by name over the one pooled keep-alive client they share. */
export class S3Buckets implements BucketProvider {
  private readonly byName = new Map<string, Bucket>();

  /** `probeClient` checks buckets (one attempt per check, retried by the caller's own schedule). */
  constructor(
    readonly client: S3Client,
    private readonly probeClient: S3Client = client,
  ) {}

  bucket(name: string): Bucket {
    let b = this.byName.get(name);
    if (!b) {
      b = new S3Bucket(this.client, name, this.probeClient);
      this.byName.set(name, b);
    }
    return b;
  }

  close(): void {
    this.client.destroy();
    if (this.probeClient !== this.client) this.probeClient.destroy();
  }
}
