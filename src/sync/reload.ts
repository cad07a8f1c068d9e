import { loadConfig, type Config, type PairConfig } from '../config.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../log.js';
import { planReload, type PairAction, type ReloadPlan } from '../plan/reload.js';
import type { EventAggregator } from '../watch/events.js';
import type { Watcher } from '../watch/watcher.js';
import type { Runtime } from './runtime.js';

/** What applying a reload needs of the daemon: its runtime, watches, rescans and bucket checks. */
export interface ReloadHost {
  readonly rt: Runtime;
  readonly log: Logger;
  /** Pairs whose bucket answered: their rows may flow. */
  readonly ready: Set<string>;
  /** False once the daemon stops: what is left of a reload is abandoned (the next start reconciles). */
  running(): boolean;
  /** The daemon's config becomes `next` (its timers follow it). */
  adopt(next: Config): void;
  watch(name: string): Promise<void>;
  readonly watcher: Pick<Watcher, 'remove'>;
  readonly events: Pick<EventAggregator, 'flush' | 'settled'>;
  rescan(name: string): Promise<void>;
  /** Check the pair's bucket; once it answers the pair is reconciled and resumed, as at start. */
  awaitBucket(name: string): Promise<void>;
}

/** The new config, or undefined (every problem logged) when it does not load or validate. */
export function readReloaded(source: string, log: Logger): Config | undefined {
  try {
    return loadConfig(source);
  } catch (e) {
    const { code, message, hint } = errorSummary(e);
    // One problem a line after the first (see parseConfig): each is logged.
    const lines = message.split('\n');
    const errors = lines.length > 1 ? lines.slice(1).map((l) => l.trim()) : [message];
    log.error(
      { code, errors, hint, config: source },
      `config reload refused: ${errors.length} problem(s) in the new config; still running the previous config`,
    );
    return undefined;
  }
}

/**
 * A config re-read on SIGHUP, applied to the running daemon per `planReload`: pairs removed,
 * changed and added; live settings taken over. A pair being changed is paused and its work under
 * way finishes first (with the config it started with); rows its old engine had taken are due
 * again at once, so the new engine decides them with the new settings.
 */
export async function applyReload(host: ReloadHost, running: Config, next: Config): Promise<ReloadPlan> {
  const plan = planReload(running, next);
  const { log } = host;
  if (plan.action === 'refuse') {
    log.error(
      { restartNeeded: plan.restartNeeded, config: next.source },
      `config reload refused: ${plan.reason}; still running the previous config (restart s3mirror to apply it)`,
    );
    return plan;
  }
  if (plan.action === 'none') {
    log.info({ config: next.source }, 'config reloaded: nothing changed');
    return plan;
  }
  log.info(
    {
      config: next.source,
      settings: plan.settings,
      pairs: plan.pairs.filter((p) => p.op !== 'keep').map((p) => ({ pair: p.name, op: p.op, reason: p.reason })),
    },
    'config reloaded: applying the changes',
  );
  host.adopt(next);
  host.rt.reconfigure(next);
  const byName = new Map(next.pairs.map((p) => [p.name, p]));
  for (const a of plan.pairs) {
    if (!host.running()) break;
    try {
      await applyPair(host, a, byName.get(a.name));
    } catch (e) {
      // Cut short by a stop closing the journal, or a watch that failed: the next start (or
      // reload) sets the pair up from the config; the other pairs go on.
      if (host.running())
        log.error({ pair: a.name, op: a.op, error: errorSummary(e) }, 'could not apply a reloaded pair');
    }
  }
  log.info('config reload applied');
  return plan;
}

async function applyPair(host: ReloadHost, a: PairAction, p: PairConfig | undefined): Promise<void> {
  const { rt } = host;
  const log = host.log.child({ pair: a.name });
  if (a.op === 'keep') return;
  if (a.op === 'remove' || a.op === 'update') {
    rt.scheduler.gates.pause(a.name);
    if (a.op === 'remove' || a.rewatch) await unwatch(host, a.name);
    await rt.scheduler.quiesce(a.name);
  }
  if (a.op === 'remove') {
    rt.closePair(a.name);
    host.ready.delete(a.name);
    log.info('pair removed from the config: no longer watched or mirrored; its journal rows are kept');
    return;
  }
  if (!p || !host.running()) return;
  const keptFilter = a.op === 'update' && !a.rewatch ? rt.engines.get(a.name)?.filter : undefined;
  rt.openPair(p, keptFilter);
  // Rows the previous engine had taken (its pending deletes among them) are due now, not at lease end.
  rt.journal.makeAllDue(rt.now(), [a.name]);
  rt.scheduler.gates.pause(a.name);
  if (a.op === 'add' || a.rewatch) await host.watch(a.name);
  if (a.op === 'update' && !a.checkBucket && host.ready.has(a.name)) {
    if (a.rescan) await host.rescan(a.name);
    rt.scheduler.gates.resume(a.name);
  } else {
    host.ready.delete(a.name);
    await host.awaitBucket(a.name);
  }
  log.info({ op: a.op, reason: a.reason }, a.op === 'add' ? 'pair added' : 'pair changed');
}

/** No more events for the pair, and those already seen are marked while its engine still exists. */
async function unwatch(host: ReloadHost, name: string): Promise<void> {
  await host.watcher.remove(name);
  host.events.flush();
  await host.events.settled();
}
