import { readFileSync, statSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Metrics } from '../metrics/metrics.js';
import { type MetricsServer, serveMetrics } from '../metrics/server.js';
import type { Runtime } from './runtime.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The daemon's Prometheus endpoint, when `metrics.listen` is set: each scrape reads the pair
 * views the status writer last recorded (the same numbers `status` shows) and the journal's size;
 * S3 request durations are observed as the SDK client sends them. Null when metrics are off. An
 * address that cannot be bound is a config error (exit 2): the daemon is stopped and it is thrown.
 */
export async function openMetrics(o: {
  rt: Runtime;
  cfg: Config;
  log: Logger;
  stop: () => Promise<void>;
}): Promise<MetricsServer | null> {
  const { rt, cfg, log } = o;
  if (!cfg.metrics) return null;
  const metrics = new Metrics(
    {
      pairs: () => [...rt.status.views],
      journalBytes: () => sizeOf(rt.journal.path) + sizeOf(`${rt.journal.path}-wal`),
      now: rt.now,
    },
    { version: version() },
  );
  const server = await serveMetrics(cfg.metrics.listen, metrics).catch((e: unknown) =>
    o.stop().then(() => Promise.reject(e)),
  );
  rt.counter.observe = (op, seconds, outcome) => metrics.observeRequest(op, seconds, outcome);
  log.info({ listen: `${server.address.host}:${server.address.port}` }, 'serving metrics at /metrics');
  return {
    address: server.address,
    close: async () => {
      rt.counter.observe = undefined;
      await server.close();
    },
  };
}
