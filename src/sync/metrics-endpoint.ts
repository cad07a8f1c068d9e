import { statSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Metrics } from '../metrics/metrics.js';
import { PAGE_HTML } from '../metrics/page.js';
import { pageData } from '../metrics/page-data.js';
import { type MetricsServer, serveMetrics } from '../metrics/server.js';
import { Throughput } from '../plan/throughput.js';
import type { Runtime } from './runtime.js';
import { packageVersion } from '../version.js';

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
    { version: packageVersion() },
  );
  const sent = sentSampler(rt);
  const routes = {
    '/': async () => ({ type: 'text/html; charset=utf-8', body: PAGE_HTML }),
    '/status.json': async () => {
      const now = rt.now();
      const body = pageData({
        views: rt.status.views,
        transfers: rt.transfers.inFlight.values(),
        errors: rt.journal.errors.recent(20),
        throughput: sent.read(now),
        now,
      });
      return { type: 'application/json', body: JSON.stringify(body) };
    },
  };
  const server = await serveMetrics(cfg.metrics.listen, metrics, routes).catch((e: unknown) =>
    o.stop().then(() => Promise.reject(e)),
  );
  rt.counter.observe = (op, seconds, outcome) => metrics.observeRequest(op, seconds, outcome);
  log.info({ listen: `${server.address.host}:${server.address.port}` }, 'serving metrics at /metrics');
  return {
    address: server.address,
    close: async () => {
      sent.stop();
      rt.counter.observe = undefined;
      await server.close();
    },
  };
}

/** How often the bytes sent are sampled into the page's per-minute chart. */
const SAMPLE_MS = 5_000;

/**
 * Bytes sent by every pair (confirmed uploads and copies, and what transfers under way have sent),
 * added to a per-minute ring as they grow.
 */
function sentSampler(rt: Runtime): { read: Throughput['read']; stop: () => void } {
  const ring = new Throughput(rt.now());
  const total = () => {
    let n = 0;
    for (const p of rt.transfers.perPair.values()) n += p.uploaded + p.copied;
    for (const t of rt.transfers.inFlight.values()) n += t.sent;
    return n;
  };
  let last = total();
  const sample = () => {
    const now = total();
    // In-flight bytes of a transfer that failed fall out of the total: never a negative minute.
    if (now > last) ring.add(now - last, rt.now());
    last = now;
  };
  const timer = setInterval(sample, SAMPLE_MS);
  timer.unref();
  return {
    read: (now) => {
      sample();
      return ring.read(now);
    },
    stop: () => clearInterval(timer),
  };
}
