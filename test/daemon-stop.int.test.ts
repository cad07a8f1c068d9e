import { describe, expect, it } from 'vitest';
import { spawnCli } from './support/cli.js';
import {
  baseConfig,
  cliSuiteHooks,
  describeRun,
  fixture,
  stopDaemon,
  writeJson,
  writeTree,
} from './support/cli-fixture.js';
import { eventually } from './support/mirror.js';
import { startProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// A signal while the daemon is still starting: it drains what was begun and exits, and nothing of
// the start (timers, rescans, the metrics listener) is armed after the drain began.
describe('a daemon stopped while it starts', () => {
  cliSuiteHooks();

  for (const metrics of [false, true])
    it(`exits on SIGTERM received while it checks the bucket at start${metrics ? ' (metrics on)' : ''}`, async () => {
      const f = await fixture();
      await writeTree(f.data, { 'a.txt': 'a\n' });
      const proxy = await startProxy(testEnv().endpoint);
      // The start's sweep of stale multipart uploads waits until the signal has been received.
      let arrived!: () => void;
      const atSweep = new Promise<void>((r) => (arrived = r));
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      proxy.setFault({
        kind: 'hook',
        match: (op) => op === 'ListMultipartUploads',
        times: 1,
        before: async () => {
          arrived();
          await released;
        },
      });
      try {
        await writeJson(f.config, {
          ...baseConfig(f, metrics ? { metrics: { listen: '127.0.0.1:0' } } : {}),
          s3: { endpoint: proxy.endpoint, forcePathStyle: true, region: testEnv().region },
        });
        const d = spawnCli(['run', '--config', f.config]);
        await atSweep;
        const stopping = stopDaemon(d, 15_000);
        await eventually(() => expect(d.stdout()).toContain('"signal":"SIGTERM"'), 10_000);
        release();
        const r = await stopping;
        expect(r.code, describeRun('run', r)).toBe(0);
        expect(r.stdout).toContain('"msg":"stopped"');
        expect(r.stdout).not.toContain('"msg":"running"');
      } finally {
        release();
        await proxy.close();
      }
    });
});
