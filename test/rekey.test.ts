import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyFor } from '../src/plan/keys.js';
import { Journal } from '../src/store/journal.js';

// PairTable.rekey: a pair whose bucket or prefix changed in the config gets its keys derived
// again from the current prefix, and forgets what it knew of the old location.

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const NFD = 'cafe\u0301.txt';
const STAT = { size: 1, mtimeNs: '1', ctimeNs: '1', ino: '1' };
const C = {
  md5: 'a'.repeat(32),
  partSize: 0,
  localEtag: 'a'.repeat(32),
  etag: 'a'.repeat(32),
  etagKind: 'md5' as const,
};

function journalAt(prefix: string, bucket = 'b1'): Journal {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-rekey-'));
  const j = Journal.open(dir);
  j.pairs.upsert({ name: 'p', root: '/r', bucket, prefix });
  for (const rel of [NFD, 'held.txt', 'released.txt']) {
    j.markDirty({ pair: 'p', rel, key: keyFor(prefix, rel), now: 0, debounceMs: 0, maxDelayMs: 0 });
    j.recordSynced({ pair: 'p', rel, gen: 1, stat: STAT, content: C, now: 0, debounceMs: 0 });
    j.remote.put({ pair: 'p', key: keyFor(prefix, rel), size: 1, etag: C.etag, metaMd5: null, now: 0 });
  }
  for (const rel of ['held.txt', 'released.txt']) {
    j.markDirty({ pair: 'p', rel, key: keyFor(prefix, rel), now: 1, debounceMs: 0, maxDelayMs: 0 });
    j.recordHeld('p', rel, 2, 'root directory is empty', 1);
  }
  j.pairs.setState('p', 'deletes-held', 'root directory is empty', 1);
  j.pairs.releaseHeld('p', 2);
  j.markDirty({ pair: 'p', rel: 'held.txt', key: keyFor(prefix, 'held.txt'), now: 3, debounceMs: 0, maxDelayMs: 0 });
  j.recordHeld('p', 'held.txt', 3, 'root directory is empty', 3);
  j.pairs.setState('p', 'deletes-held', 'root directory is empty', 3);
  j.markDirty({ pair: 'p', rel: 'long.txt', key: keyFor(prefix, 'long.txt'), now: 0, debounceMs: 0, maxDelayMs: 0 });
  j.recordFailure({
    pair: 'p',
    rel: 'long.txt',
    gen: 1,
    code: 'KEY_TOO_LONG',
    message: 'object key is too long',
    retryAt: null,
    now: 0,
  });
  return j;
}

describe('PairTable.rekey', () => {
  it('same bucket and prefix: nothing changes', () => {
    const j = journalAt('a/');
    expect(j.pairs.rekey('p', { bucket: 'b1', prefix: 'a/' }, (rel) => keyFor('a/', rel), 10)).toBeNull();
    expect(j.getFile('p', 'held.txt')?.state).toBe('held');
    expect(j.remote.count('p')).toBe(3);
    j.close();
  });

  it('a new prefix: keys from it (NFC), old listing forgotten, held and released deletes decided again, failed files tried again, copies from the old prefix', () => {
    const j = journalAt('a/');
    expect(j.pairs.rekey('p', { bucket: 'b1', prefix: 'new/' }, (rel) => keyFor('new/', rel), 10)).toEqual({
      bucket: 'b1',
      prefix: 'a/',
    });
    j.pairs.upsert({ name: 'p', root: '/r', bucket: 'b1', prefix: 'new/' });
    expect(j.getFile('p', NFD)).toMatchObject({
      key: `new/${NFD.normalize('NFC')}`,
      state: 'clean',
      etag: C.etag,
      md5: C.md5,
    });
    expect(j.getFile('p', 'held.txt')).toMatchObject({
      key: 'new/held.txt',
      state: 'dirty',
      due_at: 10,
      error_code: null,
    });
    expect(j.getFile('p', 'released.txt')).toMatchObject({ key: 'new/released.txt', state: 'dirty', error_code: null });
    expect(j.getFile('p', 'long.txt')).toMatchObject({
      key: 'new/long.txt',
      state: 'dirty',
      attempts: 0,
      error_code: null,
    });
    expect(j.remote.count('p')).toBe(0);
    expect(j.pairs.get('p')).toMatchObject({ prefix: 'new/', moved_from: 'a/', state: 'ok', hold_reason: null });
    j.close();
  });

  it('a new bucket: nothing to copy from', () => {
    const j = journalAt('a/');
    expect(j.pairs.rekey('p', { bucket: 'b2', prefix: 'a/' }, (rel) => keyFor('a/', rel), 10)).toEqual({
      bucket: 'b1',
      prefix: 'a/',
    });
    expect(j.pairs.get('p')).toMatchObject({ bucket: 'b2', moved_from: null });
    expect(j.remote.count('p')).toBe(0);
    j.close();
  });

  it('a pair the journal does not know yet: nothing to do', () => {
    dir = mkdtempSync(join(tmpdir(), 's3mirror-rekey-'));
    const j = Journal.open(dir);
    expect(j.pairs.rekey('p', { bucket: 'b1', prefix: '' }, (rel) => rel, 0)).toBeNull();
    j.close();
  });
});
