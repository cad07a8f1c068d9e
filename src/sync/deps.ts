import type { Bucket } from '../bucket.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { FileRow } from '../store/types.js';
import type { Journal } from '../store/journal.js';
import type { HashCache } from './hash-cache.js';
import type { PairLanes } from './lanes.js';
import type { Transfers } from './transfers.js';

/** What a pair's engine and its deletes work with: one home, so neither imports the other for it. */
export type Mode = 'once' | 'daemon';

export interface EngineDeps {
  cfg: Config;
  journal: Journal;
  /** The pair's bucket. */
  bucket: Bucket;
  transfers: Transfers;
  /**
   * The pair's transfer lanes (uploads, copies, deletes) and examination slots (stat,
   * read-and-hash, HEAD): kept apart so examining never takes a transfer's place.
   */
  lanes: PairLanes;
  log: Logger;
  /** Hashes of files read, kept while their stat holds (shared by all pairs). */
  hashes?: HashCache;
  mode: Mode;
  now: () => number;
}

export interface PairStats {
  uploaded: number;
  copied: number;
  deleted: number;
  trashed: number;
  skipped: number;
  failed: number;
  held: number;
}

/** What the scheduler learns of a batch while it runs (PairEngine.processBatch). */
export interface BatchHooks {
  /** A row's work has started; it is done when `work` settles. */
  act?: (row: FileRow, work: Promise<void>) => void;
  /** Every row of the batch is decided and its work started. */
  examined?: () => void;
}
