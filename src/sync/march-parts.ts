import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PairConfig } from '../config.js';
import { partsFor, splitRanges } from '../plan/key-range.js';
import type { Journal } from '../store/journal.js';
import type { Filter } from '../watch/filter.js';
import { MarkBatch, type MarkSink } from './march.js';
import { marchPart, type PartResult } from './march-part.js';
import type { PartJob, PartMessage } from './march-worker.js';

/**
 * A pass with the journal trusted (no listing beside it) over a large tree, split by key ranges
 * between the main thread and worker threads: each walks, lstats and marches its own range against
 * the journal through its own connection, so the pass takes the cores there are instead of one.
 * The marks come back to the main thread, the journal's one writer. `parts` overrides the count
 * the rows and cores give, `spawn` how a worker is started (tests).
 */
export async function marchInParts(p: {
  journal: Journal;
  pair: PairConfig;
  filter: Filter;
  now: number;
  parts?: number;
  spawn?: (job: PartJob) => Worker;
}): Promise<PartResult> {
  const { journal, pair, now } = p;
  const rows = journal.march.rowCount(pair.name);
  const ranges = splitRanges({
    rows,
    parts: p.parts ?? partsFor(rows, availableParallelism()),
    prefix: pair.prefix,
    keyAt: (offset) => journal.march.keyAt(pair.name, offset),
  });
  const whole = { journal, pair, filter: p.filter, feed: undefined, now };
  if (ranges.length === 1) return marchPart(whole);
  const batch = new MarkBatch(journal, pair.name, now);
  const stateDir = dirname(journal.path);
  let failed = false;
  const others = ranges.slice(1).map((range) => {
    const w = startPart(() => (p.spawn ?? spawnWorker)({ stateDir, pair, range, now }), batch);
    // A worker that could not do its part (it failed to start or load): the main thread does it.
    const done = w.done.catch((e: unknown) => {
      if (failed) throw e;
      return marchPart({ ...whole, range, marks: batch });
    });
    done.catch(() => undefined); // awaited below unless the main thread's part fails first
    return { worker: w.worker, done };
  });
  try {
    const parts = [await marchPart({ ...whole, range: ranges[0]!, marks: batch })];
    for (const o of others) parts.push(await o.done);
    batch.flush();
    return merged(parts);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    for (const o of others) void o.worker?.terminate();
  }
}

function merged(parts: PartResult[]): PartResult {
  const out: PartResult = { ...parts[0]!, peak: { ...parts[0]!.peak }, unreadable: [...parts[0]!.unreadable] };
  for (const q of parts.slice(1)) {
    out.dirty += q.dirty;
    out.cancelled += q.cancelled;
    out.localFiles += q.localFiles;
    out.objects += q.objects;
    out.dirs += q.dirs;
    out.held += q.held;
    out.parts += q.parts;
    out.workers += q.workers;
    out.peak.group = Math.max(out.peak.group, q.peak.group);
    out.peak.rows += q.peak.rows;
    out.peak.objects += q.peak.objects;
    // A directory two ranges share is reported by both.
    for (const u of q.unreadable) if (!out.unreadable.includes(u)) out.unreadable.push(u);
  }
  return out;
}

/** A worker marching its part; its marks go to `marks` as they come. */
function startPart(spawn: () => Worker, marks: MarkSink): { worker?: Worker; done: Promise<PartResult> } {
  let worker: Worker;
  try {
    worker = spawn();
  } catch (e) {
    return { done: Promise.reject(e) };
  }
  const done = new Promise<PartResult>((resolve, reject) => {
    worker.on('message', (m: PartMessage) => {
      if ('marks' in m) for (const [action, rel, key] of m.marks) marks.add(action, rel, key);
      else if ('done' in m) resolve(m.done);
      else reject(new Error(m.failed));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`march worker exited (${code}) before its part was done`)));
  });
  return { worker, done };
}

/**
 * The worker module beside this one: `march-worker.js` in the bundle (scripts/build.mjs), the
 * TypeScript source under tests, loaded through tsx, which Node's worker cannot do by itself.
 */
function spawnWorker(job: PartJob): Worker {
  const workerData = { marchPart: job };
  const built = new URL('./march-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return new Worker(built, { workerData });
  const source = new URL('./march-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
