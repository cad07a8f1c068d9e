import type { PairConfig } from '../config.js';
import { errorSummary } from '../errors.js';
import { rootId } from '../local/stat.js';
import type { Logger } from '../log.js';

/** What the root check needs of the daemon. */
export interface RootWatchHost {
  pairs(): readonly PairConfig[];
  stopping(): boolean;
  /** Start watching the pair (its root's identity is taken first). */
  watch(name: string): Promise<void>;
  unwatch(name: string): Promise<void>;
  /** Reconcile the pair now, if its bucket has answered. */
  rescanIfReady(name: string): Promise<void>;
  wake(): void;
  log: Logger;
}

/**
 * Each pair root's identity when its watcher was started. A root that appeared, vanished or was
 * replaced (a disk mounted over it) since then leaves the watcher blind to the new directory, so
 * the pair is watched anew and reconciled at once rather than at the next rescan.
 */
export class RootWatch {
  private readonly ids = new Map<string, string | null>();
  private checking = false;

  constructor(private readonly h: RootWatchHost) {}

  async watch(name: string, path: string): Promise<void> {
    this.ids.set(name, rootId(path));
    await this.h.watch(name);
  }

  async check(): Promise<void> {
    if (this.checking || this.h.stopping()) return;
    this.checking = true;
    try {
      for (const p of this.h.pairs()) {
        if (this.h.stopping()) return;
        if (rootId(p.path) === this.ids.get(p.name)) continue;
        this.h.log.warn(
          { pair: p.name, root: p.path },
          'pair root appeared, vanished or was replaced; watching it anew',
        );
        await this.h.unwatch(p.name);
        // stop() may have closed the watcher and the journal meanwhile.
        if (this.h.stopping()) return;
        await this.watch(p.name, p.path);
        if (!this.h.stopping()) await this.h.rescanIfReady(p.name);
        this.h.wake();
      }
    } catch (e) {
      this.h.log.error({ error: errorSummary(e) }, 'root check failed; tried again shortly');
    } finally {
      this.checking = false;
    }
  }
}
