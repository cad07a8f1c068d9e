import type PQueue from 'p-queue';
import type { Bucket } from '../bucket.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Journal } from '../store/journal.js';
import type { HashCache } from './hash-cache.js';
import type { Transfers } from './transfers.js';

/** What a pair's engine and its deletes work with: one home, so neither imports the other for it. */
export type Mode = 'once' | 'daemon';

export interface EngineDeps {
  cfg: Config;
  journal: Journal;
  /** The pair's bucket. */
  bucket: Bucket;
  transfers: Transfers;
  /** Transfers (uploads, copies, deletes). */
  queue: PQueue;
  /** Stat, read-and-hash and HEAD: kept apart so examining never takes a transfer's place. */
  examineQueue: PQueue;
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
