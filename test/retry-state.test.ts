import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { keyFor } from '../src/plan/keys.js';
import { Journal } from '../src/store/journal.js';
import { reconcile } from '../src/sync/reconcile.js';
import { Filter } from '../src/watch/filter.js';
import { toLocalStat } from '../src/local/stat.js';

// What a rescan (reconcile against the journal's own remote table, no listing) does to rows that
// failed, wait in backoff, or hold a delete: real files, a real journal, an injected clock.

const NOW = 1_000_000_000;
let dir: string | undefined;
let journal: Journal | undefined;
afterEach(() => {
  journal?.close();
  journal = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(): {
  cfg: Config;
  j: Journal;
  root: string;
  synced: (rel: string, content: string) => void;
  rescan: (now: number) => Promise<unknown>;
} {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-retry-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  const cfg = parseConfig({ stateDir: join(dir, 'state'), pairs: [{ name: 'p', path: root, bucket: 'bucket' }] }, dir);
  const j = (journal = Journal.open(cfg.stateDir));
  const synced = (rel: string, content: string) => {
    writeFileSync(join(root, rel), content);
    const stat = toLocalStat(statSync(join(root, rel), { bigint: true }));
    const key = keyFor('', rel);
    j.markDirty({ pair: 'p', rel, key, now: NOW, debounceMs: 0, maxDelayMs: 0 });
    const etag = `${rel.length}`.padStart(32, '0');
    j.recordSynced({
      pair: 'p',
      rel,
      gen: j.getFile('p', rel)!.generation,
      stat,
      content: { md5: etag, partSize: 0, localEtag: etag, etag, etagKind: 'md5' },
      now: NOW,
      debounceMs: 0,
    });
    j.remote.put({ pair: 'p', key, size: stat.size, etag, metaMd5: etag, now: NOW });
  };
  const rescan = (now: number) =>
    reconcile(cfg.pairs[0]!, {
      journal: j,
      bucket: undefined as never,
      filter: new Filter(root, []),
      fingerprint: 'unused: nothing is listed',
      now: () => now,
      list: false,
    });
  return { cfg, j, root, synced, rescan };
}

describe('retry state across rescans', () => {
  it('a rescan keeps a row in backoff where it is: its due time and its failure count', async () => {
    const { j, synced, rescan } = setup();
    synced('a.txt', 'a');
    j.markDirty({ pair: 'p', rel: 'a.txt', key: 'a.txt', now: NOW + 1000, debounceMs: 0, maxDelayMs: 0 });
    const gen = j.getFile('p', 'a.txt')!.generation;
    j.recordFailure({
      pair: 'p',
      rel: 'a.txt',
      gen,
      code: 'S3_SERVER_ERROR',
      message: '500',
      retryAt: NOW + 60_000,
      now: NOW + 1000,
    });
    j.recordFailure({
      pair: 'p',
      rel: 'a.txt',
      gen,
      code: 'S3_SERVER_ERROR',
      message: '500',
      retryAt: NOW + 120_000,
      now: NOW + 2000,
    });
    await rescan(NOW + 3000);
    const r = j.getFile('p', 'a.txt')!;
    expect([r.state, r.due_at, r.attempts, r.error_code]).toEqual(['dirty', NOW + 120_000, 2, 'S3_SERVER_ERROR']);
    expect(j.query.retryingCount('p')).toBe(1);
  });

  it('a change seen by the watcher does not reset the failure count either (backoff and "retrying" survive it)', () => {
    const { j, synced } = setup();
    synced('a.txt', 'a');
    j.markDirty({ pair: 'p', rel: 'a.txt', key: 'a.txt', now: NOW + 1000, debounceMs: 0, maxDelayMs: 0 });
    j.recordFailure({
      pair: 'p',
      rel: 'a.txt',
      gen: j.getFile('p', 'a.txt')!.generation,
      code: 'S3_SERVER_ERROR',
      message: '500',
      retryAt: NOW + 60_000,
      now: NOW + 1000,
    });
    j.markDirty({ pair: 'p', rel: 'a.txt', key: 'a.txt', now: NOW + 2000, debounceMs: 100, maxDelayMs: 10_000 });
    expect(j.getFile('p', 'a.txt')!.attempts).toBe(1);
    expect(j.query.retryingCount('p')).toBe(1);
  });

  it('a row that gave up on server errors (sync --once, 4 tries) is tried again at the next pass though its file did not change', async () => {
    const { j, synced, rescan } = setup();
    synced('b.txt', 'b');
    // Its object was deleted by someone else; the re-upload failed four times in the last pass.
    j.remote.drop('p', 'b.txt');
    j.markDirty({ pair: 'p', rel: 'b.txt', key: 'b.txt', now: NOW + 1000, debounceMs: 0, maxDelayMs: 0 });
    const gen = j.getFile('p', 'b.txt')!.generation;
    for (let i = 0; i < 3; i++)
      j.recordFailure({
        pair: 'p',
        rel: 'b.txt',
        gen,
        code: 'S3_SERVER_ERROR',
        message: '500',
        retryAt: NOW + 2000,
        now: NOW + 1000,
      });
    j.recordFailure({
      pair: 'p',
      rel: 'b.txt',
      gen,
      code: 'S3_SERVER_ERROR',
      message: '500',
      retryAt: null,
      now: NOW + 1000,
    });
    expect(j.getFile('p', 'b.txt')!.state).toBe('failed');
    await rescan(NOW + 5000);
    const r = j.getFile('p', 'b.txt')!;
    expect([r.state, r.due_at, r.attempts]).toEqual(['dirty', NOW + 5000, 0]);
  });

  it('an unreadable file that did not change stays failed (only a change can cure it)', async () => {
    const { j, synced, rescan } = setup();
    synced('u.txt', 'u');
    j.markDirty({ pair: 'p', rel: 'u.txt', key: 'u.txt', now: NOW + 1000, debounceMs: 0, maxDelayMs: 0 });
    j.recordFailure({
      pair: 'p',
      rel: 'u.txt',
      gen: j.getFile('p', 'u.txt')!.generation,
      code: 'FILE_UNREADABLE',
      message: 'denied',
      retryAt: null,
      now: NOW + 1000,
    });
    await rescan(NOW + 5000);
    expect(j.getFile('p', 'u.txt')!.state).toBe('failed');
  });

  it('KEY_COLLISION: the loser stays failed while the holder is there, and takes the key over once it is gone', async () => {
    const { j, root, synced, rescan } = setup();
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    // The loser's stat is known (it was mirrored before the holder took the key), so only the
    // holder's presence decides.
    synced(nfd, 'loser');
    synced(nfc, 'holder');
    j.markDirty({ pair: 'p', rel: nfd, key: keyFor('', nfd), now: NOW, debounceMs: 0, maxDelayMs: 0 });
    j.recordFailure({
      pair: 'p',
      rel: nfd,
      gen: j.getFile('p', nfd)!.generation,
      code: 'KEY_COLLISION',
      message: 'same key',
      retryAt: null,
      now: NOW,
    });
    await rescan(NOW + 1000);
    expect(j.getFile('p', nfd)!.state).toBe('failed');
    unlinkSync(join(root, nfc));
    await rescan(NOW + 2000);
    expect(j.getFile('p', nfd)!.state).toBe('dirty');
    expect(j.getFile('p', nfc)!.present).toBe(0);
  });

  it('KEY_COLLISION (daemon): the holder unlinked makes the loser due at once', () => {
    const { j, root, synced } = setup();
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    synced(nfc, 'holder');
    writeFileSync(join(root, nfd), 'loser');
    j.markDirty({ pair: 'p', rel: nfd, key: keyFor('', nfd), now: NOW, debounceMs: 0, maxDelayMs: 0 });
    j.recordFailure({
      pair: 'p',
      rel: nfd,
      gen: j.getFile('p', nfd)!.generation,
      code: 'KEY_COLLISION',
      message: 'same key',
      retryAt: null,
      now: NOW,
    });
    j.markDirty({ pair: 'p', rel: nfc, key: keyFor('', nfc), now: NOW + 1000, debounceMs: 100, maxDelayMs: 1000 });
    j.markDeletePending('p', nfc);
    j.retryCollisions('p', nfc, NOW + 1000);
    const r = j.getFile('p', nfd)!;
    expect([r.state, r.due_at]).toEqual(['dirty', NOW + 1000]);
  });

  it('a held delete stays held at a rescan: not decided again, not counted again', async () => {
    const { j, root, synced, rescan } = setup();
    synced('h.txt', 'h');
    unlinkSync(join(root, 'h.txt'));
    j.markDirty({ pair: 'p', rel: 'h.txt', key: 'h.txt', now: NOW + 1000, debounceMs: 0, maxDelayMs: 0 });
    j.markDeletePending('p', 'h.txt');
    j.recordHeld('p', 'h.txt', j.getFile('p', 'h.txt')!.generation, 'root is empty', NOW + 1000);
    const before = j.getFile('p', 'h.txt')!;
    await rescan(NOW + 5000);
    const r = j.getFile('p', 'h.txt')!;
    expect([r.state, r.generation, r.error_code]).toEqual(['held', before.generation, 'DELETES_HELD']);
  });
});
