import { errorSummary } from '../errors.js';
import {
  type DirKey,
  dirKey,
  dueRechecks,
  queueRechecks,
  RECHECK_DELAY_MS,
  RECHECK_MAX_PER_RUN,
  splitDirKey,
} from '../plan/dir-recheck.js';
import { keyFor } from '../plan/keys.js';
import { sameStat } from '../plan/planner.js';
import { walk } from '../watch/walker.js';
import type { Runtime } from './runtime.js';

/**
 * The net under a watcher that can lose events (src/plan/dir-recheck.ts decides what and when):
 * each directory a batch touched is read again (one readdir and an lstat per entry, not its
 * subdirectories) and compared with the journal's rows in it; what differs is marked dirty, as
 * an event would have marked it.
 */
export class DirRecheck {
  private readonly waiting = new Map<DirKey, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly rt: Runtime,
    /** Runs `fn` when no reload or rescan runs (the daemon's `exclusive`). */
    private readonly serial: (fn: () => Promise<void>) => Promise<void>,
    private readonly delayMs = RECHECK_DELAY_MS,
  ) {}

  touch(pair: string, dirs: readonly string[]): void {
    if (this.stopped) return;
    const add = queueRechecks({
      now: this.rt.now(),
      waiting: this.waiting,
      touched: dirs.map((d) => dirKey(pair, d)),
      delayMs: this.delayMs,
    });
    for (const [k, at] of add) this.waiting.set(k, at);
    if (add.size && !this.running) this.arm();
  }

  /** Resolves once a run under way is done; no run starts after. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    let next = Number.POSITIVE_INFINITY;
    for (const at of this.waiting.values()) next = Math.min(next, at);
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.runDue(), Math.max(0, Math.min(next - this.rt.now(), this.delayMs)));
    this.timer.unref();
  }

  private runDue(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const plan = dueRechecks({
      now: this.rt.now(),
      waiting: this.waiting,
      maxPerRun: RECHECK_MAX_PER_RUN,
      delayMs: this.delayMs,
    });
    for (const k of plan.run) this.waiting.delete(k);
    this.running = this.serial(async () => {
      for (const k of plan.run) {
        const { pair, dir } = splitDirKey(k);
        if (this.stopped) return;
        if (!this.rt.engines.has(pair)) continue; // removed by a reload meanwhile
        try {
          await recheckDir(this.rt, pair, dir);
        } catch (e) {
          this.rt.opts.log.warn({ pair, dir, error: errorSummary(e).message }, 'directory recheck failed');
        }
      }
    })
      .catch((e: unknown) => this.rt.opts.log.warn({ error: errorSummary(e).message }, 'directory recheck failed'))
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) this.arm();
      });
  }
}

/** One directory, read again: the files whose stat, kind or presence differ from the journal. */
async function recheckDir(rt: Runtime, name: string, dir: string): Promise<number> {
  const { pair, filter } = rt.engines.get(name)!;
  let entries: Awaited<ReturnType<typeof walk>>['entries'];
  try {
    ({ entries } = await walk(pair.path, filter, { followSymlinks: pair.followSymlinks, under: dir, shallow: true }));
  } catch {
    entries = []; // the directory is gone: its rows are looked at, and found gone
  }
  const rows = new Map(rt.journal.query.presentIn(name, dir).map((r) => [r.rel, r]));
  const differ: string[] = [];
  for (const e of entries) {
    const r = rows.get(e.rel);
    rows.delete(e.rel);
    // A dirty row is examined anyway: marked again, its debounce would only start over.
    if (r?.state === 'dirty') continue;
    const stat = {
      size: r?.size ?? null,
      mtimeNs: r?.mtime_ns ?? null,
      ctimeNs: r?.ctime_ns ?? null,
      ino: r?.ino ?? null,
    };
    if (!r || r.kind !== e.kind || !sameStat(e.stat, stat)) differ.push(e.rel);
  }
  for (const r of rows.values()) if (r.state !== 'dirty' && !filter.excludes(r.rel)) differ.push(r.rel);
  if (differ.length) {
    rt.journal.markManyDirty({
      pair: name,
      items: differ.map((rel) => ({ rel, key: keyFor(pair.prefix, rel) })),
      now: rt.now(),
      debounceMs: rt.cfg.debounceMs,
      maxDelayMs: rt.cfg.maxDelayMs,
    });
    rt.opts.log.info({ pair: name, dir, files: differ.length }, 'recheck found changes no event reported');
    rt.scheduler.wake();
  }
  return differ.length;
}
