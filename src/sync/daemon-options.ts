import type { PairWatcher } from '../watch/watcher.js';
import type { RuntimeOptions } from './runtime.js';

/** What `run` takes beyond the runtime's options: check intervals, and seams for tests. */
export interface DaemonOptions extends Partial<RuntimeOptions> {
  /** How often each pair root's identity is checked (a remount, or a root that appears). */
  rootCheckMs?: number;
  /** How often an unusable bucket is checked again (default 10 s). */
  preflightRetryMs?: number;
  /** Tests: how an offline bucket's probe waits its turn (see OutageWatch). */
  probeSleep?: (ms: number) => Promise<void>;
  /** Tests only: a watcher of their own (one that fails, as a kernel out of inotify watches does). */
  watcher?: PairWatcher;
}
