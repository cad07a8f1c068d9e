import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { readStatus } from '../src/status/status.js';
import type { Daemon } from '../src/sync/daemon.js';
import { viaProxy } from './support/faults.js';
import { daemon, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { type FaultProxy, startProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// The `bandwidth` setting's pause (src/plan/bandwidth.ts, src/sync/bandwidth*.ts): the daemon
// keeps recording changes and sends nothing, status says `paused`; a reload that lifts the pause
// sends what waited. Limits are measured by the benchmark, not here.

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

const withBandwidth = (base: ReturnType<typeof viaProxy>, bandwidth: string) =>
  parseConfig({ ...JSON.parse(JSON.stringify({ ...base, source: undefined })), bandwidth }, s!.dir);

describe('bandwidth', () => {
  it('paused: changes are recorded and nothing is sent; a reload that lifts the pause sends them', async () => {
    s = await scratch('bandwidth-pause');
    s.write('before.txt', 'there at start');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const paused = withBandwidth(viaProxy(s, p, { debounceMs: 100 }), 'pause');
    d = daemon(paused);
    await d.start();
    s.write('during.txt', 'written while paused');
    s.write('dir/deep.txt', 'also');
    await eventually(() => {
      for (const rel of ['before.txt', 'during.txt', 'dir/deep.txt'])
        expect(d!.rt.journal.getFile('p', rel)?.state).toBe('dirty');
    });
    await eventually(() => {
      const st = readStatus(paused);
      expect(st.bandwidth).toEqual({ rate: 'paused', until: null, paused: true });
      expect(st.pairs[0]!).toMatchObject({ verdict: 'paused', paused: true, pending: 3 });
    });
    const sends = ['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CopyObject', 'DeleteObjects'];
    expect(sends.map((op) => p.counts.get(op as never) ?? 0)).toEqual([0, 0, 0, 0, 0]);

    await d.reload(withBandwidth(viaProxy(s, p, { debounceMs: 100 }), '100MiB/s'));
    await eventually(() => expectMirror(s!.root, s!.bucket));
    await eventually(() => {
      const st = readStatus(paused);
      expect(st.bandwidth).toEqual({ rate: '100 MiB/s', until: null, paused: false });
      expect(st.pairs[0]!.paused).toBe(false);
    });
  });
});
