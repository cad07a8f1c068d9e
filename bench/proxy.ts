// Diagnostics only: a pass-through HTTP proxy in front of s3rver that timestamps every request, to
// see from outside how many requests a client really keeps in flight and where its time goes.
// (It costs CPU in the bench process, so figures taken through it are not the headline figures.)
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Req {
  op: string;
  start: number;
  end: number;
}

export interface Proxy {
  endpoint: string;
  reqs: Req[];
  /** Client connections accepted since the last reset. */
  connections(): number;
  reset(): void;
  close(): Promise<void>;
}

function opOf(req: IncomingMessage): string {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  switch (req.method) {
    case 'PUT':
      return q.has('partNumber')
        ? 'PART'
        : req.headers['x-amz-copy-source']
          ? 'COPY'
          : (req.url ?? '/').split('/').filter(Boolean).length <= 1
            ? 'MKBUCKET'
            : 'PUT';
    case 'GET':
      return q.has('list-type') || (req.url ?? '').split('?')[0]!.split('/').filter(Boolean).length <= 1
        ? 'LIST'
        : 'GET';
    case 'HEAD':
      return (req.url ?? '/').split('?')[0]!.split('/').filter(Boolean).length <= 1 ? 'HEADB' : 'HEAD';
    case 'POST':
      return q.has('uploads') ? 'MPU' : q.has('uploadId') ? 'DONE' : q.has('delete') ? 'DEL' : 'POST';
    default:
      return req.method ?? '?';
  }
}

export async function startProxy(target: string): Promise<Proxy> {
  const up = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 1024 });
  const reqs: Req[] = [];
  const server: Server = createServer((req, res) => {
    const start = performance.now();
    const op = opOf(req);
    const u = request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        res.once('finish', () => reqs.push({ op, start, end: performance.now() }));
      },
    );
    u.once('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(u);
  });
  let conns = 0;
  server.on('connection', () => conns++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reqs,
    connections: () => conns,
    reset: () => {
      reqs.splice(0);
      conns = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}

/** Time-weighted in-flight statistics of the recorded requests of one op (or all). */
export function inFlight(
  reqs: readonly Req[],
  op?: string,
): { span: number; mean: number; hist: Map<number, number>; meanLatency: number } {
  const rs = op ? reqs.filter((r) => r.op === op) : reqs;
  if (!rs.length) return { span: 0, mean: 0, hist: new Map(), meanLatency: 0 };
  const ev: [number, number][] = [];
  for (const r of rs) ev.push([r.start, 1], [r.end, -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const hist = new Map<number, number>();
  let n = 0;
  let t = ev[0]![0];
  let area = 0;
  for (const [at, d] of ev) {
    area += n * (at - t);
    hist.set(n, (hist.get(n) ?? 0) + (at - t));
    t = at;
    n += d;
  }
  const span = ev[ev.length - 1]![0] - ev[0]![0];
  return { span, mean: area / span, hist, meanLatency: rs.reduce((a, r) => a + r.end - r.start, 0) / rs.length };
}
