import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { denyReads, resetFailpoints } from '../src/failpoints.js';
import { PROBE_MAX_MS, PROBE_TIMEOUT_MS } from '../src/plan/outage.js';
import { readStatus } from '../src/status/status.js';
import type { Daemon } from '../src/sync/daemon.js';
import { viaProxy } from './support/faults.js';
import { bytes, daemon, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';
import { probeClock, probeSchedule } from './outage-clock.js';

// Outage mode (src/plan/outage.ts, src/sync/outage.ts): a bucket that does not answer is put
// offline; its pairs make no per-file attempts and read no file, one cheap probe per interval
// asks whether it is back, and the first answer lets all due work flow. Faults come from the proxy.

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  resetFailpoints();
  await d?.stop();
  d = undefined;
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

/** Files opened for reading in this process, by path (through the read failpoint's hook). */
function countReads(): string[] {
  const reads: string[] = [];
  denyReads((abs) => {
    reads.push(abs);
    return false;
  });
  return reads;
}

/** Requests the proxy saw from index `from` on, by operation. */
function opsSince(p: FaultProxy, from: number): string[] {
  return p.requests.slice(from).map((r) => r.op);
}

describe('outage mode', () => {
  it('refused: offline at once, no per-file attempt or read while down, ≤ 1 probe per 10 s, back within one probe', async () => {
    s = await scratch('outage-refused');
    s.write('a.txt', 'a');
    s.write('big.bin', bytes(600 * 1024));
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const clock = probeClock();
    const cfg = viaProxy(s, p, { debounceMs: 100 });
    d = daemon(cfg, { probeSleep: clock.sleep });
    await d.start();
    await eventually(() => expectMirror(s!.root, s!.bucket));
    const reads = countReads();

    const down = p.requests.length;
    p.setFault({ kind: 'drop' });
    s.write('big.bin', bytes(600 * 1024, 2));
    // Written a while ago as far as its mtime says: a hash read within a second of the file's
    // last write is not kept (plan/racy.ts), and this test is about the one that is.
    utimesSync(join(s.root, 'big.bin'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    s.write('new.txt', 'written while the server refuses');
    await eventually(() => expect(d!.rt.links.isOffline(s!.bucket)).toBe(true));
    await eventually(() => {
      const st = readStatus(cfg).pairs[0]!;
      expect(st.verdict).toBe('offline');
      expect(st.offline?.since).toMatch(/^\d{4}-/);
      expect(st.offline?.lastError).toMatch(/ENDPOINT_UNREACHABLE/);
    });
    // Whatever was examined before the outage was noticed has settled (failed, backing off);
    // big.bin was read and hashed for its upload.
    await eventually(() => expect(d!.rt.transfers.inFlight.size).toBe(0));
    await eventually(() => expect(d!.rt.journal.getFile('p', 'big.bin')?.error_code).toBe('ENDPOINT_UNREACHABLE'));
    expect(reads.filter((r) => r.endsWith('big.bin')).length).toBeGreaterThan(0);

    // Quiet, until the failed rows' retry backoffs are due: they stay unattempted while offline.
    const from = p.requests.length;
    const readsBefore = reads.length;
    const due = Math.max(...['big.bin', 'new.txt'].map((f) => d!.rt.journal.getFile('p', f)?.due_at ?? 0));
    await eventually(() => expect(Date.now()).toBeGreaterThan(due + 500), 20_000);
    // Six probes, each let go by the virtual clock: one probe loop, one HeadBucket per wait.
    for (let i = 1; i <= 6; i++) {
      await eventually(() => expect(clock.held()).toBe(1));
      clock.release();
      await eventually(() => expect(opsSince(p, from)).toHaveLength(i));
    }
    await eventually(() => expect(clock.held()).toBe(1));
    const ops = opsSince(p, from);
    expect(new Set(ops), 'only probes while offline').toEqual(new Set(['HeadBucket']));
    expect(reads.length - readsBefore, 'files read while offline').toBe(0);
    // 5 s after the outage, then every 10 s: no 10 s of virtual time holds two probes.
    expect(clock.asked).toHaveLength(7);
    expect(probeSchedule(clock.asked), clock.asked.join()).toBe(true);

    // Back: the first probe that is answered lets the due work go, no second probe needed.
    const back = p.requests.length;
    const readsBack = reads.length;
    p.setFault(null);
    clock.release();
    await eventually(() => expect(opsSince(p, back)).toContain('PutObject'), 20_000);
    const before = opsSince(p, back);
    expect(before.slice(0, before.indexOf('PutObject'))).toEqual(['HeadBucket']);
    // Over the whole outage, counted: ≤ one probe per started 10 s of it.
    const probes = opsSince(p, down).filter((o) => o === 'HeadBucket').length;
    expect(probes).toBe(7);
    expect(probes).toBeLessThanOrEqual(Math.ceil(clock.now() / PROBE_MAX_MS));
    await eventually(() => expectMirror(s!.root, s!.bucket), 20_000);
    // Its stat unchanged, big.bin kept its hash: read once more to be sent, not hashed again.
    expect(reads.slice(readsBack).filter((r) => r.endsWith('big.bin'))).toHaveLength(1);
    await eventually(() => expect(readStatus(cfg).pairs[0]!.verdict).toBe('in sync'));
    expect(readStatus(cfg).pairs[0]!.offline).toBeNull();
    expect(clock.held(), 'no probe loop left once online').toBe(0);
  }, 60_000);

  it('two pairs on one bucket: one probe for the bucket, not one per pair', async () => {
    s = await scratch('outage-two-pairs');
    const sc = s;
    sc.write('a/x.txt', 'x');
    sc.write('b/y.txt', 'y');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const clock = probeClock();
    const pairs = ['a', 'b'].map((n) => ({ name: n, path: join(sc.root, n), bucket: sc.bucket, prefix: `${n}/` }));
    const cfg = viaProxy(sc, p, { debounceMs: 100, pairs });
    d = daemon(cfg, { probeSleep: clock.sleep });
    await d.start();
    await eventually(() => expectMirror(sc.root, sc.bucket));

    p.setFault({ kind: 'drop' });
    sc.write('a/x2.txt', 'written while the server refuses');
    sc.write('b/y2.txt', 'so is this');
    await eventually(() => expect(readStatus(cfg).pairs.map((q) => q.verdict)).toEqual(['offline', 'offline']));
    await eventually(() => expect(d!.rt.transfers.inFlight.size).toBe(0));
    const from = p.requests.length;
    for (let i = 1; i <= 3; i++) {
      await eventually(() => expect(clock.held()).toBe(1));
      clock.release();
      await eventually(() => expect(opsSince(p, from)).toEqual(Array(i).fill('HeadBucket')));
    }
    await eventually(() => expect(clock.held()).toBe(1));
    expect(d.outage.probes).toBe(3);

    p.setFault(null);
    clock.release();
    await eventually(() => expectMirror(sc.root, sc.bucket), 20_000);
    expect(opsSince(p, from).filter((o) => o === 'HeadBucket')).toHaveLength(4);
    await eventually(() => expect(readStatus(cfg).pairs.map((q) => q.verdict)).toEqual(['in sync', 'in sync']));
  }, 60_000);

  it('hung: a server that accepts and never answers is offline within 30 s, a hung probe does not delay the next', async () => {
    s = await scratch('outage-hung');
    s.write('a.txt', 'a');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const clock = probeClock();
    const cfg = viaProxy(s, p, { debounceMs: 100 });
    d = daemon(cfg, { probeSleep: clock.sleep });
    await d.start();
    await eventually(() => expectMirror(s!.root, s!.bucket));

    const puts = p.counts.get('PutObject') ?? 0;
    p.setFault({ kind: 'delay', ms: 10 * 60_000 });
    s.write('b.txt', 'written while the server hangs');
    // The socket idle timeout (20 s) fails the first attempt: noticed before the SDK's retries.
    await eventually(() => expect(d!.rt.links.isOffline(s!.bucket)).toBe(true), 30_000);
    // One attempt, not the SDK's three: the retries of a request caught in the outage are refused unsent.
    await eventually(() => expect(d!.rt.transfers.inFlight.size).toBe(0));
    expect((p.counts.get('PutObject') ?? 0) - puts).toBe(1);

    // The first probe hangs too, until its own timeout (5 s): the next one starts 10 s after it
    // started, not 10 s after it gave up, so an endpoint back from a hang is seen within 10 s.
    const from = p.requests.length;
    await eventually(() => expect(clock.held()).toBe(1));
    clock.release();
    await eventually(() => expect(clock.held()).toBe(1), 15_000);
    expect(opsSince(p, from)).toEqual(['HeadBucket']);
    // It gave up within 10 s of starting (5 s), and the wait after it is what is left of the 10 s.
    expect(clock.asked[1]).toBeGreaterThan(0);
    expect(clock.asked[1]).toBeLessThanOrEqual(PROBE_MAX_MS - PROBE_TIMEOUT_MS);

    p.setFault(null);
    clock.release();
    await eventually(() => expect(opsSince(p, from)).toContain('PutObject'));
    expect(opsSince(p, from).slice(0, 2)).toEqual(['HeadBucket', 'HeadBucket']);
    await eventually(() => expectMirror(s!.root, s!.bucket), 20_000);
    expect(d.rt.links.isOffline(s.bucket)).toBe(false);
  }, 90_000);
});
