import { afterEach, describe, expect, it } from 'vitest';
import { readStatus } from '../src/status/status.js';
import type { Daemon } from '../src/sync/daemon.js';
import { MiB, viaProxy } from './support/faults.js';
import { bytes, daemon, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { type FaultProxy, startProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// Throttling without failures (src/plan/throttle.ts, src/sync/throttle.ts): a server that sheds
// load answers 503 SlowDown above N requests at once; the daemon halves what it sends at each
// such answer and raises it slowly, so every file goes up and the cap settles near N.

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

const N = 4;

describe('throttling', () => {
  it(`a server that answers 503 above ${N} requests at once: no file fails, the cap settles near ${N}`, async () => {
    s = await scratch('throttle');
    for (let i = 0; i < 150; i++) s.write(`d${i % 5}/f${i}.txt`, bytes(2000 + i, i));
    s.write('large.bin', bytes(12 * MiB, 7));
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    p.setFault({ kind: 'overload', above: N });
    const cfg = viaProxy(s, p, {
      debounceMs: 100,
      concurrency: 16,
      multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB },
    });
    d = daemon(cfg);
    await d.start();
    await eventually(() => expectMirror(s!.root, s!.bucket), 120_000);
    // No file failed: every row is clean, none ever recorded an error.
    const j = d.rt.journal;
    await eventually(() => expect(j.pendingCount('p')).toBe(0));
    expect(j.db.prepare('SELECT * FROM errors').all()).toEqual([]);
    expect(j.db.prepare('SELECT count(*) AS n FROM files WHERE error_code IS NOT NULL').get()).toEqual({ n: 0 });
    const shed = p.injected();
    expect(shed).toBeGreaterThan(0);
    // Most requests went through: the daemon stopped sending more than the server takes.
    expect(shed).toBeLessThan(p.requests.length / 4);
    const cap = d.rt.throttles.capOf(s.bucket);
    expect(cap).not.toBeNull();
    expect(cap!).toBeGreaterThanOrEqual(1);
    expect(cap!).toBeLessThanOrEqual(2 * N);
    await eventually(() =>
      expect(readStatus(cfg).pairs[0]!.throttled?.concurrency).toBe(d!.rt.throttles.capOf(s!.bucket)),
    );
  });
});
