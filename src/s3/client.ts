import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createHash } from 'node:crypto';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { NodeHttpHandler, sdk } from './sdk.js';

/** Requests per command name, counted once per call and once per HTTP attempt (retries included). */
export class RequestCounter {
  readonly calls = new Map<string, number>();
  readonly attempts = new Map<string, number>();
  bytesSent = 0;

  total(map: 'calls' | 'attempts' = 'attempts'): number {
    let n = 0;
    for (const v of this[map].values()) n += v;
    return n;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.attempts);
  }
}

const headersWaiters = new WeakMap<object, () => void>();

/**
 * Call `fn` once when the response to the command made with `input` starts to arrive: the server
 * is done with it, the client has yet to read and parse the body (a listing page: milliseconds).
 */
export function onResponseHeaders(input: object, fn: () => void): void {
  headersWaiters.set(input, fn);
}

export interface ClientOptions {
  concurrency: number;
  /** Test and bench override; production credentials come from the AWS default chain. */
  credentials?: S3ClientConfig['credentials'];
}

/**
 * One pooled client for the whole process: a keep-alive agent whose socket pool matches the
 * transfer concurrency, checksums only where S3 requires them (DESIGN §5), path-style for
 * custom endpoints when configured.
 */
export function createClient(cfg: Config['s3'], opts: ClientOptions, counter: RequestCounter): S3Client {
  const sockets = Math.max(opts.concurrency * 2, 8);
  const agentOpts = { keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets };
  // A custom endpoint with no region anywhere: SigV4 still needs one, and us-east-1 is what
  // S3-compatible servers expect by default.
  const region = cfg.region ?? (cfg.endpoint && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION ? 'us-east-1' : undefined);
  const client = new sdk.S3Client({
    ...(region ? { region } : {}),
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    forcePathStyle: cfg.forcePathStyle,
    requestChecksumCalculation: cfg.checksums,
    responseChecksumValidation: cfg.checksums,
    ...(cfg.profile ? { profile: cfg.profile } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOpts),
      httpsAgent: new HttpsAgent(agentOpts),
      connectionTimeout: 10_000,
      requestTimeout: 300_000,
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
      counter.attempts.set(name, (counter.attempts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'finalizeRequest', name: 's3mirrorCountAttempts', priority: 'low' },
  );
  // Innermost: the HTTP response is in (status and headers; the body not read yet). Listings only.
  client.middlewareStack.add(
    (next, context) => {
      if (context.commandName !== 'ListObjectsV2Command') return next;
      return async (args) => {
        const r = await next(args);
        const fn = headersWaiters.get(args.input as object);
        if (fn) {
          headersWaiters.delete(args.input as object);
          fn();
        }
        return r;
      };
    },
    { step: 'deserialize', name: 's3mirrorResponseHeaders', priority: 'low' },
  );
  // Some servers insist on Content-MD5 for DeleteObjects even when a CRC32 is present (DESIGN §5).
  client.middlewareStack.add(
    (next, context) => {
      if (context.commandName !== 'DeleteObjectsCommand') return next;
      return async (args) => {
        const req = args.request as { headers?: Record<string, string>; body?: unknown };
        if (req.headers && typeof req.body === 'string') req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
        return next(args);
      };
    },
    { step: 'build', name: 's3mirrorDeleteMd5', priority: 'low' },
  );
  return client;
}
