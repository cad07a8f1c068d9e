// A counting, fault-injecting HTTP proxy to put between an S3 client and the test server
// (faults come from the network, not from SDK mocks, so the SDK's own retries and parsing are tested).
//
// It forwards every request to `target` unchanged — method, path, query, headers including Host
// (the client signed SigV4 for the proxy's host:port, and a server that validates signatures
// computes them from the Host header it receives, so leaving it alone keeps them valid) — and
// streams bodies both ways. Each request is classified into an S3 operation name (path-style URLs,
// /bucket/key) and counted, faulted or not.
//
// Faults (one at a time, replaced by setFault):
//   { kind: 'status', status: 503 }     answer an S3-style XML error without forwarding
//                                        (503 SlowDown, 500 InternalError, others ServiceUnavailable;
//                                        `headers` adds response headers, e.g. x-amz-bucket-region)
//   { kind: 'drop' }                    destroy the client's socket without answering
//   { kind: 'delay', ms: 2000 }         wait, then forward
//   { kind: 'cut', afterBytes: 1000 }   forward, but after that many request-body bytes destroy
//                                        both connections (a body shorter than that goes through)
//   { kind: 'corrupt' }                 forward with the first request-body byte flipped (a link
//                                        that damages data, headers and signature intact)
//   { kind: 'hook', before }            await `before(request)` (e.g. another writer's change),
//                                        then forward: a race made to happen, no timing involved
//   { kind: 'kms' }                     a bucket with default SSE-KMS: responses say
//                                        x-amz-server-side-encryption: aws:kms and the ETags of
//                                        objects (headers, listings, copy and complete results)
//                                        become stable values that are not the content's MD5.
//                                        Requests pass unchanged: a server that validates SigV4
//                                        (RGW) refuses any whose signed headers or payload hash
//                                        were rewritten. So part ETags (UploadPart, UploadPartCopy)
//                                        stay real, and CompleteMultipartUpload names the real
//                                        ones (the memory bucket's default SSE-KMS covers opaque
//                                        part ETags); and a copy's x-amz-copy-source-if-match
//                                        reaches the server naming a made-up ETag, which only a
//                                        server that ignores it on copy (s3rver, Debian's RGW)
//                                        lets through: against MinIO or AWS the fault's renames
//                                        are refused and fall back to uploads
// Every fault takes `match(op, request)` (default: every request) and `times` (default:
// unlimited), the number of matching requests it applies to before it goes inert.
import { createHash } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type S3Op = string;

export interface ProxiedRequest {
  op: S3Op;
  method: string;
  /** Decoded-as-received path, e.g. /bucket/dir/file.txt (still percent-encoded). */
  path: string;
  /** Raw query string without the leading '?', '' if none. */
  query: string;
  /** Request headers as received (lower-case names). */
  headers: IncomingHttpHeaders;
}

interface FaultCommon {
  /** Which requests the fault applies to; default all. */
  match?: (op: S3Op, req: ProxiedRequest) => boolean;
  /** How many matching requests it applies to; default unlimited. */
  times?: number;
}

export type Fault = FaultCommon &
  (
    | { kind: 'status'; status: number; code?: string; headers?: Record<string, string> }
    | { kind: 'drop' }
    | { kind: 'delay'; ms: number }
    | { kind: 'cut'; afterBytes: number }
    | { kind: 'corrupt' }
    | { kind: 'hook'; before: (req: ProxiedRequest) => Promise<void> }
    | { kind: 'kms' }
  );

export interface FaultProxy {
  endpoint: string;
  /** Requests received per operation, faulted ones included. */
  counts: Map<S3Op, number>;
  /** Every request received, in arrival order. */
  requests: ProxiedRequest[];
  setFault(f: Fault | null): void;
  /** How many requests the faults set so far have been applied to. */
  injected(): number;
  /** Requests received and not yet answered (or given up). */
  pending(): number;
  /** Clears counts and requests (not the fault). */
  reset(): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

const BUCKET_SUBRESOURCES = [
  'acl',
  'cors',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'policy',
  'replication',
  'requestPayment',
  'tagging',
  'versioning',
  'website',
  'encryption',
  'accelerate',
  'analytics',
  'inventory',
  'metrics',
  'ownershipControls',
  'publicAccessBlock',
  'object-lock',
] as const;

function cap(s: string): string {
  return s.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** The S3 operation a path-style request stands for. */
export function classify(method: string, url: string, headers: IncomingHttpHeaders = {}): S3Op {
  const qIndex = url.indexOf('?');
  const path = qIndex < 0 ? url : url.slice(0, qIndex);
  const q = new URLSearchParams(qIndex < 0 ? '' : url.slice(qIndex + 1));
  const m = method.toUpperCase();
  const rest = path.replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  const copy = headers['x-amz-copy-source'] !== undefined;

  if (!bucket) return m === 'GET' ? 'ListBuckets' : `${m} /`;

  if (!key) {
    const sub = BUCKET_SUBRESOURCES.find((s) => q.has(s));
    switch (m) {
      case 'HEAD':
        return 'HeadBucket';
      case 'GET':
        if (q.get('list-type') === '2') return 'ListObjectsV2';
        if (q.has('uploads')) return 'ListMultipartUploads';
        if (q.has('versions')) return 'ListObjectVersions';
        if (sub === 'location') return 'GetBucketLocation';
        if (sub) return `GetBucket${cap(sub)}`;
        return 'ListObjects';
      case 'PUT':
        return sub ? `PutBucket${cap(sub)}` : 'CreateBucket';
      case 'DELETE':
        return sub ? `DeleteBucket${cap(sub)}` : 'DeleteBucket';
      case 'POST':
        return q.has('delete') ? 'DeleteObjects' : 'POST bucket';
      default:
        return `${m} bucket`;
    }
  }

  switch (m) {
    case 'PUT':
      if (q.has('uploadId') && q.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      if (copy) return 'CopyObject';
      if (q.has('tagging')) return 'PutObjectTagging';
      if (q.has('acl')) return 'PutObjectAcl';
      return 'PutObject';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'POST object';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'GET':
      if (q.has('uploadId')) return 'ListParts';
      if (q.has('tagging')) return 'GetObjectTagging';
      if (q.has('acl')) return 'GetObjectAcl';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    default:
      return `${m} object`;
  }
}

function errorXml(code: string, message: string, resource: string, requestId: string): string {
  const esc = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message>` +
    `<Resource>${esc(resource)}</Resource><RequestId>${esc(requestId)}</RequestId></Error>`
  );
}

function statusError(status: number, code?: string): { code: string; message: string } {
  if (code) return { code, message: `Injected ${code}` };
  if (status === 503) return { code: 'SlowDown', message: 'Please reduce your request rate.' };
  if (status === 500) return { code: 'InternalError', message: 'We encountered an internal error. Please try again.' };
  return { code: 'ServiceUnavailable', message: 'Injected error.' };
}

function forwardHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

export async function startProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:') throw new Error(`proxy supports http targets only, got ${target}`);
  // No keep-alive upstream: a pooled socket the server closed while idle would fail the next
  // request and the client's retry would show up as an extra count.
  const agent = new Agent({ keepAlive: false });
  const counts = new Map<S3Op, number>();
  const requests: ProxiedRequest[] = [];
  let fault: Fault | null = null;
  let remaining = Infinity;
  let injected = 0;
  let open = 0;
  let seq = 0;
  const sockets = new Set<Socket>();

  function takeFault(req: ProxiedRequest): Fault | null {
    if (!fault || remaining <= 0) return null;
    if (fault.match && !fault.match(req.op, req)) return null;
    remaining--;
    injected++;
    return fault;
  }

  // The kms fault's ETags: opaque (not the MD5) but stable, so listings, HEADs and writes agree.
  const opaque = (real: string): string => createHash('md5').update(`kms:${real}`).digest('hex');
  const toOpaque = (text: string): string =>
    text.replace(/(<ETag>(?:&quot;|&#34;|")?)([0-9a-f]{32})/g, (_m, pre: string, hex: string) => pre + opaque(hex));

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    info: ProxiedRequest,
    cutAfter?: number,
    corrupt = false,
    kms = false,
  ): void {
    const headers = forwardHeaders(req.headers); // Host included, unchanged
    const up = httpRequest({
      protocol: 'http:',
      hostname: upstream.hostname,
      port: upstream.port || 80,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    let done = false;
    const abortBoth = (): void => {
      if (done) return;
      done = true;
      up.destroy();
      req.socket.destroy();
    };
    up.on('error', abortBoth);
    req.on('error', abortBoth);
    res.on('close', () => {
      if (!res.writableFinished) abortBoth(); // client went away mid-request
    });
    up.on('response', (upRes) => {
      const headers = forwardHeaders(upRes.headers);
      upRes.on('error', abortBoth);
      if (kms) headers['x-amz-server-side-encryption'] = 'aws:kms';
      // Part ETags stay real: CompleteMultipartUpload sends them back, and its body is signed.
      if (kms && info.op !== 'UploadPart' && info.op !== 'UploadPartCopy') {
        if (typeof headers.etag === 'string') headers.etag = toOpaque(`<ETag>${headers.etag}`).slice('<ETag>'.length);
        if (String(headers['content-type'] ?? '').includes('xml')) {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => {
            const body = Buffer.from(toOpaque(Buffer.concat(chunks).toString('utf8')));
            headers['content-length'] = String(body.length);
            delete headers['transfer-encoding'];
            res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, headers);
            res.end(body);
          });
          return;
        }
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, headers);
      upRes.pipe(res);
    });

    if (corrupt) {
      let first = true;
      req.on('data', (chunk: Buffer) => {
        if (first && chunk.length) {
          first = false;
          chunk = Buffer.from(chunk);
          chunk[0] = chunk[0]! ^ 0xff;
        }
        if (!up.write(chunk)) {
          req.pause();
          up.once('drain', () => req.resume());
        }
      });
      req.on('end', () => up.end());
      return;
    }
    if (cutAfter === undefined) {
      req.pipe(up);
      return;
    }
    let sent = 0;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      if (sent + chunk.length <= cutAfter) {
        sent += chunk.length;
        if (!up.write(chunk)) {
          req.pause();
          up.once('drain', () => req.resume());
        }
        return;
      }
      const head = chunk.subarray(0, cutAfter - sent);
      sent = cutAfter;
      req.pause();
      up.write(head, () => setTimeout(abortBoth, 20));
    });
    req.on('end', () => {
      if (!done) up.end();
    });
  }

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const qIndex = url.indexOf('?');
    const info: ProxiedRequest = {
      op: classify(req.method ?? 'GET', url, req.headers),
      method: req.method ?? 'GET',
      path: qIndex < 0 ? url : url.slice(0, qIndex),
      query: qIndex < 0 ? '' : url.slice(qIndex + 1),
      headers: req.headers,
    };
    requests.push(info);
    open++;
    res.once('close', () => open--);
    counts.set(info.op, (counts.get(info.op) ?? 0) + 1);

    const f = takeFault(info);
    if (!f) return forward(req, res, info);
    switch (f.kind) {
      case 'status': {
        const { code, message } = statusError(f.status, f.code);
        const body = errorXml(code, message, info.path, `proxy-${++seq}`);
        req.on('error', () => req.socket.destroy());
        req.resume();
        req.on('end', () => {
          res.writeHead(f.status, {
            'content-type': 'application/xml',
            'content-length': Buffer.byteLength(body),
            'x-amz-request-id': `proxy-${seq}`,
            ...(f.status === 503 ? { 'retry-after': '0' } : {}),
            ...f.headers,
          });
          res.end(req.method === 'HEAD' ? undefined : body);
        });
        return;
      }
      case 'drop':
        req.socket.destroy();
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          if (!req.socket.destroyed) forward(req, res, info);
        }, f.ms);
        res.once('close', () => clearTimeout(timer)); // client gave up while we waited
        return;
      }
      case 'cut':
        return forward(req, res, info, f.afterBytes);
      case 'corrupt':
        return forward(req, res, info, undefined, true);
      case 'hook':
        void f.before(info).then(
          () => forward(req, res, info),
          () => req.socket.destroy(),
        );
        return;
      case 'kms':
        return forward(req, res, info, undefined, false, true);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  // Longer than any test's idle gap, so the client never reuses a socket we just closed (that too
  // would turn into a retry and an extra count); close() destroys the sockets anyway.
  server.keepAliveTimeout = 120_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    requests,
    setFault(f) {
      fault = f;
      remaining = f?.times ?? Infinity;
    },
    injected: () => injected,
    pending: () => open,
    reset() {
      counts.clear();
      requests.length = 0;
    },
    close() {
      return (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
      }));
    },
  };
}
