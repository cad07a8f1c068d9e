import type { Config } from '../config.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../log.js';
import { unwritableError } from '../store/unwritable.js';
import { readReloaded } from './reload.js';

const START_RETRY_MS = 10_000;

/**
 * `s3mirror run` before its daemon exists: a full or read-only stateDir is waited out, as a running
 * daemon waits it out, since exiting would be a crash loop under systemd's Restart=on-failure. A
 * SIGHUP meanwhile re-reads the config and the next attempt, made at once, starts with it: nothing
 * runs yet that a change could disturb, so any config that validates applies, a new stateDir too.
 */
export class StartWait {
  private wake: (() => void) | undefined;

  constructor(
    /** The config the next attempt starts with. */
    public cfg: Config,
    private readonly log: Logger,
    private readonly retryMs = START_RETRY_MS,
  ) {}

  /** SIGHUP while waiting: a config that does not validate keeps the current one (every problem logged). */
  reload(): void {
    const next = readReloaded(this.cfg.source, this.log);
    if (!next) return;
    this.cfg = next;
    this.log.info({ config: next.source }, 'config re-read while waiting to start; starting with it');
    this.wake?.();
  }

  /** `open(cfg)` once it does not fail for an unwritable stateDir; any other error is thrown. */
  async open<T>(open: (cfg: Config) => T): Promise<T> {
    for (;;) {
      try {
        return open(this.cfg);
      } catch (e) {
        // Mapped here too: a write at start that fails unmapped would exit, and be restarted, in a loop.
        const unwritable = unwritableError(e, this.cfg.stateDir);
        if (!unwritable) throw e;
        this.log.error(
          { error: errorSummary(unwritable) },
          `cannot start: the stateDir cannot be written; trying again in ${this.retryMs / 1000}s`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.retryMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
