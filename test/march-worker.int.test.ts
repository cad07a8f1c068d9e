// The worker threads a large trusted pass is split between (src/sync/march-parts.ts) are the
// bundle's third entry, dist/march-worker.js: the unit tests run its TypeScript source, so this
// runs the built file as the CLI would, over a journal and tree on disk, and checks what it posts.
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { PartJob, PartMessage } from '../src/sync/march-worker.js';
import { mirroredTree } from './support/mirrored-tree.js';

const WORKER = fileURLToPath(new URL('../dist/march-worker.js', import.meta.url));

function runPart(job: PartJob): Promise<PartMessage[]> {
  const got: PartMessage[] = [];
  const w = new Worker(WORKER, { workerData: { marchPart: job } });
  return new Promise((resolve, reject) => {
    w.on('message', (m: PartMessage) => got.push(m));
    w.on('error', reject);
    w.on('exit', () => resolve(got));
  });
}

describe('dist/march-worker.js', () => {
  it('marches its range of the tree against the journal and posts the marks and its result', async () => {
    const t = mirroredTree({ dirs: 4, perDir: 10, now: 1_000, tag: 'worker' });
    try {
      writeFileSync(join(t.root, 'd1/f1.txt'), 'grown while nobody watched');
      unlinkSync(join(t.root, 'd2/f2.txt'));
      writeFileSync(join(t.root, 'd0/new.txt'), 'outside the range');
      const got = await runPart({
        stateDir: t.cfg.stateDir,
        pair: t.cfg.pairs[0]!,
        range: { lo: 'm/d1/', hi: 'm/d3/' },
        now: 2_000,
      });
      const marks = got.flatMap((m) => ('marks' in m ? m.marks : []));
      expect(marks.sort()).toEqual([
        ['dirty', 'd1/f1.txt', 'm/d1/f1.txt'],
        ['gone', 'd2/f2.txt', 'm/d2/f2.txt'],
      ]);
      const done = got.find((m) => 'done' in m);
      expect(done && 'done' in done ? done.done : got).toMatchObject({
        workers: 1,
        dirty: 2,
        localFiles: 19,
        objects: 20,
        dirs: 2,
        unreadable: [],
      });
      // The worker only reads the journal: the marks are the main thread's to write.
      expect(t.j.getFile('p', 'd1/f1.txt')?.state).toBe('clean');
    } finally {
      t.j.close();
      rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
