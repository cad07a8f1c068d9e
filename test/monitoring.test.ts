import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Metrics } from '../src/metrics/metrics.js';

// The shipped alert rules and dashboard speak of metrics the daemon exposes, by their exact names.
const read = (f: string) => readFileSync(new URL(`../monitoring/${f}`, import.meta.url), 'utf8');

async function exposedNames(): Promise<Set<string>> {
  const m = new Metrics({ pairs: () => [], journalBytes: () => 0, now: () => 0 }, { version: 'test' });
  const names = new Set<string>();
  for (const f of await m.registry.getMetricsAsJSON()) {
    names.add(f.name);
    if (String(f.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(f.name + s);
  }
  return names;
}

const referenced = (expr: string) => expr.match(/\bs3mirror_[a-z0-9_]+/g) ?? [];

describe('monitoring/alerts.yml', () => {
  const doc = parse(read('alerts.yml')) as {
    groups: {
      name: string;
      rules: {
        alert: string;
        expr: string;
        for: string;
        labels: { severity: string };
        annotations: { summary: string };
      }[];
    }[];
  };
  const rules = doc.groups.flatMap((g) => g.rules);

  it('alerts on a stale watermark, a pair in error, held or degraded, and the daemon down', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'S3mirrorDeletesHeld',
      'S3mirrorDown',
      'S3mirrorPairDegraded',
      'S3mirrorPairError',
      'S3mirrorWatermarkStale',
    ]);
    const stale = rules.find((r) => r.alert === 'S3mirrorWatermarkStale')!;
    expect(stale.expr).toBe('time() - s3mirror_pair_synced_through_timestamp_seconds > 900');
    for (const r of rules) {
      expect(r.for, r.alert).toMatch(/^\d+m$/);
      expect(['warning', 'critical']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(0);
    }
  });

  it('names only metrics the daemon exposes', async () => {
    const names = await exposedNames();
    for (const r of rules) for (const n of referenced(r.expr)) expect(names, `${r.alert}: ${n}`).toContain(n);
  });
});

describe('monitoring/grafana-dashboard.json', () => {
  const dash = JSON.parse(read('grafana-dashboard.json')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };

  it('has panels whose queries name only metrics the daemon exposes', async () => {
    const names = await exposedNames();
    expect(dash.panels.length).toBeGreaterThanOrEqual(6);
    for (const p of dash.panels)
      for (const t of p.targets) {
        const used = referenced(t.expr);
        expect(used.length, p.title).toBeGreaterThan(0);
        for (const n of used) expect(names, `${p.title}: ${n}`).toContain(n);
      }
  });
});
