import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { BASE, cfg, pair } from './support/config.js';

/** Unit tables for the config contract (src/config.ts): defaults and path resolution. */

describe('parseConfig: defaults', () => {
  const c: Config = parseConfig(cfg(), BASE, 'cfg.json');
  const p = c.pairs[0]!;

  it.each<[string, unknown, unknown]>([
    ['concurrency', c.concurrency, 16],
    ['debounceMs', c.debounceMs, 1000],
    ['maxDelayMs', c.maxDelayMs, 10_000],
    ['rescanIntervalMs', c.rescanIntervalMs, 3_600_000],
    ['degradedRescanMs', c.degradedRescanMs, 60_000],
    ['watcher', c.watcher, 'auto'],
    ['drainTimeoutMs', c.drainTimeoutMs, 30_000],
    ['abortIncompleteAfterMs', c.abortIncompleteAfterMs, 86_400_000],
    ['remoteAuditIntervalMs', c.remoteAuditIntervalMs, 86_400_000],
    ['multipart.thresholdBytes', c.multipart.thresholdBytes, 8 * 1024 * 1024],
    ['multipart.partSizeBytes', c.multipart.partSizeBytes, 8 * 1024 * 1024],
    ['s3.forcePathStyle', c.s3.forcePathStyle, false],
    ['s3.checksums', c.s3.checksums, 'WHEN_REQUIRED'],
    ['s3.signPayload', c.s3.signPayload, false],
    ['s3.endpoint', c.s3.endpoint, undefined],
    ['s3.region', c.s3.region, undefined],
    ['source', c.source, 'cfg.json'],
    ['pairs[0].prefix', p.prefix, ''],
    ['pairs[0].exclude', p.exclude, []],
    ['pairs[0].delete', p.delete, 'mirror'],
    ['pairs[0].trashPrefix', p.trashPrefix, '.s3mirror-trash/'],
    ['pairs[0].maxDeletePercent', p.maxDeletePercent, 50],
    ['pairs[0].maxDeleteCount', p.maxDeleteCount, 10_000],
    ['pairs[0].deleteExcluded', p.deleteExcluded, false],
    ['pairs[0].followSymlinks', p.followSymlinks, false],
    ['pairs[0].sse', p.sse, undefined],
    ['pairs[0].kmsKeyId', p.kmsKeyId, undefined],
    ['pairs[0].storageClass', p.storageClass, undefined],
    ['pairs[0].cacheControl', p.cacheControl, undefined],
  ])('%s defaults to %j', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('fills s3 defaults when s3 is given partially', () => {
    const c2 = parseConfig(cfg({ s3: { region: 'eu-west-1' } }), BASE);
    expect(c2.s3).toEqual({
      region: 'eu-west-1',
      forcePathStyle: false,
      checksums: 'WHEN_REQUIRED',
      signPayload: false,
    });
  });

  it('fills multipart defaults when multipart is given partially', () => {
    const c2 = parseConfig(cfg({ multipart: { partSizeBytes: 16 * 1024 * 1024 } }), BASE);
    expect(c2.multipart).toEqual({ thresholdBytes: 8 * 1024 * 1024, partSizeBytes: 16 * 1024 * 1024 });
  });

  it('keeps explicit values instead of the defaults', () => {
    const c2 = parseConfig(
      cfg({
        concurrency: 4,
        debounceMs: 0,
        s3: { forcePathStyle: true, endpoint: 'http://127.0.0.1:9000', checksums: 'WHEN_SUPPORTED' },
        pairs: [
          pair({
            delete: 'trash',
            maxDeletePercent: 100,
            maxDeleteCount: 0,
            exclude: ['*.tmp'],
            sse: 'aws:kms',
            kmsKeyId: 'k1',
          }),
        ],
      }),
      BASE,
    );
    expect(c2.concurrency).toBe(4);
    expect(c2.debounceMs).toBe(0);
    expect(c2.s3).toEqual({
      forcePathStyle: true,
      endpoint: 'http://127.0.0.1:9000',
      checksums: 'WHEN_SUPPORTED',
      signPayload: false,
    });
    expect(c2.pairs[0]).toMatchObject({
      delete: 'trash',
      maxDeletePercent: 100,
      maxDeleteCount: 0,
      exclude: ['*.tmp'],
      sse: 'aws:kms',
      kmsKeyId: 'k1',
    });
  });

  it('uses "(inline)" as the default source', () => {
    expect(parseConfig(cfg(), BASE).source).toBe('(inline)');
    expect(() => parseConfig({}, BASE)).toThrow(/^invalid config \(inline\):\n/);
  });
});

describe('parseConfig: prefixes', () => {
  it.each<[string, string]>([
    ['', ''],
    ['docs', 'docs/'],
    ['docs/', 'docs/'],
    ['/docs', 'docs/'],
    ['//a/b', 'a/b/'],
    ['/', ''],
    ['cafe\u0301', 'caf\u00e9/'], // NFD in, NFC out
  ])('prefix %j → %j', (given, expected) => {
    expect(parseConfig(cfg({ pairs: [pair({ prefix: given })] }), BASE).pairs[0]!.prefix).toBe(expected);
  });

  it.each<[string, string]>([
    ['trash', 'trash/'],
    ['/trash', 'trash/'],
    ['.t/', '.t/'],
  ])('trashPrefix %j → %j', (given, expected) => {
    expect(parseConfig(cfg({ pairs: [pair({ trashPrefix: given })] }), BASE).pairs[0]!.trashPrefix).toBe(expected);
  });
});

describe('parseConfig: paths', () => {
  it.each<[string, string, string]>([
    ['relative', 'p', '/base/p'],
    ['dot-relative with trailing slash', './p/sub/', '/base/p/sub'],
    ['parent-relative', '../other', '/other'],
    ['absolute', '/srv/data', '/srv/data'],
  ])('pair path (%s) %j → %j', (_what, given, expected) => {
    expect(parseConfig(cfg({ pairs: [pair({ path: given })] }), BASE).pairs[0]!.path).toBe(expected);
  });

  it.each<[string, string]>([
    ['state', '/base/state'],
    ['/var/lib/s3mirror', '/var/lib/s3mirror'],
  ])('stateDir %j → %j', (given, expected) => {
    expect(parseConfig(cfg({ stateDir: given }), BASE).stateDir).toBe(expected);
  });

  it('accepts sibling paths whose names share a prefix (p, p2) and different prefixes in one bucket', () => {
    const c = parseConfig(
      cfg({
        pairs: [pair({ name: 'a', path: 'p', prefix: 'docs' }), pair({ name: 'b', path: 'p2', prefix: 'docs2' })],
      }),
      BASE,
    );
    expect(c.pairs.map((x) => [x.path, x.prefix])).toEqual([
      ['/base/p', 'docs/'],
      ['/base/p2', 'docs2/'],
    ]);
  });

  it.each<[string, string, string]>([
    ['a sibling of the pair', '/base/p-state', '/base/p'],
    ['the parent of the pair', '/base', '/base/p'],
  ])('accepts a stateDir that is %s (%s, pair %s)', (_what, stateDir, path) => {
    expect(parseConfig(cfg({ stateDir, pairs: [pair({ path })] }), BASE).stateDir).toBe(stateDir);
  });

  it('accepts the same prefix in different buckets', () => {
    const c = parseConfig(
      cfg({ pairs: [pair({ name: 'a', path: 'p' }), pair({ name: 'b', path: 'q', bucket: 'other' })] }),
      BASE,
    );
    expect(c.pairs).toHaveLength(2);
  });
});
