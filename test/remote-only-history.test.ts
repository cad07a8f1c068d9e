// markRemoteOnly turns only a row with no history into a remote-only one: a file sent in parts as
// it was read has no whole-file MD5 (plan/one-pass.ts), and its row must not be taken for none.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

it('a row with a confirmed upload and no MD5 keeps its file; a row with no history becomes remote-only', () => {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-remote-only-'));
  const j = Journal.open(dir);
  try {
    j.pairs.upsert({ name: 'p', root: dir, bucket: 'b', prefix: '' });
    const mark = { pair: 'p', now: 1, debounceMs: 0, maxDelayMs: 0 };
    j.markDirty({ ...mark, rel: 'big.bin', key: 'big.bin' });
    j.markDirty({ ...mark, rel: 'stranger.bin', key: 'stranger.bin' });
    const stat = { size: 10, mtimeNs: '1', ctimeNs: '1', ino: '1' };
    const content = { md5: null, partSize: 5, localEtag: `${'a'.repeat(32)}-2`, etag: `${'a'.repeat(32)}-2` };
    const gen = j.getFile('p', 'big.bin')!.generation;
    j.recordSynced({
      pair: 'p',
      rel: 'big.bin',
      gen,
      stat,
      content: { ...content, etagKind: 'multipart' },
      now: 2,
      debounceMs: 0,
    });
    j.markRemoteOnly('p', 'big.bin');
    j.markRemoteOnly('p', 'stranger.bin');
    expect(j.getFile('p', 'big.bin')).toMatchObject({ present: 1, kind: 'file', md5: null });
    expect(j.getFile('p', 'stranger.bin')).toMatchObject({ present: 0, kind: 'remote' });
  } finally {
    j.close();
  }
});
