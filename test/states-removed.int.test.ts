import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllClis, runCli } from './support/cli.js';
import { expectStatusExit } from './support/cli-fixture.js';
import { createBucket, uniqueBucket } from './support/s3client.js';
import { testEnv } from './support/s3server.js';
import { daemon, eventually, expectMirror, inJournal, scratch, type Scratch } from './support/mirror.js';

// A pair that leaves the config: its rows stay (it may come back) but are never waited on.

let s: Scratch | undefined;
afterEach(async () => {
  await killAllClis();
  s?.cleanup();
  s = undefined;
});

describe('a pair removed from the config', () => {
  it('its recorded changes are never waited on: sync --once exits 0, status and the daemon work, and the rows wait for its return', async () => {
    s = await scratch('removed');
    const sc = s;
    const qRoot = join(sc.dir, 'qroot');
    mkdirSync(qRoot);
    const qBucket = uniqueBucket('removed-q'); // not created yet: the daemon cannot ship q's changes
    const pPair = { name: 'p', path: sc.root, bucket: sc.bucket };
    const qPair = { name: 'q', path: qRoot, bucket: qBucket };
    sc.write('p0.txt', 'p zero');
    const both = sc.config({}, { pairs: [pPair, qPair] });
    const dm = daemon(both, { preflightRetryMs: 60_000 });
    await dm.start();
    try {
      for (let i = 0; i < 3; i++) writeFileSync(join(qRoot, `q${i}.txt`), `q ${i}`);
      await eventually(() => expect(inJournal(both, (j) => j.pendingCount('q'))).toBe(3), 20_000);
    } finally {
      await dm.stop();
    }

    const env = testEnv();
    const file = join(sc.dir, 'config.json');
    const write = (pairs: unknown[]) =>
      writeFileSync(
        file,
        JSON.stringify({
          stateDir: sc.stateDir,
          s3: { endpoint: env.endpoint, region: env.region, forcePathStyle: true },
          debounceMs: 100,
          pairs,
        }),
      );
    write([pPair]);
    const dueBefore = inJournal(both, (j) =>
      j.db.prepare("SELECT rel, due_at FROM files WHERE pair = 'q' ORDER BY rel").all(),
    );

    sc.write('p1.txt', 'p one');
    const r1 = await runCli(['sync', '--once', '--config', file], { timeoutMs: 30_000 });
    expect({ code: r1.code, signal: r1.signal }).toEqual({ code: 0, signal: null });
    const r2 = await runCli(['sync', '--once', '--config', file], { timeoutMs: 30_000 });
    expect(r2.code).toBe(0);
    const st = await runCli(['status', '--json', '--config', file], { timeoutMs: 30_000 });
    expectStatusExit(st);
    expect(JSON.parse(st.stdout)).toMatchObject({ pairs: [{ name: 'p', pending: 0, state: 'ok' }] });
    await expectMirror(sc.root, sc.bucket);

    // The daemon too takes no row of the missing pair (it would lease it for 10 minutes).
    const onlyP = sc.config({}, { pairs: [pPair] });
    const dm2 = daemon(onlyP);
    await dm2.start();
    try {
      sc.write('p2.txt', 'p two');
      await eventually(() => expectMirror(sc.root, sc.bucket), 20_000);
    } finally {
      await dm2.stop();
    }
    expect(
      inJournal(both, (j) => j.db.prepare("SELECT rel, due_at FROM files WHERE pair = 'q' ORDER BY rel").all()),
    ).toEqual(dueBefore);

    // Back in the config, with its bucket: what it recorded while away is shipped.
    await createBucket(qBucket);
    write([pPair, qPair]);
    const r3 = await runCli(['sync', '--once', '--config', file], { timeoutMs: 30_000 });
    expect(r3.code).toBe(0);
    await expectMirror(qRoot, qBucket);
  });
});
