import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentDigest } from '../src/local/digest.js';
import { multipartEtag } from '../src/plan/etag.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest();

describe('ContentDigest', () => {
  it('gives the MD5 and the multipart ETag of the bytes, however they are chunked', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 20 }),
        (bytes, partSize, cuts) => {
          const body = Buffer.from(bytes);
          const d = new ContentDigest(partSize);
          let off = 0;
          for (let i = 0; off < body.length; i++) {
            const n = cuts[i % cuts.length]!;
            d.update(body.subarray(off, off + n));
            off += n;
          }
          const parts: Buffer[] = [];
          for (let p = 0; p < body.length; p += partSize) parts.push(md5(body.subarray(p, p + partSize)));
          if (!parts.length) parts.push(md5(Buffer.alloc(0)));
          const got = d.finish();
          expect(got.size).toBe(body.length);
          expect(got.md5).toBe(md5(body).toString('hex'));
          expect(got.multipartEtag).toBe(multipartEtag(parts));
        },
      ),
      { numRuns: 300 },
    );
  });
});
