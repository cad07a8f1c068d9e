import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../src/plan/key-order.js';
import { S3Bucket } from '../src/s3/bucket.js';

/**
 * Unit tables for S3Bucket.list: listing cut at keys of the previous listing (StartAfter ranges)
 * returns exactly what a plain page-by-page listing returns, with one request per page when
 * nothing changed, and falls back to the plain listing when the server's order is not S3's.
 */

interface FakeOptions {
  /** The server's key order (default S3's: UTF-8 bytes). */
  order?: (a: string, b: string) => number;
  /** A server that does not know StartAfter. */
  ignoresStartAfter?: boolean;
}

/** A ListObjectsV2-only server over a fixed set of keys; counts requests. */
function fakeServer(keys: readonly string[], o: FakeOptions = {}) {
  const sorted = [...keys].sort(o.order ?? compareKeys);
  const requests: { StartAfter?: string; ContinuationToken?: string }[] = [];
  const client = {
    async send(cmd: { input: { Prefix?: string; MaxKeys?: number; StartAfter?: string; ContinuationToken?: string } }) {
      const { Prefix = '', MaxKeys = 1000, StartAfter, ContinuationToken } = cmd.input;
      requests.push({
        ...(StartAfter !== undefined ? { StartAfter } : {}),
        ...(ContinuationToken !== undefined ? { ContinuationToken } : {}),
      });
      await new Promise((r) => setImmediate(r));
      const all = sorted.filter((k) => k.startsWith(Prefix));
      let from = 0;
      if (ContinuationToken !== undefined) from = Number(ContinuationToken);
      else if (StartAfter !== undefined && !o.ignoresStartAfter) {
        const i = all.findIndex((k) => (o.order ?? compareKeys)(k, StartAfter) > 0);
        from = i < 0 ? all.length : i;
      }
      const page = all.slice(from, from + MaxKeys);
      const truncated = from + MaxKeys < all.length;
      return {
        Contents: page.map((Key) => ({ Key, Size: Key.length, ETag: `"${Key.length}"` })),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: String(from + MaxKeys) } : {}),
      };
    },
  };
  return { bucket: new S3Bucket(client as unknown as S3Client, 'b'), requests };
}

const keysOf = (n: number, prefix = '') =>
  Array.from({ length: n }, (_, i) => `${prefix}d${String(i % 37).padStart(2, '0')}/f${String(i).padStart(6, '0')}`);
/** Every 1,000th key, the last excluded: what Journal.remote.splitKeys gives for a listed bucket. */
const splitsOf = (keys: readonly string[]) =>
  [...keys].sort(compareKeys).filter((_, i, a) => (i + 1) % 1000 === 0 && i + 1 < a.length);

describe('compareKeys: S3 order (UTF-8 bytes)', () => {
  const samples = [
    '',
    'a',
    'a/b',
    'a.b',
    'ab',
    'z',
    'é',
    'naïve',
    '\u{1F389}',
    '\uFF5E',
    '\uE000',
    '\uD7FF',
    'a\u{1F389}b',
    'a\uFFFFb',
    'A',
    '~',
    '\u0000',
    'ß',
    '中文',
  ];
  it('agrees with Buffer.compare of the UTF-8 bytes on every pair of samples', () => {
    const wrong = samples.flatMap((a) =>
      samples
        .filter(
          (b) =>
            Math.sign(compareKeys(a, b)) !== Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))),
        )
        .map((b) => [a, b]),
    );
    expect(wrong).toEqual([]);
    // The one place UTF-16 units disagree with UTF-8 bytes.
    expect('\u{1F389}' < '\uFF5E').toBe(true);
    expect(compareKeys('\u{1F389}', '\uFF5E')).toBeGreaterThan(0);
  });
});

describe('S3Bucket.list', () => {
  it('without split keys: page after page', async () => {
    const keys = keysOf(2500);
    const { bucket, requests } = fakeServer(keys);
    const listed = await bucket.list('');
    expect(listed.map((o) => o.key)).toEqual([...keys].sort(compareKeys));
    expect(requests).toHaveLength(3);
    expect(requests.filter((r) => r.StartAfter !== undefined)).toHaveLength(0);
  });

  it.each([
    ['exactly 10,000 keys', 10_000],
    ['10,500 keys', 10_500],
    ['1,001 keys', 1001],
  ])('unchanged bucket, %s: one request per 1,000 keys, same listing', async (_, n) => {
    const keys = keysOf(n);
    const { bucket, requests } = fakeServer(keys);
    const listed = await bucket.list('', { splitAfter: splitsOf(keys) });
    expect(listed.map((o) => o.key)).toEqual([...keys].sort(compareKeys));
    expect(listed[0]).toEqual({
      key: listed[0]!.key,
      size: listed[0]!.key.length,
      etag: String(listed[0]!.key.length),
    });
    expect(requests).toHaveLength(Math.ceil(n / 1000));
  });

  it('objects added inside a range cost that range one more page; removed ones cost nothing', async () => {
    const before = keysOf(5000);
    const splits = splitsOf(before);
    const added = ['d03/f000003a', 'd03/f000003b', ...Array.from({ length: 20 }, (_, i) => `d10/x${i}`)];
    const removed = new Set(before.filter((_, i) => i % 7 === 0));
    const now = [...before.filter((k) => !removed.has(k)), ...added];
    const { bucket, requests } = fakeServer(now);
    const listed = await bucket.list('', { splitAfter: splits });
    expect(listed.map((o) => o.key)).toEqual([...now].sort(compareKeys));
    // Fewer keys than ranges×1000 but additions in two ranges: at most two extra pages.
    expect(requests.length).toBeLessThanOrEqual(5 + 2);
  });

  it('split keys that no longer exist (or are outside the prefix) still partition the listing', async () => {
    const keys = keysOf(3000, 'p/');
    const { bucket } = fakeServer([...keys, 'other/x', 'q']);
    const splits = ['a', 'p/d00/zzz', 'p/d05/f000000', 'p/d20/f999999', 'zz'];
    const listed = await bucket.list('p/', { splitAfter: splits });
    expect(listed.map((o) => o.key)).toEqual([...keys].sort(compareKeys));
  });

  it('a server that ignores StartAfter: detected, listed again page by page', async () => {
    const keys = keysOf(3000);
    const { bucket, requests } = fakeServer(keys, { ignoresStartAfter: true });
    let restarted = 0;
    const listed = await bucket.list('', { splitAfter: splitsOf(keys), onRestart: () => restarted++ });
    expect(listed.map((o) => o.key)).toEqual([...keys].sort(compareKeys));
    expect(restarted).toBe(1);
    expect(requests.slice(-3).every((r) => r.StartAfter === undefined)).toBe(true);
  });

  it('a server whose order is not UTF-8 order (UTF-16 units): detected, listed again page by page', async () => {
    // Code points above U+FFFF sort before U+FF5E in UTF-16 units, after it in UTF-8.
    const keys = Array.from(
      { length: 2400 },
      (_, i) => `k${String(i).padStart(5, '0')}${i % 2 ? '\u{1F389}' : '\uFF5E'}`,
    ).concat(['k00001\uFF5E\u{1F389}', 'k00001\u{1F389}\uFF5E']);
    const utf16 = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const splits = [...keys].sort(compareKeys).filter((_, i) => (i + 1) % 1000 === 0);
    const { bucket } = fakeServer(keys, { order: utf16 });
    let restarted = 0;
    const listed = await bucket.list('', { splitAfter: splits, onRestart: () => restarted++ });
    expect(restarted).toBe(1);
    expect(new Set(listed.map((o) => o.key))).toEqual(new Set(keys));
    expect(listed).toHaveLength(keys.length);
  });

  it('onPage sees every object once, in pages', async () => {
    const keys = keysOf(4321);
    const { bucket } = fakeServer(keys);
    const seen: string[] = [];
    const listed = await bucket.list('', {
      splitAfter: splitsOf(keys),
      onPage: (p) => seen.push(...p.map((o) => o.key)),
    });
    expect(seen.sort(compareKeys)).toEqual(listed.map((o) => o.key));
  });

  it('a page whose onPage returns a promise holds the next request until it settles', async () => {
    const keys = keysOf(2500);
    const { bucket, requests } = fakeServer(keys);
    const sentDuringPage: number[] = [];
    await bucket.list('', {
      collect: false,
      onPage: async () => {
        const before = requests.length;
        // Turns of the event loop in which a listing that did not wait would send its next request.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        sentDuringPage.push(requests.length - before);
      },
    });
    expect(requests).toHaveLength(3);
    expect(sentDuringPage).toEqual([0, 0, 0]);
  });

  /** The pages' proofs chained from the start: each (after, through] follows the previous one. */
  function chain(covers: { after: string; through: string | null }[]): string | null | undefined {
    const ahead = new Map(covers.map((c) => [c.after, c.through]));
    let at: string | null | undefined = '';
    while (at !== null && at !== undefined && ahead.has(at)) {
      const next: string | null | undefined = ahead.get(at);
      ahead.delete(at);
      at = next;
    }
    return ahead.size ? undefined : at;
  }

  it.each([
    ['in ranges', true],
    ['page by page', false],
  ])('streamed (collect: false) %s: pages prove ranges that chain from the start to the end', async (_, split) => {
    const keys = keysOf(4321);
    const { bucket } = fakeServer([...keys.slice(0, 4000), 'd03/added', 'd30/added']);
    const covers: { after: string; through: string | null }[] = [];
    const seen: string[] = [];
    const listed = await bucket.list('', {
      splitAfter: split ? splitsOf(keys) : [],
      collect: false,
      onPage: (p, c) => {
        seen.push(...p.map((o) => o.key));
        covers.push(c!);
        for (const o of p)
          expect(compareKeys(o.key, c!.after) > 0 && (c!.through === null || compareKeys(o.key, c!.through) <= 0)).toBe(
            true,
          );
      },
    });
    expect(listed).toEqual([]);
    expect(seen).toHaveLength(4002);
    expect(chain(covers)).toBeNull();
  });

  it('streamed from a server out of UTF-8 order: a restart, then pages that prove nothing', async () => {
    const keys = Array.from(
      { length: 2400 },
      (_, i) => `k${String(i).padStart(5, '0')}${i % 2 ? '\u{1F389}' : '\uFF5E'}`,
    );
    const utf16 = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const { bucket } = fakeServer([...keys, 'k00001\uFF5E\u{1F389}', 'k00001\u{1F389}\uFF5E'], { order: utf16 });
    let restarted = 0;
    const after: (object | undefined)[] = [];
    await bucket.list('', {
      collect: false,
      onRestart: () => {
        restarted++;
        after.length = 0;
      },
      onPage: (_p, c) => after.push(c),
    });
    expect(restarted).toBe(1);
    expect(after).toEqual([undefined, undefined, undefined]);
  });
});
