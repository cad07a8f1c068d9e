import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type PairConfig } from '../src/config.js';
import { Journal } from '../src/store/journal.js';
import { BucketEncryption } from '../src/sync/encryption.js';

// Whether a pair's ETags are MD5s (src/sync/encryption.ts): from its config, else as its bucket's
// responses show; remembered in the journal across processes.

const MD5 = '0cc175b9c0f1b6a831c399e269772661';
const OTHER = '900150983cd24fb0d6963f7d28e17f72';
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function pair(extra: Record<string, unknown> = {}): PairConfig {
  dir ??= mkdtempSync(join(tmpdir(), 's3mirror-enc-'));
  return parseConfig(
    { stateDir: join(dir, 'state'), pairs: [{ name: 'p', path: join(dir, 'root'), bucket: 'bucket', ...extra }] },
    dir,
  ).pairs[0]!;
}

describe('BucketEncryption', () => {
  it("the pair's own sse decides, whatever a response says", () => {
    const p = pair({ sse: 'AES256' });
    const j = Journal.open(join(dir!, 'state'));
    const e = new BucketEncryption(j);
    e.written(p, 'aws:kms');
    expect(e.trust(p)).toBe('md5');
    expect(e.trust(pair({ sse: 'aws:kms' }))).toBe('opaque');
    j.close();
  });

  it('no sse: unknown until a response shows it; remembered by the next process', () => {
    const p = pair();
    let j = Journal.open(join(dir!, 'state'));
    const e = new BucketEncryption(j);
    expect(e.trust(p)).toBe('unknown');
    e.read(p, { etag: OTHER, metaMd5: MD5 }); // plain object, ETag not its MD5 (multipart-like): proves nothing
    expect(e.trust(p)).toBe('unknown');
    e.read(p, { etag: OTHER, metaMd5: MD5, sse: 'aws:kms' });
    expect(e.trust(p)).toBe('opaque');
    j.close();
    j = Journal.open(join(dir!, 'state'));
    expect(new BucketEncryption(j).trust(p)).toBe('opaque');
    // The bucket's default changed: new writes come back plain.
    const e2 = new BucketEncryption(j);
    e2.written(p, undefined);
    expect(e2.trust(p)).toBe('md5');
    j.close();
  });

  it('a plain HEAD whose ETag is the MD5 stored beside it proves MD5 ETags', () => {
    const p = pair();
    const j = Journal.open(join(dir!, 'state'));
    const e = new BucketEncryption(j);
    e.read(p, { etag: MD5, metaMd5: MD5 });
    expect(e.trust(p)).toBe('md5');
    j.close();
  });

  it('a write whose response names SSE-KMS is never refused for an ETag that differs from the MD5 sent; a plain one is', () => {
    const p = pair();
    const j = Journal.open(join(dir!, 'state'));
    const e = new BucketEncryption(j);
    expect(e.intact(p, 'PutObject k', { etag: OTHER, sse: 'aws:kms' }, MD5)).toBe(OTHER);
    expect(() => e.intact(p, 'PutObject k', { etag: OTHER }, MD5)).toThrow(/S3_BAD_DIGEST|stored content with MD5/);
    expect(e.intact(p, 'PutObject k', { etag: MD5 }, MD5)).toBe(MD5);
    j.close();
  });
});
