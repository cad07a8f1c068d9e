import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parseListPage, type ListPage } from '../src/s3/list-page.js';

/**
 * src/s3/list-page.ts reads ListObjectsV2 pages without the SDK's deserializer. It must read every
 * page it accepts exactly as the SDK does (differential tests below, against the SDK itself), and
 * give a page back to the SDK whenever it meets something it does not know.
 */

/** What the SDK makes of a 200 response with this body. */
async function sdkRead(xml: string): Promise<ListPage> {
  const client = new S3Client({
    endpoint: 'http://127.0.0.1:1',
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    requestHandler: {
      handle: async () => ({ response: { statusCode: 200, headers: {}, body: Buffer.from(xml) } }),
    } as never,
  });
  const r = await client.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
  return {
    contents: (r.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0, etag: o.ETag })),
    isTruncated: r.IsTruncated ?? false,
    nextToken: r.NextContinuationToken,
  };
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Obj {
  key: string;
  /** Raw XML for the key instead of esc(key). */
  rawKey?: string;
  size?: number;
  etag?: string;
  extra?: string;
}

function doc(
  objs: readonly Obj[],
  o: { truncated?: boolean; token?: string; pretty?: boolean; crlf?: boolean; decl?: boolean; extra?: string } = {},
): string {
  const nl = o.pretty ? (o.crlf ? '\r\n' : '\n') : '';
  const ind = o.pretty ? '  ' : '';
  const parts = [
    o.decl === false ? '' : `<?xml version="1.0" encoding="UTF-8"?>${nl}`,
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${nl}`,
    `${ind}<Name>bkt</Name>${nl}${ind}<Prefix></Prefix>${nl}${ind}<KeyCount>${objs.length}</KeyCount>${nl}${ind}<MaxKeys>1000</MaxKeys>${nl}`,
    o.truncated === undefined ? '' : `${ind}<IsTruncated>${o.truncated}</IsTruncated>${nl}`,
    o.token === undefined ? '' : `${ind}<NextContinuationToken>${esc(o.token)}</NextContinuationToken>${nl}`,
    o.extra ?? '',
    ...objs.map(
      (x) =>
        `${ind}<Contents>${nl}${ind}${ind}<Key>${x.rawKey ?? esc(x.key)}</Key>${nl}${ind}${ind}<LastModified>2026-11-30T01:55:06.000Z</LastModified>${nl}` +
        (x.etag === undefined ? '' : `${ind}${ind}<ETag>${esc(x.etag)}</ETag>${nl}`) +
        (x.size === undefined ? '' : `${ind}${ind}<Size>${x.size}</Size>${nl}`) +
        `${ind}${ind}<StorageClass>STANDARD</StorageClass>${nl}${x.extra ?? ''}${ind}</Contents>${nl}`,
    ),
    `</ListBucketResult>${nl}`,
  ];
  return parts.join('');
}

/** A deterministic generator of awkward keys. */
function keys(n: number, seed: number): string[] {
  const pool = [
    'a',
    'Z',
    '0',
    '/',
    ' ',
    '&',
    '<',
    '>',
    '"',
    "'",
    '\t',
    '\n',
    'é',
    'ß',
    '中',
    '\u{1F389}',
    '%',
    '+',
    '#',
    '?',
    '=',
    '\\',
    ';',
    '.',
    '-',
    '~',
  ];
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x7fffffff);
  return Array.from({ length: n }, (_, i) => {
    const len = 1 + Math.floor(rnd() * 12);
    let k = `k${i}`;
    for (let j = 0; j < len; j++) k += pool[Math.floor(rnd() * pool.length)];
    return k;
  });
}

describe('parseListPage reads what the SDK reads', () => {
  const cases: [string, string][] = [
    ['an empty bucket', doc([], { truncated: false })],
    [
      'a plain page',
      doc(
        keys(50, 1).map((key, i) => ({ key, size: i * 7, etag: `"${'ab'.repeat(16)}"` })),
        { truncated: true, token: 'tok/+=&<x' },
      ),
    ],
    [
      'pretty-printed',
      doc(
        keys(30, 2).map((key, i) => ({ key, size: i, etag: `"${i}"` })),
        { pretty: true, truncated: false },
      ),
    ],
    [
      'pretty-printed with CRLF',
      doc(
        keys(30, 3).map((key, i) => ({ key, size: i, etag: `"${i}"` })),
        { pretty: true, crlf: true, truncated: true, token: 'abc' },
      ),
    ],
    [
      'keys with CR, CRLF and newlines (normalised as the SDK does)',
      doc([{ key: 'a\rb' }, { key: 'a\r\nb' }, { key: 'trail\n' }, { key: ' lead and trail ' }], { truncated: false }),
    ],
    [
      'whitespace-only keys (with and without a newline)',
      doc([{ key: '   ' }, { key: ' \n ' }, { key: '\t' }], { truncated: false }),
    ],
    [
      'numeric and unknown entity references',
      doc(
        [
          { key: 'x', rawKey: 'a&#13;b&#x41;&#233;&#x1F389;c' },
          { key: 'y', rawKey: 'n&nbsp;b&amp;&lt;&gt;&quot;&apos;' },
          { key: 'z', rawKey: 'bad&#xZZ;&;&amp' },
        ],
        { truncated: false },
      ),
    ],
    [
      'no XML declaration, no IsTruncated',
      doc(
        keys(5, 4).map((key) => ({ key, size: 1, etag: '"e"' })),
        { decl: false },
      ),
    ],
    [
      'missing Size and ETag, empty ETag',
      doc([{ key: 'a' }, { key: 'b', etag: '' }, { key: 'c', size: 0 }], { truncated: false }),
    ],
    [
      'Owner, checksums and RestoreStatus inside Contents; CommonPrefixes beside them',
      doc(
        [
          {
            key: 'a',
            size: 3,
            etag: '"x"',
            extra:
              '<Owner><ID>id</ID><DisplayName>me &amp; you</DisplayName></Owner><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumAlgorithm>SHA1</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus><Empty/>',
          },
        ],
        {
          truncated: true,
          token: 't',
          extra:
            '<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes><StartAfter>s</StartAfter><ContinuationToken>c</ContinuationToken>',
        },
      ),
    ],
    [
      'self-closing Key and ETag',
      doc([{ key: 'k', rawKey: '' }], { truncated: false }).replace('<Key></Key>', '<Key/>'),
    ],
    [
      'closing tags with spaces',
      doc([{ key: 'k', size: 1, etag: '"e"' }], { truncated: false }).replace(/<\/Key>/g, '</Key >'),
    ],
    [
      '1,000 ordinary keys',
      doc(
        Array.from({ length: 1000 }, (_, i) => ({
          key: `d${i % 100}/f${String(i).padStart(6, '0')}.bin`,
          size: 4096,
          etag: `"${'0123456789abcdef'.repeat(2)}"`,
        })),
        { truncated: true, token: '1Zq/8+==' },
      ),
    ],
  ];
  it.each(cases)('%s', async (_, xml) => {
    const mine = parseListPage(xml);
    expect(mine).toBeDefined();
    expect(mine).toEqual(await sdkRead(xml));
  });
});

describe('parseListPage gives the page back to the SDK when it meets what it does not know', () => {
  const base = doc([{ key: 'a', size: 1, etag: '"e"' }], { truncated: true, token: 't' });
  it.each([
    ['CDATA in a key', base.replace('<Key>a</Key>', '<Key><![CDATA[a]]></Key>')],
    ['a comment', base.replace('<Key>', '<!-- c --><Key>')],
    ['a DOCTYPE', base.replace('<ListBucketResult', '<!DOCTYPE x><ListBucketResult')],
    ['a processing instruction inside', base.replace('<Contents>', '<?pi x?><Contents>')],
    ['EncodingType (keys URL-encoded)', base.replace('<Name>', '<EncodingType>url</EncodingType><Name>')],
    ['attributes on Contents', base.replace('<Contents>', '<Contents a="1">')],
    ['a namespace prefix', base.replace(/<(\/?)Key>/g, '<$1s3:Key>')],
    ['text between elements', base.replace('<Contents>', 'stray<Contents>')],
    ['a nested element in Key', base.replace('<Key>a</Key>', '<Key>a<b/></Key>')],
    ['a non-numeric Size', base.replace('<Size>1</Size>', '<Size>1.5</Size>')],
    ['two Keys', base.replace('<Key>a</Key>', '<Key>a</Key><Key>b</Key>')],
    ['IsTruncated neither true nor false', base.replace('<IsTruncated>true', '<IsTruncated>yes')],
    ['another root', base.replace(/ListBucketResult/g, 'Error')],
    ['a truncated document', base.slice(0, base.length - 30)],
    ['mismatched closing tag', base.replace('</Key>', '</Kez>')],
  ])('%s', (_, xml) => {
    expect(parseListPage(xml)).toBeUndefined();
  });
});

describe('S3Bucket.list with a real client: pages read directly, or by the SDK when given back', () => {
  async function listWith(pages: string[]): Promise<{ keys: string[]; requests: number }> {
    const { createClient } = await import('../src/s3/client.js');
    const { RequestCounter } = await import('../src/s3/counter.js');
    const { S3Bucket } = await import('../src/s3/bucket.js');
    const { Readable } = await import('node:stream');
    let n = 0;
    const client = createClient(
      {
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:1',
        forcePathStyle: true,
        checksums: 'WHEN_REQUIRED',
      } as never,
      { concurrency: 4, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
      new RequestCounter(),
    );
    // Bodies as streams, as the node handler gives them.
    (client.config as { requestHandler: unknown }).requestHandler = {
      handle: async () => ({
        response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(pages[n++]!)]) },
      }),
      destroy() {},
    };
    const listed = await new S3Bucket(client, 'bkt').list('');
    return { keys: listed.map((o) => o.key), requests: n };
  }

  it('reads pages directly and follows the continuation token', async () => {
    const p1 = doc(
      [
        { key: 'a&b', size: 1, etag: '"e1"' },
        { key: 'c', size: 2 },
      ],
      { truncated: true, token: 'next&1' },
    );
    const p2 = doc([{ key: 'd\r\ne', size: 3 }], { truncated: false });
    expect(parseListPage(p1)).toBeDefined();
    expect(await listWith([p1, p2])).toEqual({ keys: ['a&b', 'c', 'd\ne'], requests: 2 });
  });

  it('a page with CDATA goes to the SDK, and the listing is the same', async () => {
    const p1 = doc([{ key: 'x', rawKey: '<![CDATA[a&b]]>', size: 1 }], { truncated: true, token: 't' });
    const p2 = doc([{ key: 'z' }], { truncated: false });
    expect(parseListPage(p1)).toBeUndefined();
    expect(await listWith([p1, p2])).toEqual({ keys: ['a&b', 'z'], requests: 2 });
  });
});
