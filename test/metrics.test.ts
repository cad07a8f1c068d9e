import { afterEach, describe, expect, it } from 'vitest';
import { Metrics, type PairSnapshot } from '../src/metrics/metrics.js';
import { type MetricsServer, serveMetrics } from '../src/metrics/server.js';
import { parseListen } from '../src/plan/listen.js';
import { watermark } from '../src/plan/watermark.js';
import { parseMetrics, sampleOf } from './support/prom-text.js';

describe('watermark', () => {
  const base = {
    checkedAt: 10_000,
    oldestPendingSince: null,
    watched: true,
    lastRescanAt: 5_000,
    reconciled: true,
    lastSyncAt: 9_000,
  };
  it.each([
    ['idle and watched: the last check', {}, 10_000],
    ['a change waiting: just before it was seen', { oldestPendingSince: 7_000 }, 6_999],
    ['not watched: the last full rescan', { watched: false }, 5_000],
    ['not watched, with an older change waiting', { watched: false, oldestPendingSince: 4_000 }, 3_999],
    ['not reconciled yet: the last time in sync', { reconciled: false }, 9_000],
    ['never in sync and not reconciled: none', { reconciled: false, lastSyncAt: null }, null],
  ] as const)('%s', (_what, over, at) => {
    expect(watermark({ ...base, ...over }).at).toBe(at);
  });
});

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['9464', null],
    ['127.0.0.1:99999', null],
  ])('%s', (text, want) => expect(parseListen(text)).toEqual(want));
});

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const pair = (over: Partial<PairSnapshot> = {}): PairSnapshot => ({
  pair: 'docs',
  state: 'in-sync',
  uploadedFiles: 0,
  uploadedBytes: 0,
  copiedFiles: 0,
  copiedBytes: 0,
  deletedFiles: 0,
  trashedFiles: 0,
  pendingFiles: 0,
  pendingBytes: 0,
  inFlightBytes: 0,
  errors: {},
  retries: 0,
  syncedThrough: 1_000_000,
  oldestPendingSince: null,
  watcherEvents: 0,
  ...over,
});

describe('metrics over HTTP', () => {
  it('a scrape reads the snapshot of the moment: counters, gauges, state, watermark, histogram', async () => {
    let snap = pair();
    const m = new Metrics(
      { pairs: () => [snap], journalBytes: () => 4096, now: () => 2_000_000 },
      { version: '9.9.9' },
    );
    server = await serveMetrics('127.0.0.1:0', m);
    const url = `http://127.0.0.1:${server.address.port}/metrics`;
    let text = '';
    const scrape = async () => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      text = await res.text();
      return parseMetrics(text);
    };
    let s = await scrape();
    expect(sampleOf(s, 's3mirror_pair_uploaded_bytes_total', { pair: 'docs' })).toBe(0);
    expect(sampleOf(s, 's3mirror_pair_state', { pair: 'docs', state: 'in-sync' })).toBe(1);
    expect(sampleOf(s, 's3mirror_pair_state', { pair: 'docs', state: 'syncing' })).toBe(0);
    expect(sampleOf(s, 's3mirror_pair_synced_through_timestamp_seconds', { pair: 'docs' })).toBe(1000);
    expect(sampleOf(s, 's3mirror_journal_bytes', {})).toBe(4096);
    expect(sampleOf(s, 's3mirror_build_info', { version: '9.9.9' })).toBe(1);

    snap = pair({
      state: 'syncing',
      uploadedFiles: 3,
      uploadedBytes: 3072,
      pendingFiles: 2,
      oldestPendingSince: 1_990_000,
      errors: { S3_REQUEST_FAILED: 2 },
    });
    m.observeRequest('PutObject', 0.02, 'ok');
    s = await scrape();
    expect(sampleOf(s, 's3mirror_pair_uploaded_bytes_total', { pair: 'docs' })).toBe(3072);
    expect(sampleOf(s, 's3mirror_pair_uploaded_files_total', { pair: 'docs' })).toBe(3);
    expect(sampleOf(s, 's3mirror_pair_pending_files', { pair: 'docs' })).toBe(2);
    expect(sampleOf(s, 's3mirror_pair_oldest_pending_age_seconds', { pair: 'docs' })).toBe(10);
    expect(sampleOf(s, 's3mirror_pair_state', { pair: 'docs', state: 'syncing' })).toBe(1);
    expect(sampleOf(s, 's3mirror_pair_errors_total', { pair: 'docs', code: 'S3_REQUEST_FAILED' })).toBe(2);
    expect(s.get('s3mirror_s3_request_duration_seconds')?.type).toBe('HISTOGRAM');
    // The parser folds a labelled histogram's samples together: its count line is read as text.
    expect(text).toContain('s3mirror_s3_request_duration_seconds_count{operation="PutObject",outcome="ok"} 1');
    expect((await fetch(`http://127.0.0.1:${server.address.port}/nope`)).status).toBe(404);
  });

  it('a port in use is a config error that names it', async () => {
    const m = new Metrics({ pairs: () => [], journalBytes: () => 0, now: () => 0 }, { version: 'x' });
    server = await serveMetrics('127.0.0.1:0', m);
    await expect(serveMetrics(`127.0.0.1:${server.address.port}`, m)).rejects.toThrow(/cannot listen for metrics/);
  });
});
