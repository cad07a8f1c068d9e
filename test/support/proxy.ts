// A counting, fault-injecting HTTP proxy to put between an S3 client and the test server
// (faults come from the network, not from SDK mocks, so the SDK's own retries and parsing are tested).
//
// It forwards every request to `target` unchanged — method, path, query, headers including Host
// (the client signed SigV4 for the proxy's host:port, and a server that validates signatures
// computes them from the Host header it receives, so leaving it alone keeps them valid) — and
// streams bodies both ways. Each request is classified into an S3 operation name (path-style URLs,
// /bucket/key) and counted, faulted or not.
//
// The faults and what each one does are described in proxy-faults.ts.
import { Agent, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { classify, type S3Op } from './proxy-classify.js';
import { sendError, type Fault, type ProxiedRequest } from './proxy-faults.js';
import { forwarder } from './proxy-forward.js';
import { type LinkLimit, SharedLink } from './proxy-link.js';

export { classify, type S3Op } from './proxy-classify.js';
export type { Fault, ProxiedRequest } from './proxy-faults.js';
export type { LinkLimit } from './proxy-link.js';

export interface FaultProxy {
  endpoint: string;
  /** Requests received per operation, faulted ones included. */
  counts: Map<S3Op, number>;
  /** Every request received, in arrival order. */
  requests: ProxiedRequest[];
  /** Every request answered with a 2xx, in the order the answers were sent. */
  answered: ProxiedRequest[];
  setFault(f: Fault | null): void;
  /** Request bodies (of the requests it matches) go through one link of this bandwidth; null: none. */
  setLink(l: LinkLimit | null): void;
  /** How many requests the faults set so far have been applied to. */
  injected(): number;
  /** Requests received and not yet answered (or given up). */
  pending(): number;
  /** Clears counts and requests (not the fault). */
  reset(): void;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:') throw new Error(`proxy supports http targets only, got ${target}`);
  // No keep-alive upstream: a pooled socket the server closed while idle would fail the next
  // request and the client's retry would show up as an extra count.
  const agent = new Agent({ keepAlive: false });
  const counts = new Map<S3Op, number>();
  const requests: ProxiedRequest[] = [];
  const answered: ProxiedRequest[] = [];
  let link: SharedLink | null = null;
  let fault: Fault | null = null;
  let remaining = Infinity;
  let injected = 0;
  let open = 0;
  let seq = 0;
  const sockets = new Set<Socket>();

  function takeFault(req: ProxiedRequest): Fault | null {
    if (!fault || remaining <= 0) return null;
    if (fault.match && !fault.match(req.op, req)) return null;
    if (fault.kind === 'overload' && open <= fault.above) return null;
    remaining--;
    injected++;
    return fault;
  }
  const forward = forwarder(upstream, agent, () => link);

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
    res.once('finish', () => {
      if (res.statusCode >= 200 && res.statusCode < 300) answered.push(info);
    });
    counts.set(info.op, (counts.get(info.op) ?? 0) + 1);

    const f = takeFault(info);
    if (!f) return forward(req, res, info);
    switch (f.kind) {
      case 'status':
        return sendError(req, res, info, f, `proxy-${++seq}`);
      case 'overload':
        return sendError(req, res, info, { kind: 'status', status: 503 }, `proxy-${++seq}`);
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
    answered,
    setLink(l) {
      link = l && new SharedLink(l);
    },
    setFault(f) {
      fault = f;
      remaining = f?.times ?? Infinity;
    },
    injected: () => injected,
    pending: () => open,
    reset() {
      counts.clear();
      requests.length = 0;
      answered.length = 0;
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
