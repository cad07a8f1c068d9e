import { describe, expect, it } from 'vitest';
import type { Listed } from '../src/bucket.js';
import { ListingReader } from '../src/tools/verify-streams.js';

// The listing verify reads key by key: in order, to the end, and never more than a few pages
// ahead of its reader however slow the reader is.

const page = (n: number): Listed[] =>
  Array.from({ length: 1000 }, (_, i) => ({ key: `k${String(n * 1000 + i).padStart(6, '0')}`, size: 1, etag: 'e' }));

describe('ListingReader', () => {
  it('a slow reader holds the listing to a few pages ahead, and reads every key in order', async () => {
    const reader = new ListingReader();
    let delivered = 0;
    let taken = 0;
    let mostAhead = 0;
    reader.start(async ({ onPage }) => {
      for (let n = 0; n < 20; n++) {
        delivered++;
        mostAhead = Math.max(mostAhead, delivered - Math.floor(taken / 1000));
        await onPage(page(n));
      }
    });
    const keys: string[] = [];
    for (let o = await reader.peek(); o; o = await reader.peek()) {
      keys.push(reader.take().key);
      taken++;
      if (taken % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(keys).toHaveLength(20_000);
    expect(keys).toEqual([...keys].sort());
    expect(mostAhead).toBeLessThanOrEqual(5);
  });

  it('a listing that fails fails the reader', async () => {
    const reader = new ListingReader();
    reader.start(async ({ onPage }) => {
      await onPage(page(0));
      throw new Error('boom');
    });
    for (let i = 0; i < 1000; i++) {
      await reader.peek();
      reader.take();
    }
    await expect(reader.peek()).rejects.toThrow('boom');
  });
});
