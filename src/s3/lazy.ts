// The SDK is loaded (and its clients built) at the first request, never at start: a pass that
// trusts its journal and finds nothing changed sends nothing, and so never pays for loading it.
import type {
  Bucket,
  BucketProvider,
  CopyOptions,
  ListOptions,
  ObjectSettings,
  PartCopy,
  PartUpload,
} from '../bucket.js';
import type { Config } from '../config.js';
import type { ClientOptions } from './client.js';
import type { RequestCounter } from './counter.js';

export interface LazyClients {
  s3: Config['s3'];
  /** The pooled client's options, and the probe client's (bucket checks). */
  client: ClientOptions;
  probe: ClientOptions;
  counter: RequestCounter;
}

/** Buckets over the SDK, built when the first request needs one. */
export class LazyS3Buckets implements BucketProvider {
  private provider: Promise<BucketProvider> | undefined;
  private readonly byName = new Map<string, Bucket>();
  private closed = false;

  constructor(private readonly c: LazyClients) {}

  /** Loaded once; whatever the first caller started, every later one waits for. */
  private load(): Promise<BucketProvider> {
    this.provider ??= Promise.all([import('./client.js'), import('./buckets.js')]).then(([client, buckets]) => {
      const p = new buckets.S3Buckets(
        client.createClient(this.c.s3, this.c.client, this.c.counter),
        client.createClient(this.c.s3, this.c.probe, this.c.counter),
      );
      // Closed while loading: the clients are freed as soon as they exist.
      if (this.closed) p.close();
      return p;
    });
    return this.provider;
  }

  bucket(name: string): Bucket {
    let b = this.byName.get(name);
    if (!b) {
      b = lazyBucket(name, async () => (await this.load()).bucket(name));
      this.byName.set(name, b);
    }
    return b;
  }

  close(): void {
    this.closed = true;
    void this.provider?.then((p) => p.close());
  }
}

function lazyBucket(name: string, real: () => Promise<Bucket>): Bucket {
  return {
    name,
    check: async () => (await real()).check(),
    list: async (prefix: string, opts?: ListOptions) => (await real()).list(prefix, opts),
    head: async (key: string) => (await real()).head(key),
    get: async (key: string) => (await real()).get(key),
    put: async (key: string, body: Buffer, md5Hex: string, s: ObjectSettings) =>
      (await real()).put(key, body, md5Hex, s),
    createMultipart: async (key: string, s: ObjectSettings, encryption?: (sse: string | undefined) => void) =>
      (await real()).createMultipart(key, s, encryption),
    uploadPart: async (p: PartUpload) => (await real()).uploadPart(p),
    completeMultipart: async (key: string, uploadId: string, parts: readonly { n: number; etag: string }[]) =>
      (await real()).completeMultipart(key, uploadId, parts),
    listParts: async (key: string, uploadId: string) => (await real()).listParts(key, uploadId),
    listUploads: async (prefix: string) => (await real()).listUploads(prefix),
    abortMultipart: async (key: string, uploadId: string) => (await real()).abortMultipart(key, uploadId),
    copy: async (from: string, to: string, o: CopyOptions) => (await real()).copy(from, to, o),
    uploadPartCopy: async (p: PartCopy) => (await real()).uploadPartCopy(p),
    deleteMany: async (keys: readonly string[]) => (await real()).deleteMany(keys),
  };
}
