import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './support/cli.js';
import {
  cliSuiteHooks,
  describeRun,
  fixture,
  put,
  stopDaemon,
  waitForDaemon,
  writeJson,
  baseConfig,
  metricsBase,
} from './support/cli-fixture.js';
import { eventually } from './support/mirror.js';
import { parseMetrics, sampleOf } from './support/prom-text.js';

// The daemon's /metrics, scraped over HTTP and parsed by a library, against a real S3 server.

async function scrape(url: string): Promise<{ text: string; m: ReturnType<typeof parseMetrics> }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, m: parseMetrics(text) };
}

/** The count line of a labelled histogram (the parser folds them together). */
function histogramCount(text: string, labels: string): number {
  const m = new RegExp(`^s3mirror_s3_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('metrics (issue 11, item 4)', () => {
  cliSuiteHooks();

  it('counters move with a sync, and the watermark passes a change once it is uploaded', async () => {
    const f = await fixture();
    await writeJson(f.config, baseConfig(f, { metrics: { listen: '127.0.0.1:0' }, debounceMs: 100, maxDelayMs: 2000 }));
    await put(f.data, 'a.txt', 'hello');
    const d = spawnCli(['run', '--config', f.config]);
    try {
      await waitForDaemon(f.config, d);
      const url = `${await metricsBase(d)}/metrics`;
      const first = await eventually(async () => {
        const s = await scrape(url);
        expect(sampleOf(s.m, 's3mirror_pair_state', { pair: 'main', state: 'in-sync' })).toBe(1);
        return s;
      }, 20_000);
      expect(sampleOf(first.m, 's3mirror_pair_uploaded_files_total', { pair: 'main' })).toBe(1);
      expect(sampleOf(first.m, 's3mirror_pair_uploaded_bytes_total', { pair: 'main' })).toBe(5);
      expect(sampleOf(first.m, 's3mirror_pair_pending_files', { pair: 'main' })).toBe(0);
      expect(sampleOf(first.m, 's3mirror_pair_oldest_pending_age_seconds', { pair: 'main' })).toBe(0);
      expect(sampleOf(first.m, 's3mirror_journal_bytes', {})).toBeGreaterThan(0);
      expect(first.m.get('s3mirror_build_info')?.samples[0]?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
      const puts = histogramCount(first.text, 'operation="PutObject",outcome="ok"');
      expect(puts).toBe(1);
      for (const s of ['never-synced', 'syncing', 'held', 'offline', 'degraded', 'paused', 'error'])
        expect(sampleOf(first.m, 's3mirror_pair_state', { pair: 'main', state: s })).toBe(0);

      // A change made now: counted once it is uploaded, and the watermark passes its time.
      const changedAt = Date.now() / 1000;
      await put(f.data, 'b.txt', 'more bytes');
      const after = await eventually(async () => {
        const s = await scrape(url);
        expect(sampleOf(s.m, 's3mirror_pair_uploaded_files_total', { pair: 'main' })).toBe(2);
        expect(sampleOf(s.m, 's3mirror_pair_synced_through_timestamp_seconds', { pair: 'main' })).toBeGreaterThan(
          changedAt,
        );
        return s;
      }, 20_000);
      expect(sampleOf(after.m, 's3mirror_pair_uploaded_bytes_total', { pair: 'main' })).toBe(15);
      expect(sampleOf(after.m, 's3mirror_pair_watcher_events_total', { pair: 'main' })).toBeGreaterThan(0);
      expect(histogramCount(after.text, 'operation="PutObject",outcome="ok"')).toBe(puts + 1);
    } finally {
      const r = await stopDaemon(d);
      expect(r.code, describeRun('run', r)).toBe(0);
    }
  });

  it('a metrics address in use stops the daemon with a config error (exit 2)', async () => {
    const f = await fixture();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (taken.address() as { port: number }).port;
      await writeJson(f.config, baseConfig(f, { metrics: { listen: `127.0.0.1:${port}` } }));
      const r = await runCli(['run', '--config', f.config], { timeoutMs: 30_000 });
      expect(r.code, describeRun('run', r)).toBe(2);
      expect(r.stderr).toContain(`cannot listen for metrics on 127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });

  it('a malformed metrics.listen is refused by the config check', async () => {
    const f = await fixture();
    await writeJson(f.config, baseConfig(f, { metrics: { listen: '9464' } }));
    const r = await runCli(['run', '--config', f.config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('metrics.listen: must be host:port');
  });
});
