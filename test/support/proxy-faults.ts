// The faults the proxy (proxy.ts) injects, one at a time, replaced by setFault:
//   { kind: 'status', status: 503 }     answer an S3-style XML error without forwarding
//                                        (503 SlowDown, 500 InternalError, others ServiceUnavailable;
//                                        `headers` adds response headers, e.g. x-amz-bucket-region)
//   { kind: 'drop' }                    destroy the client's socket without answering
//   { kind: 'delay', ms: 2000 }         wait, then forward
//   { kind: 'cut', afterBytes: 1000 }   forward, but after that many request-body bytes destroy
//                                        both connections (a body shorter than that goes through)
//   { kind: 'corrupt' }                 forward with the first request-body byte flipped (a link
//                                        that damages data, headers and signature intact)
//   { kind: 'overload', above: 4 }     answer 503 SlowDown to a request that arrives while more
//                                        than `above` requests are open (itself included), like a
//                                        server that sheds load; the others are forwarded
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
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { S3Op } from './proxy-classify.js';

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
    | { kind: 'overload'; above: number }
    | { kind: 'kms' }
  );

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

/** Answers `f` as S3 would, after reading the request body, without forwarding the request. */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  info: ProxiedRequest,
  f: Extract<Fault, { kind: 'status' }>,
  requestId: string,
): void {
  const { code, message } = statusError(f.status, f.code);
  const body = errorXml(code, message, info.path, requestId);
  req.on('error', () => req.socket.destroy());
  req.resume();
  req.on('end', () => {
    res.writeHead(f.status, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(body),
      'x-amz-request-id': requestId,
      ...(f.status === 503 ? { 'retry-after': '0' } : {}),
      ...f.headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}
