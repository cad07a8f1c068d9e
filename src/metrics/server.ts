import { createServer, type Server } from 'node:http';
import { MirrorError } from '../errors.js';
import type { Metrics } from './metrics.js';
import { parseListen } from '../plan/listen.js';

export interface MetricsServer {
  /** Where it listens (the port resolved when 0 was asked). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Extra routes beside /metrics (the status page). */
export type Routes = Record<string, () => Promise<{ type: string; body: string }>>;

/**
 * Serves /metrics (and `routes`) read-only over plain HTTP. Binds where `listen` says: the
 * default documented is loopback, since the metrics name every pair and bucket.
 */
export async function serveMetrics(listen: string, metrics: Metrics, routes: Routes = {}): Promise<MetricsServer> {
  const at = parseListen(listen);
  if (!at)
    throw new MirrorError('CONFIG_INVALID', `metrics.listen must be host:port, e.g. 127.0.0.1:9464, got "${listen}"`);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const answer = async (): Promise<{ type: string; body: string } | null> => {
      if (path === '/metrics') return { type: metrics.contentType, body: await metrics.text() };
      const route = routes[path];
      return route ? route() : null;
    };
    answer().then(
      (a) => {
        if (!a) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        else res.writeHead(200, { 'content-type': a.type, 'cache-control': 'no-store' }).end(a.body);
      },
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new MirrorError('CONFIG_INVALID', `cannot listen for metrics on ${listen}: ${e.code ?? e.message}`, {
          hint: 'pick a free port in metrics.listen',
        }),
      ),
    );
    server.listen(at.port, at.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : at.port;
  return {
    address: { host: at.host, port },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
