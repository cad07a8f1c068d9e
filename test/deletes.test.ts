// Deletes on the in-memory bucket: batches of at most 1,000 keys, per-key failures retried, the
// guard holding until `resume`, and what is never deleted.
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import { expectMemoryMirror, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

let s: MemoryScratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

const deleteBatches = (sc: MemoryScratch) => sc.s3.requests.filter((q) => q.op === 'DeleteObjects').map((q) => q.keys);

/** Ten files mirrored, six of them deleted: the guard holds the six (`s` is the scratch, for cleanup). */
async function sixOfTenHeld(name: string): Promise<{ sc: MemoryScratch; cfg: ReturnType<MemoryScratch['config']> }> {
  const sc = memoryScratch(name);
  s = sc;
  for (let i = 0; i < 10; i++) sc.write(`f${i}`, String(i));
  const cfg = sc.config();
  await sc.pass(cfg);
  for (let i = 0; i < 6; i++) unlinkSync(join(sc.root, `f${i}`));
  expect((await sc.pass(cfg)).held).toEqual([expect.objectContaining({ count: 6 })]);
  return { sc, cfg };
}

/** `resume --allow-deletes` for pair p: releases exactly `n` held deletes. */
function releaseHeld(sc: MemoryScratch, n: number): void {
  const j = Journal.open(sc.stateDir);
  try {
    expect(j.pairs.releaseHeld('p', Date.now())).toBe(n);
  } finally {
    j.close();
  }
}

describe('deletes on the in-memory bucket', () => {
  it('1,001 deletes are two DeleteObjects calls of at most 1,000 keys', async () => {
    s = memoryScratch('del-batch');
    for (let i = 0; i < 1001; i++) s.write(`d/${i}`, String(i));
    s.write('keep', 'k');
    const cfg = s.config({ maxDeletePercent: 100, maxDeleteCount: 10_000 });
    await s.pass(cfg);
    rmSync(join(s.root, 'd'), { recursive: true });
    s.s3.resetCounters();
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 1001 });
    expect(deleteBatches(s).sort((a, b) => b! - a!)).toEqual([1000, 1]);
    expectMemoryMirror(s);
  });

  it('a key the server fails to delete is reported for itself and retried; the others go at once', async () => {
    s = memoryScratch('del-fail');
    for (const n of ['a', 'b', 'c', 'keep']) s.write(n, n);
    const cfg = s.config({ maxDeletePercent: 100 });
    await s.pass(cfg);
    for (const n of ['a', 'b', 'c']) unlinkSync(join(s.root, n));
    let refusals = 1;
    s.s3.deleteFault = (k) => (k === 'b' && refusals-- > 0 ? 'InternalError: try again' : undefined);
    s.s3.resetCounters();
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(deleteBatches(s)).toEqual([3, 1]);
    expectMemoryMirror(s);
  });

  it('held deletes stay held at the next pass, and go once released', async () => {
    const { sc, cfg } = await sixOfTenHeld('del-held');
    expect((await sc.pass(cfg)).held).toEqual([expect.objectContaining({ count: 6 })]);
    expect(sc.s3.counts().DeleteObjects ?? 0).toBe(0);
    expect(sc.s3.objects(sc.bucket)).toHaveLength(10);
    releaseHeld(sc, 6);
    const r = await sc.pass(cfg);
    expect(r.held).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 6 });
    expectMemoryMirror(sc);
  });

  it('released deletes that fail stay released, and a file seen again ends its release', async () => {
    const { sc, cfg } = await sixOfTenHeld('del-released-fail');
    releaseHeld(sc, 6);
    // Every try of the released deletes is refused: they fail, and are not held again.
    sc.s3.deleteFault = () => 'InternalError: try again';
    const refused = await sc.pass(cfg);
    expect(refused.held).toEqual([]);
    expect(refused.failures.length).toBeGreaterThan(0);
    expect(sc.s3.objects(sc.bucket)).toHaveLength(10);
    sc.s3.deleteFault = undefined;
    // f0 comes back before they land: its release ends with its upload.
    sc.write('f0', 'back');
    const r = await sc.pass(cfg);
    expect(r.held).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 5 });
    expectMemoryMirror(sc);
    unlinkSync(join(sc.root, 'f0'));
    for (let i = 6; i < 10; i++) unlinkSync(join(sc.root, `f${i}`));
    expect((await sc.pass(cfg)).held).toEqual([expect.objectContaining({ count: 5 })]);
  });

  it('objects nobody uploaded from this tree stay when nothing local ever named them (delete: keep)', async () => {
    s = memoryScratch('del-keep');
    s.write('a', 'a');
    s.s3.putObject(s.bucket, 'foreign', 'someone else');
    const r = await s.pass(s.config({ delete: 'keep' }));
    expect(r.failures).toEqual([]);
    expect(s.s3.objects(s.bucket).map(([k]) => k)).toEqual(['a', 'foreign']);
    expect(s.s3.counts().DeleteObjects ?? 0).toBe(0);
  });

  it('a deleted file under a prefix deletes only its own key, never outside the prefix', async () => {
    s = memoryScratch('del-prefix');
    s.write('a', 'a');
    s.write('b', 'b');
    s.s3.putObject(s.bucket, 'a', 'outside the prefix');
    s.s3.putObject(s.bucket, 'other/b', 'another pair');
    const cfg = s.config({ prefix: 'mine/', maxDeletePercent: 100 });
    await s.pass(cfg);
    unlinkSync(join(s.root, 'b'));
    const r = await s.pass(cfg);
    expect(r.stats.p).toMatchObject({ deleted: 1 });
    expect(s.s3.objects(s.bucket).map(([k]) => k)).toEqual(['a', 'mine/a', 'other/b']);
    expectMemoryMirror(s, 'mine/');
  });
});
