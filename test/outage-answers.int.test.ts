import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_MAX_MS } from '../src/plan/outage.js';
import { readStatus } from '../src/status/status.js';
import type { Daemon } from '../src/sync/daemon.js';
import type { LinkEvent } from '../src/sync/links.js';
import { probeClock, probeSchedule } from './outage-clock.js';
import { viaProxy } from './support/faults.js';
import { daemon, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy, type S3Op } from './support/proxy.js';
import { independentClient, listAll } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

// Which answers make a bucket offline (src/plan/outage.ts), through the fault proxy against the
// real server: three 5xx answers in a row do, and the pair makes no per-file attempt until a probe
// is answered; one or two do not (s3rver answers 500 to a DeleteObjects that deleted), nor does
// throttling (503 SlowDown, 429), however long it lasts. A failed request is one whose every SDK
// attempt failed, so a fault covers ATTEMPTS answers per request.

/** The SDK's attempts per request (src/s3/client.ts leaves its default). */
const ATTEMPTS = 3;

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

/** A daemon through a fresh proxy, its bucket's offline/online changes recorded. */
async function start(name: string, pair: Record<string, unknown> = {}) {
  s = await scratch(name);
  s.write('a.txt', 'a');
  s.write('b.txt', 'b');
  proxy = await startProxy(testEnv().endpoint);
  const clock = probeClock();
  const cfg = viaProxy(s, proxy, { debounceMs: 100, pairs: [{ name: 'p', path: s.root, bucket: s.bucket, ...pair }] });
  d = daemon(cfg, { probeSleep: clock.sleep });
  const changes: LinkEvent['change'][] = [];
  d.rt.links.onChange((e) => changes.push(e.change));
  await d.start();
  await eventually(() => expectMirror(s!.root, s!.bucket));
  return { cfg, clock, changes, p: proxy, d, s };
}

const only =
  (...ops: S3Op[]) =>
  (op: S3Op) =>
    ops.includes(op);

describe('outage mode: which answers are an outage', () => {
  it('three 5xx in a row: offline, probes only, back when the server answers', async () => {
    const { cfg, clock, changes, p, d, s } = await start('outage-5xx');
    p.setFault({ kind: 'status', status: 500 });
    for (const f of ['c.txt', 'd.txt', 'e.txt']) s.write(f, `${f} while the server fails`);
    await eventually(() => expect(changes).toEqual(['offline']));
    await eventually(() => {
      const st = readStatus(cfg).pairs[0]!;
      expect(st.verdict).toBe('offline');
      expect(st.offline?.lastError).toMatch(/S3_SERVER_ERROR/);
    });
    // Three requests failed, each after all its attempts: no fourth before the bucket went offline.
    await eventually(() => expect(d.rt.transfers.inFlight.size).toBe(0));
    expect(p.counts.get('PutObject')).toBe(2 + 3 * ATTEMPTS);

    // Offline: each probe is one HeadBucket, sent once (answered 500), and nothing else is sent.
    const from = p.requests.length;
    for (let i = 1; i <= 3; i++) {
      await eventually(() => expect(clock.held()).toBe(1));
      clock.release();
      await eventually(() => expect(p.requests.length - from).toBe(i));
    }
    await eventually(() => expect(clock.held()).toBe(1));
    expect(new Set(p.requests.slice(from).map((r) => r.op))).toEqual(new Set(['HeadBucket']));
    expect(changes).toEqual(['offline']);
    expect(probeSchedule(clock.asked), clock.asked.join()).toBe(true);

    p.setFault(null);
    clock.release();
    await eventually(() => expect(changes).toEqual(['offline', 'online']));
    await eventually(() => expectMirror(s.root, s.bucket), 20_000);
    await eventually(() => expect(readStatus(cfg).pairs[0]!.verdict).toBe('in sync'));
  }, 60_000);

  it('500 to PUTs only: offline, no attempt until the probe, whose answer lets each file try once more', async () => {
    const { cfg, clock, changes, p, d, s } = await start('outage-put-500');
    p.setFault({ kind: 'status', status: 500, match: only('PutObject') });
    for (const f of ['c.txt', 'd.txt', 'e.txt']) s.write(f, `${f} while PUTs fail`);
    await eventually(() => expect(changes).toEqual(['offline']));
    await eventually(() => expect(readStatus(cfg).pairs[0]!.verdict).toBe('offline'));
    await eventually(() => expect(d.rt.transfers.inFlight.size).toBe(0));
    // Held past the failed rows' retry backoffs: not one request, the probe is not let go yet.
    const from = p.requests.length;
    const due = Math.max(...['c.txt', 'd.txt', 'e.txt'].map((f) => d.rt.journal.getFile('p', f)?.due_at ?? 0));
    await eventually(() => expect(Date.now()).toBeGreaterThan(due + 500), 20_000);
    await eventually(() => expect(clock.held()).toBe(1));
    expect(p.requests.length - from, 'no per-file attempt while offline').toBe(0);
    // The probe (HeadBucket) is answered: the bucket is back, the three files try once each, and
    // their three 500s put it offline again.
    clock.release();
    await eventually(() => expect(changes).toEqual(['offline', 'online', 'offline']));
    await eventually(() => expect(d.rt.transfers.inFlight.size).toBe(0));
    const puts = p.requests.slice(from).filter((r) => r.op === 'PutObject').length;
    expect(puts).toBeLessThanOrEqual(3 * ATTEMPTS);
    // PUTs work again: the next probe brings it back and the files go.
    p.setFault(null);
    await eventually(() => expect(clock.held()).toBe(1));
    // A new outage's first probe waits 5 s, but never comes within 10 s of the last probe: it
    // waits what is left of those 10 s (less the few real milliseconds since the last one).
    expect(clock.asked.at(-1), 'not probed again within 10 s').toBeGreaterThan(PROBE_MAX_MS - 2000);
    clock.release();
    await eventually(() => expectMirror(s.root, s.bucket), 20_000);
    expect(changes).toEqual(['offline', 'online', 'offline', 'online']);
  }, 60_000);

  it('two 5xx in a row are not an outage: the files are retried and the mirror converges', async () => {
    const { changes, p, s } = await start('outage-two-5xx');
    p.setFault({ kind: 'status', status: 500, match: only('PutObject'), times: 2 * ATTEMPTS });
    s.write('c.txt', 'c');
    s.write('d.txt', 'd');
    await eventually(() => expect(p.injected()).toBe(2 * ATTEMPTS));
    await eventually(() => expectMirror(s.root, s.bucket), 20_000);
    expect(changes).toEqual([]);
  }, 60_000);

  it('a DeleteObjects answered 500 after it deleted (as s3rver does) is not an outage', async () => {
    const { cfg, changes, p, s } = await start('outage-delete-500', { maxDeletePercent: 100 });
    // The objects go, and the answer says 500: as if the server failed after deleting.
    const client = independentClient();
    await client.send(new DeleteObjectCommand({ Bucket: s.bucket, Key: 'b.txt' }));
    p.setFault({ kind: 'status', status: 500, match: only('DeleteObjects'), times: ATTEMPTS });
    rmSync(join(s.root, 'b.txt'));
    await eventually(() => expect(p.injected()).toBe(ATTEMPTS), 20_000);
    // The failed delete is sent again, answered, and the pair is in sync: never offline.
    await eventually(() => expect(p.counts.get('DeleteObjects')).toBe(ATTEMPTS + 1), 20_000);
    await eventually(() => expect(readStatus(cfg).pairs[0]!.verdict).toBe('in sync'), 20_000);
    expect((await listAll(s.bucket)).map((o) => o.key)).toEqual(['a.txt']);
    expect(changes).toEqual([]);
    client.destroy();
  }, 60_000);

  it.each([
    [503, 'SlowDown'],
    [429, 'TooManyRequests'],
  ])(
    'throttling (%i %s) is not an outage, however many requests it answers',
    async (status, code) => {
      const { changes, p, s } = await start(`outage-throttle-${status}`);
      const heads = p.counts.get('HeadBucket') ?? 0;
      // Four requests throttled through all their attempts: more than the three 5xx of an outage.
      p.setFault({ kind: 'status', status, code, match: only('PutObject'), times: 4 * ATTEMPTS });
      for (const f of ['c.txt', 'd.txt', 'e.txt', 'f.txt']) s.write(f, f);
      await eventually(() => expect(p.injected()).toBe(4 * ATTEMPTS), 30_000);
      await eventually(() => expectMirror(s.root, s.bucket), 30_000);
      expect(changes).toEqual([]);
      expect((p.counts.get('HeadBucket') ?? 0) - heads, 'no probe').toBe(0);
    },
    60_000,
  );
});
