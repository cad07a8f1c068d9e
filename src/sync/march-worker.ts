import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { PairConfig } from '../config.js';
import type { KeyRange } from '../plan/key-range.js';
import { Journal } from '../store/journal.js';
import { Filter } from '../watch/filter.js';
import type { MarkAction, MarkSink } from './march.js';
import { marchPart, type PartResult } from './march-part.js';

/** What a march worker is given: one range of a pair's keys, marched against a journal it only reads. */
export interface PartJob {
  stateDir: string;
  pair: PairConfig;
  range: KeyRange;
  now: number;
}

/** What a march worker says: its marks in batches, then its result (or why it could not finish). */
export type PartMessage = { marks: [MarkAction, string, string][] } | { done: PartResult } | { failed: string };

/** Marks go to the main thread, which writes them: the journal has one writer. */
const MARKS_PER_MESSAGE = 1000;

async function runJob(job: PartJob, post: (m: PartMessage) => void): Promise<void> {
  const journal = Journal.open(job.stateDir, { readonly: true });
  let marks: [MarkAction, string, string][] = [];
  const sink: MarkSink = {
    add(action, rel, key) {
      marks.push([action, rel, key]);
      if (marks.length >= MARKS_PER_MESSAGE) this.flush();
    },
    flush() {
      if (marks.length) post({ marks });
      marks = [];
    },
  };
  try {
    const done = await marchPart({
      journal,
      pair: job.pair,
      filter: new Filter(job.pair.path, job.pair.exclude),
      feed: undefined,
      now: job.now,
      range: job.range,
      marks: sink,
    });
    sink.flush();
    post({ done: { ...done, workers: 1 } });
  } finally {
    journal.close();
  }
}

if (!isMainThread && parentPort && (workerData as { marchPart?: PartJob } | null)?.marchPart) {
  const port = parentPort;
  runJob((workerData as { marchPart: PartJob }).marchPart, (m) => port.postMessage(m)).catch((e: unknown) =>
    port.postMessage({ failed: e instanceof Error ? e.message : String(e) } satisfies PartMessage),
  );
}
