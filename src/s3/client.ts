import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createHash } from 'node:crypto';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { isThrottling, isTimeout } from './errors.js';
import { parseListPage, type ListPage } from './list-page.js';
import { getSchemaSerdePlugin, NodeHttpHandler, sdk } from './sdk.js';
import type { RequestCounter } from './counter.js';
import { fastConfig } from './fast-config.js';

const headersWaiters = new WeakMap<object, () => void>();

/**
 * Call `fn` once when the response to the command made with `input` starts to arrive: the server
 * is done with it, the client has yet to read and parse the body (a listing page: milliseconds).
 */
export function onResponseHeaders(input: object, fn: () => void): void {
  headersWaiters.set(input, fn);
}

/** Listing pages read by list-page.ts, by the input they were fetched with (null: not read yet). */
const directPages = new WeakMap<object, ListPage | null>();

/**
 * Have the page fetched with `input` read by list-page.ts rather than by the SDK's deserializer
 * (which then reads an empty page); takeListPage(input) returns it. A page list-page.ts does not
 * accept is left to the SDK, and takeListPage returns undefined.
 */
export function readListPageDirectly(input: object): void {
  directPages.set(input, null);
}

export function takeListPage(input: object): ListPage | undefined {
  const page = directPages.get(input);
  directPages.delete(input);
  return page ?? undefined;
}

async function collect(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export interface ClientOptions {
  concurrency: number;
  /** Test and bench override; production credentials come from the AWS default chain. */
  credentials?: S3ClientConfig['credentials'];
  /**
   * An attempt to `bucket` timed out (connect, or a socket idle past its timeout): called at once,
   * before the SDK's own retries of it, so a hung server is noticed within one timeout.
   */
  onAttemptTimeout?: (bucket: string, message: string) => void;
  /**
   * Asked before each attempt of `command` to `bucket`: an error returned fails the request at
   * once, unsent and not retried (a bucket found offline since the request began).
   */
  gate?: (bucket: string, command: string) => Error | undefined;
  /**
   * Before each attempt to `bucket`: wait for a place under its cap on attempts in flight (see
   * src/sync/throttle.ts); the function it resolves to is told how the attempt ended.
   */
  admit?: (bucket: string, command: string) => Promise<(outcome: 'ok' | 'throttled' | 'other') => void>;
  /** Attempts per request, the first included (default: the SDK's 3). */
  maxAttempts?: number;
  /** Connect and socket idle timeout (default 10 s and SOCKET_IDLE_TIMEOUT_MS): shorter for probes. */
  timeoutMs?: number;
}

/**
 * A socket that carries nothing for this long fails its request: a hung server is noticed within
 * 30 s (connect timeout included), yet a slow link that still moves bytes is never cut.
 */
const SOCKET_IDLE_TIMEOUT_MS = 20_000;

/** Times an attempt answered 503 SlowDown or 429 is sent again under its bucket's lowered cap. */
const THROTTLED_RESENDS = 8;

/**
 * One pooled client for the whole process: a keep-alive agent that keeps as many idle sockets as
 * the transfer concurrency needs, checksums only where S3 requires them (the SDK's default aws-chunked
 * CRC32 is mishandled by many S3-compatible servers), path-style for
 * custom endpoints when configured.
 */
export function createClient(cfg: Config['s3'], opts: ClientOptions, counter: RequestCounter): S3Client {
  // No cap on sockets in use: each pair's lanes and byte budgets bound its requests, and a shared
  // cap would let one pair's hung requests hold the sockets every other pair needs.
  const sockets = Math.max(opts.concurrency * 2, 8);
  const agentOpts = { keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: sockets };
  // A custom endpoint with no region anywhere: SigV4 still needs one, and us-east-1 is what
  // S3-compatible servers expect by default.
  const region =
    cfg.region ??
    (cfg.endpoint && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION ? 'us-east-1' : undefined);
  const client = new sdk.S3Client({
    ...(region ? { region } : {}),
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    forcePathStyle: cfg.forcePathStyle,
    requestChecksumCalculation: cfg.checksums,
    responseChecksumValidation: cfg.checksums,
    ...(cfg.profile ? { profile: cfg.profile } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    // The middleware stack is sorted and wired once per command class, not once per request: that
    // was a tenth of the client's CPU for small files. Nothing here changes the stack after start.
    cacheMiddleware: true,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOpts),
      httpsAgent: new HttpsAgent(agentOpts),
      connectionTimeout: opts.timeoutMs ?? 10_000,
      socketTimeout: opts.timeoutMs ?? SOCKET_IDLE_TIMEOUT_MS,
    }),
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counter.calls.set(name, (counter.calls.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 's3mirrorCountCalls' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      const bucket = (args.input as { Bucket?: unknown }).Bucket;
      for (let resend = 0; ; resend++) {
        counter.attempts.set(name, (counter.attempts.get(name) ?? 0) + 1);
        if (typeof bucket !== 'string') return next(args);
        const refused = opts.gate?.(bucket, name);
        if (refused) throw refused;
        const ended = await opts.admit?.(bucket, name);
        const op = name.replace(/Command$/, '');
        const began = performance.now();
        const took = () => (performance.now() - began) / 1000;
        try {
          const r = await next(args);
          ended?.('ok');
          counter.observe?.(op, took(), 'ok');
          return r;
        } catch (e) {
          const throttled = isThrottling(e);
          ended?.(throttled ? 'throttled' : 'other');
          counter.observe?.(op, took(), throttled ? 'throttled' : 'error');
          // The server asked for fewer requests at once, not for this one to fail: it goes again
          // once the lowered cap admits it, without using up one of the SDK's attempts.
          if (throttled && opts.admit && resend < THROTTLED_RESENDS) {
            await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** resend) * (0.5 + Math.random() / 2)));
            continue;
          }
          if (isTimeout(e)) opts.onAttemptTimeout?.(bucket, `ENDPOINT_UNREACHABLE: ${name}: ${(e as Error).message}`);
          throw e;
        }
      }
    },
    { step: 'finalizeRequest', name: 's3mirrorCountAttempts', priority: 'low' },
  );
  // Innermost: the HTTP response is in (status and headers; the body not read yet). Listings only.
  client.middlewareStack.add(
    (next, context) => {
      if (context.commandName !== 'ListObjectsV2Command') return next;
      return async (args) => {
        const r = await next(args);
        const input = args.input as object;
        const fn = headersWaiters.get(input);
        if (fn) {
          headersWaiters.delete(input);
          fn();
        }
        const res = r.response as { statusCode?: number; body?: unknown };
        if (directPages.has(input) && res.statusCode === 200 && res.body) {
          const bytes = await collect(res.body);
          const page = parseListPage(bytes.toString('utf8'));
          if (page) directPages.set(input, page);
          // The SDK reads an empty page instead, or the bytes it would have read.
          res.body = page ? Buffer.from('<ListBucketResult></ListBucketResult>') : bytes;
        }
        return r;
      };
    },
    { step: 'deserialize', name: 's3mirrorResponseHeaders', priority: 'low' },
  );
  // SigV4 hashes every in-memory body with SHA-256 for the signature: a second full pass over the
  // bytes (0.37 s of client CPU per 512 MiB, measured) on top of the MD5 we already computed. A
  // body that carries Content-MD5 is protected by it instead: the header is signed, AWS, RGW and
  // MinIO check it, and Transfers compares the ETag that comes back with the MD5 sent, for servers
  // that do not. `s3.signPayload: true` keeps the SHA-256 (a bucket policy may demand it).
  client.middlewareStack.add(
    (next, context) => {
      if (
        cfg.signPayload ||
        (context.commandName !== 'PutObjectCommand' && context.commandName !== 'UploadPartCommand')
      )
        return next;
      return async (args) => {
        const req = args.request as { headers?: Record<string, string>; body?: unknown };
        const headers = req.headers;
        // Only a Buffer body whose payload hash nobody has set (a streamed, aws-chunked body has its own).
        if (
          headers?.['content-md5'] &&
          ArrayBuffer.isView(req.body) &&
          !Object.keys(headers).some((h) => h.toLowerCase() === 'x-amz-content-sha256')
        ) {
          headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        }
        return next(args);
      };
    },
    { step: 'build', name: 's3mirrorUnsignedPayload', priority: 'low' },
  );
  // Some servers insist on Content-MD5 for DeleteObjects even when a CRC32 is present.
  client.middlewareStack.add(
    (next, context) => {
      if (context.commandName !== 'DeleteObjectsCommand') return next;
      return async (args) => {
        const req = args.request as { headers?: Record<string, string>; body?: unknown };
        if (req.headers && typeof req.body === 'string')
          req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
        return next(args);
      };
    },
    { step: 'build', name: 's3mirrorDeleteMd5', priority: 'low' },
  );
  // Serialising, deserialising and resolving the endpoint each spread the config (see fast-config.ts):
  // the serde middleware (the client's, replaced by name) and the commands get the fast copy.
  const fast = fastConfig(client.config);
  client.middlewareStack.use(getSchemaSerdePlugin(fast));
  (client as { config: S3Client['config'] }).config = fast;
  return client;
}
