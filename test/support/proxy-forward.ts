// The fault proxy's (proxy.ts) way through to the server: the request as received, its body
// streamed on, or cut, or damaged, and the answer streamed back (rewritten for the kms fault).
import { createHash } from 'node:crypto';
import {
  type Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { ProxiedRequest } from './proxy-faults.js';
import type { SharedLink } from './proxy-link.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

function forwardHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

// The kms fault's ETags: opaque (not the MD5) but stable, so listings, HEADs and writes agree.
const opaque = (real: string): string => createHash('md5').update(`kms:${real}`).digest('hex');
const toOpaque = (text: string): string =>
  text.replace(/(<ETag>(?:&quot;|&#34;|")?)([0-9a-f]{32})/g, (_m, pre: string, hex: string) => pre + opaque(hex));

/** Forwards to `upstream`: cut after `cutAfter` request-body bytes, or its first byte flipped, or with kms ETags. */
export type Forward = (
  req: IncomingMessage,
  res: ServerResponse,
  info: ProxiedRequest,
  cutAfter?: number,
  corrupt?: boolean,
  kms?: boolean,
) => void;

/** `link()`: the slow uplink request bodies pass through, if one is set and applies. */
export function forwarder(upstream: URL, agent: Agent, link: () => SharedLink | null = () => null): Forward {
  return function forward(req, res, info, cutAfter, corrupt = false, kms = false) {
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
    const slow = link();
    if (cutAfter === undefined && slow?.applies(info)) {
      req.on('data', (chunk: Buffer) => {
        req.pause();
        void slow.pass(chunk.length).then(() => {
          if (done) return;
          if (up.write(chunk)) req.resume();
          else up.once('drain', () => req.resume());
        });
      });
      req.on('end', () => {
        // The last chunk may still be on the link: end once it has passed.
        void slow.pass(0).then(() => {
          if (!done) up.end();
        });
      });
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
  };
}
