// A plain S3 client for tests, independent of src/s3: tests use it to prepare buckets and to check
// what actually landed on the server, so a bug in the code under test cannot hide itself.
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { testEnv } from './s3server.js';

export interface ListedObject {
  key: string;
  size: number;
  /** Without surrounding quotes. */
  etag: string;
}

export interface ClientOptions {
  /** Defaults to the test endpoint; pass a proxy's endpoint to route through it. */
  endpoint?: string;
  /** SDK attempts per call (default 3, the SDK's own default). */
  maxAttempts?: number;
}

/** A fresh S3Client for the test endpoint (path-style, checksums only when an operation requires one). */
export function independentClient(options: ClientOptions = {}): S3Client {
  const env = testEnv();
  const client = new S3Client({
    endpoint: options.endpoint ?? env.endpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  });
  // Some servers insist on Content-MD5 for DeleteObjects even when a CRC32 is sent.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { headers?: Record<string, string>; body?: unknown };
      if (context.commandName === 'DeleteObjectsCommand' && req.headers && typeof req.body === 'string') {
        req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'testDeleteObjectsMd5', priority: 'low' },
  );
  return client;
}

let shared: S3Client | undefined;
function defaultClient(): S3Client {
  return (shared ??= independentClient());
}

/**
 * A bucket name no other test (or earlier run) uses: `<prefix>-<time>-<random>`, lowercase,
 * only [a-z0-9-], at most 63 characters.
 */
export function uniqueBucket(prefix = 'test'): string {
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  let clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63 - suffix.length - 1)
    .replace(/-+$/, '');
  if (!clean) clean = 't';
  return `${clean}-${suffix}`;
}

/** Creates the bucket and returns its name. */
export async function createBucket(name: string, client: S3Client = defaultClient()): Promise<string> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** Every object under `prefix`, across all ListObjectsV2 pages, in listing (key) order. */
export async function listAll(
  bucket: string,
  prefix?: string,
  client: S3Client = defaultClient(),
): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const obj of page.Contents ?? []) {
      out.push({ key: obj.Key ?? '', size: obj.Size ?? 0, etag: (obj.ETag ?? '').replace(/"/g, '') });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated && !token) throw new Error(`ListObjectsV2 on ${bucket}: truncated page without a token`);
  } while (token);
  return out;
}

/** Downloads the object and returns the hex MD5 of its bytes. */
export async function getObjectMd5(bucket: string, key: string, client: S3Client = defaultClient()): Promise<string> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!res.Body) throw new Error(`GetObject ${bucket}/${key}: no body`);
  const bytes = await res.Body.transformToByteArray();
  return createHash('md5').update(bytes).digest('hex');
}

/** Downloads the object's bytes. */
export async function getObjectBytes(bucket: string, key: string, client: S3Client = defaultClient()): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!res.Body) throw new Error(`GetObject ${bucket}/${key}: no body`);
  return Buffer.from(await res.Body.transformToByteArray());
}

/**
 * Deletes every object, then the bucket. Tolerates s3rver's habit of answering 500 to a
 * DeleteObjects batch that empties a "directory" (the objects are gone anyway): it re-lists and
 * deletes one by one whatever is left.
 */
export async function emptyAndDeleteBucket(bucket: string, client: S3Client = defaultClient()): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const objects = await listAll(bucket, undefined, client);
    if (objects.length === 0) break;
    if (round === 0) {
      for (let i = 0; i < objects.length; i += 1000) {
        const batch = objects.slice(i, i + 1000).map((o) => ({ Key: o.key }));
        try {
          await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
        } catch {
          // checked by the next listing
        }
      }
    } else {
      for (const o of objects) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
    }
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
