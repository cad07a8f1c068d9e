import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { multipartEtag } from '../src/plan/etag.js';
import { parseExpires } from '../src/plan/expires.js';
import { objectIdentity, sameContent } from '../src/plan/identity.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const MiB = 1024 * 1024;

describe('parseExpires', () => {
  it.each([
    ['1h', 3600],
    ['90s', 90],
    ['15m', 900],
    ['7d', 604_800],
  ])('%s → %i s', (text, seconds) => expect(parseExpires(text)).toEqual({ ok: true, seconds }));
  it.each([['8d'], ['0s'], ['1w'], ['h'], ['-1h'], ['1.5h'], ['']])('%s is refused', (text) =>
    expect(parseExpires(text).ok).toBe(false),
  );
});

describe('objectIdentity', () => {
  it.each([
    ['a single-part ETag is the MD5', { etag: md5('x'), size: 1, metaMd5: null, metaPartSize: null }, 'md5'],
    [
      'x-amz-meta-md5 wins over any ETag',
      { etag: 'abc-3', size: 20 * MiB, metaMd5: md5('y'), metaPartSize: null },
      'md5',
    ],
    [
      'a multipart ETag with its part size in metadata',
      { etag: `${md5('z')}-3`, size: 20 * MiB, metaMd5: null, metaPartSize: String(8 * MiB) },
      'multipart',
    ],
    [
      'a multipart ETag whose part count fits the configured part size',
      { etag: `${md5('z')}-3`, size: 20 * MiB, metaMd5: null, metaPartSize: null },
      'multipart',
    ],
    [
      'a multipart ETag no known part size explains',
      { etag: `${md5('z')}-7`, size: 20 * MiB, metaMd5: null, metaPartSize: null },
      'none',
    ],
    [
      'an opaque ETag (SSE-KMS) without x-amz-meta-md5',
      { etag: 'opaque-etag', size: 5, metaMd5: null, metaPartSize: null },
      'none',
    ],
  ] as const)('%s', (_what, facts, by) => {
    expect(objectIdentity(facts, [8 * MiB]).by).toBe(by);
  });

  it('compares sizes first, then the MD5 or the multipart ETag', () => {
    const id = objectIdentity({ etag: md5('abc'), size: 3, metaMd5: null, metaPartSize: null }, []);
    expect(sameContent(id, { size: 3 }, { size: 3, md5: md5('abc') }).same).toBe(true);
    expect(sameContent(id, { size: 3 }, { size: 3, md5: md5('abd') }).same).toBe(false);
    expect(sameContent(id, { size: 3 }, { size: 4, md5: md5('abc') }).reason).toContain('sizes differ');
    const parts = [Buffer.from(md5('p1'), 'hex'), Buffer.from(md5('p2'), 'hex')];
    const etag = multipartEtag(parts);
    const mp = objectIdentity({ etag, size: 12 * MiB, metaMd5: null, metaPartSize: String(8 * MiB) }, []);
    expect(sameContent(mp, { size: 12 * MiB }, { size: 12 * MiB, md5: md5('w'), multipartEtag: etag }).same).toBe(true);
    expect(
      sameContent(mp, { size: 12 * MiB }, { size: 12 * MiB, md5: md5('w'), multipartEtag: `${md5('q')}-2` }).same,
    ).toBe(false);
  });
});
