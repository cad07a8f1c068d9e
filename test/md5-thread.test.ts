// The whole-file MD5 of a file sent in one pass, hashed on its own thread from the parts as the
// upload reads them (src/local/md5-thread.ts, src/local/in-order-md5.ts).
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { InOrderMd5 } from '../src/local/in-order-md5.js';
import { Md5Stream, Md5ThreadUnavailable, sharedBuffer, stopMd5Thread } from '../src/local/md5-thread.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

afterEach(async () => {
  await stopMd5Thread();
});

/** `data` cut into parts of `partSize`, each in a buffer of its own (shared or not). */
function partsOf(data: Buffer, partSize: number, shared: boolean): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += partSize) {
    const slice = data.subarray(at, Math.min(data.length, at + partSize));
    const buf = shared ? sharedBuffer(partSize + 3).subarray(3) : Buffer.alloc(partSize + 3).subarray(3);
    slice.copy(buf);
    parts.push(buf.subarray(0, slice.length));
  }
  return parts;
}

describe('the MD5 thread', () => {
  it('hashes streams posted in order, shared and copied buffers alike, two files interleaved', async () => {
    const a = randomBytes(300_001);
    const b = randomBytes(123_457);
    const sa = Md5Stream.open()!;
    const sb = Md5Stream.open()!;
    expect(sa).toBeDefined();
    const pa = partsOf(a, 65_536, true);
    const pb = partsOf(b, 40_000, false);
    const posted: Promise<void>[] = [];
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      if (pa[i]) posted.push(sa.update(pa[i]!));
      if (pb[i]) posted.push(sb.update(pb[i]!));
    }
    await Promise.all(posted);
    expect(await sa.digest()).toBe(md5(a));
    expect(await sb.digest()).toBe(md5(b));
  });

  it('a thread that dies loses its streams: their digests fail, never come out wrong', async () => {
    const s = Md5Stream.open()!;
    await s.update(Buffer.from('first part'));
    await stopMd5Thread();
    await expect(s.update(Buffer.from('second part'))).rejects.toBeInstanceOf(Md5ThreadUnavailable);
    await expect(s.digest()).rejects.toBeInstanceOf(Md5ThreadUnavailable);
    // The next file gets a thread of its own again.
    const next = Md5Stream.open()!;
    await next.update(Buffer.from('abc'));
    expect(await next.digest()).toBe(md5(Buffer.from('abc')));
  });
});

describe('InOrderMd5', () => {
  it('parts added in any order hash as the file, on the thread and on this one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.boolean(),
        fc.infiniteStream(fc.nat()),
        async (bytes, partSize, offThread, picks) => {
          const data = Buffer.from(bytes);
          const parts = partsOf(data, partSize, offThread);
          const whole = new InOrderMd5(parts.length, { offThread });
          const order = parts.map((_, i) => i);
          const it = picks[Symbol.iterator]();
          for (let i = order.length - 1; i > 0; i--) {
            const j = it.next().value % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          await Promise.all(order.map((i) => whole.add(i + 1, parts[i]!)));
          expect(await whole.digest()).toBe(md5(data));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a part never added leaves no digest, and the parts after it are not hashed', async () => {
    const data = randomBytes(30_000);
    const parts = partsOf(data, 10_000, true);
    const whole = new InOrderMd5(3, { offThread: true });
    const third = whole.add(3, parts[2]!);
    whole.skip(2);
    await whole.add(1, parts[0]!);
    await third;
    expect(await whole.digest()).toBeUndefined();
  });
});
