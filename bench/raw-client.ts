// The raw-client baseline: plain @aws-sdk/client-s3 PutObject of every file, each file
// one PUT, `concurrency` in flight over a keep-alive agent; no diffing, no MD5, no journal. (The
// SDK still SHA-256s every Buffer body for its SigV4 signature: x-amz-content-sha256 is the hash.)
// Self-contained (node + SDK imports only): run.ts transpiles it to plain JS so it runs under bare
// `node` exactly like dist/cli.js, with the same rusage hook.
//
//   node --import ./bench/rusage-hook.mjs raw-client.mjs <manifest.json>
//   manifest: { endpoint, region, bucket, concurrency, files: [[absPath, key], ...],
//               shape?: 's3mirror',  — diagnostics only: also send Content-MD5, Content-Type and
//                 the three x-amz-meta-* headers s3mirror sends, to price the request shape itself
//               partSize?: N }       — multipart uploads with N-byte parts, `concurrency` parts in
//                 flight over all files: the server's multipart ceiling (W3's reference row)
//   stdout:   { puts, bytes, requests: { [command name]: attempts }, errors, firstError? }
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

interface Manifest {
  endpoint: string;
  region: string;
  bucket: string;
  concurrency: number;
  files: [string, string][];
  shape?: 's3mirror';
  partSize?: number;
}

const m = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Manifest;
const agent = new Agent({ keepAlive: true, maxSockets: m.concurrency, maxFreeSockets: m.concurrency });
const client = new S3Client({
  endpoint: m.endpoint,
  region: m.region,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  requestHandler: new NodeHttpHandler({ httpAgent: agent, connectionTimeout: 10_000, requestTimeout: 300_000 }),
});
const requests: Record<string, number> = {};
client.middlewareStack.add(
  (next, context) => async (args) => {
    requests[context.commandName!] = (requests[context.commandName!] ?? 0) + 1;
    return next(args);
  },
  { step: 'finalizeRequest', name: 'benchCountAttempts', priority: 'low' },
);

let next = 0;
let puts = 0;
let bytes = 0;
let errors = 0;
let firstError: string | undefined;

async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    if (i >= m.files.length) return;
    const [abs, key] = m.files[i]!;
    try {
      const body = await readFile(abs);
      const extra =
        m.shape === 's3mirror'
          ? {
              ContentMD5: createHash('md5').update(body).digest('base64'),
              ContentType: 'application/octet-stream',
              Metadata: {
                md5: createHash('md5').update(body).digest('hex'),
                mtime: '1764000000000000000',
                mode: '644',
              },
            }
          : {};
      await client.send(
        new PutObjectCommand({ Bucket: m.bucket, Key: key, Body: body, ContentLength: body.length, ...extra }),
      );
      puts++;
      bytes += body.length;
    } catch (e) {
      errors++;
      firstError ??= `${key}: ${(e as Error).name}: ${(e as Error).message}`;
    }
  }
}

async function multipart(partSize: number): Promise<void> {
  const tasks: { file: number; n: number; start: number; len: number }[] = [];
  const uploads = await Promise.all(
    m.files.map(async ([abs, key], file) => {
      const fh = await open(abs, 'r');
      const size = (await fh.stat()).size;
      for (let n = 1, start = 0; start < size; n++, start += partSize)
        tasks.push({ file, n, start, len: Math.min(partSize, size - start) });
      const r = await client.send(new CreateMultipartUploadCommand({ Bucket: m.bucket, Key: key }));
      return { fh, key, size, id: r.UploadId!, parts: [] as { PartNumber: number; ETag: string }[] };
    }),
  );
  let t = 0;
  const partWorker = async () => {
    for (;;) {
      const task = tasks[t++];
      if (!task) return;
      const u = uploads[task.file]!;
      const body = Buffer.allocUnsafe(task.len);
      for (let off = 0; off < task.len; )
        off += (await u.fh.read(body, off, task.len - off, task.start + off)).bytesRead;
      const md5 = m.shape === 's3mirror' ? { ContentMD5: createHash('md5').update(body).digest('base64') } : {};
      const r = await client.send(
        new UploadPartCommand({
          Bucket: m.bucket,
          Key: u.key,
          UploadId: u.id,
          PartNumber: task.n,
          Body: body,
          ContentLength: task.len,
          ...md5,
        }),
      );
      u.parts.push({ PartNumber: task.n, ETag: r.ETag! });
      bytes += task.len;
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, partWorker));
  for (const u of uploads) {
    u.parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: m.bucket,
        Key: u.key,
        UploadId: u.id,
        MultipartUpload: { Parts: u.parts },
      }),
    );
    await u.fh.close();
    puts++;
  }
}

if (m.partSize) {
  try {
    await multipart(m.partSize);
  } catch (e) {
    errors++;
    firstError = `${(e as Error).name}: ${(e as Error).message}`;
  }
} else await Promise.all(Array.from({ length: Math.min(m.concurrency, m.files.length) }, worker));
client.destroy();
process.stdout.write(`${JSON.stringify({ puts, bytes, requests, errors, ...(firstError ? { firstError } : {}) })}\n`);
process.exit(errors ? 1 : 0);
