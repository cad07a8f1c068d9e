// src/status/: reads the journal read-only and renders what `s3mirror status` shows.
import type { Config } from '../config.js';
import { lockHolder, type HolderWait } from '../store/lock.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, JOURNAL_FILE } from '../store/journal.js';
import { readProcessRecord } from './record.js';
import { unrecordedReason } from './unrecorded.js';
import { pairState } from '../plan/pair-state.js';
import type { PairStatus, Status } from './types.js';

export type { Status } from './types.js';
export { renderStatus } from './render.js';
import { health } from '../plan/health.js';

const STATUS_SCHEMA_VERSION = 1;

/** What a pair's verdict is read from. */
type PairBase = Pick<
  PairStatus,
  'state' | 'offline' | 'held' | 'degraded' | 'paused' | 'watcherError' | 'pending' | 'retrying' | 'inFlight' | 'failed'
>;

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/**
 * Read-only: works while the daemon runs, and for a user who can only read the state dir. The
 * daemon's pid is the lock holder's (see lockHolder); what the journal says about the process is
 * used only if it is that process's own record, not the previous one's.
 */
export function readStatus(cfg: Config, wait: HolderWait = {}, maxLagMs: number | null = null): Status {
  const now = (wait.now ?? Date.now)();
  const recorded = readRecorded(cfg, wait);
  // What the journal says cannot be current: every pair is shown as the daemon would record it.
  const why = unrecordedReason(cfg.stateDir, recorded.daemon, now);
  const s = why
    ? {
        ...recorded,
        pairs: recorded.pairs.map((p) => ({
          ...p,
          state: 'error',
          verdict: 'error',
          reason: why,
          pairState: 'error' as const,
          pairStateReason: why,
        })),
      }
    : recorded;
  const pairs = s.pairs.map((p) => ({
    name: p.name,
    state: p.pairState,
    reason: p.pairStateReason,
    syncedThrough: p.syncedThrough ? Date.parse(p.syncedThrough) : null,
  }));
  return { ...s, health: health({ daemonRunning: s.daemon.running, pairs, maxLagMs, now }) };
}

function readRecorded(cfg: Config, wait: HolderWait): Omit<Status, 'health'> {
  const { running, pid } = lockHolder(cfg.stateDir, wait);
  const path = join(cfg.stateDir, JOURNAL_FILE);
  const without = (state: string, reason: string): Omit<Status, 'health'> => ({
    schemaVersion: STATUS_SCHEMA_VERSION,
    daemon: { running, pid, mode: null, heartbeatAt: null, startedAt: null },
    bandwidth: null,
    pairs: cfg.pairs.map((p) => ({
      name: p.name,
      path: p.path,
      bucket: p.bucket,
      prefix: p.prefix,
      state,
      reason,
      inSync: { files: 0, bytes: 0 },
      pending: 0,
      retrying: 0,
      failed: 0,
      held: 0,
      skipped: 0,
      inFlight: 0,
      lastSyncAt: null,
      verdict: state,
      watcherError: null,
      offline: null,
      throttled: null,
      paused: false,
      degraded: null,
      watcher: null,
      problems: [],
      pairState: state === 'never-synced' ? ('never-synced' as const) : ('error' as const),
      pairStateReason: reason,
      syncedThrough: null,
      oldestPendingAt: null,
      pendingBytes: 0,
      throughput: 0,
      etaSeconds: null,
    })),
    transfers: [],
    openUploads: 0,
    recentErrors: [],
  });
  const seen = journalSeen(path);
  if (seen === 'missing')
    return without('never-synced', `no journal at ${path} yet: s3mirror has not run with this stateDir`);
  if (seen === 'denied')
    return without(
      'unknown',
      `cannot read ${path}: permission denied (run status as the service user or a member of its group)`,
    );
  let journal: Journal | undefined;
  try {
    journal = Journal.open(cfg.stateDir, { readonly: true });
    return readFrom(cfg, journal, running, pid);
  } catch (e) {
    // E.g. a daemon killed while in WAL mode left a -shm file this user cannot open.
    return without('unknown', `cannot read journal ${path}: ${(e as Error).message} (run status as the service user)`);
  } finally {
    journal?.close();
  }
}

/** A stateDir this user may not enter is not one where s3mirror never ran. */
function journalSeen(path: string): 'ok' | 'missing' | 'denied' {
  try {
    statSync(path);
    return 'ok';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'denied' : 'missing';
  }
}

function readFrom(cfg: Config, journal: Journal, running: boolean, pid: number | null): Omit<Status, 'health'> {
  const last = readProcessRecord(journal);
  // Until the running process writes its first record, the journal holds the previous process's.
  const proc = running ? (last?.pid === pid ? last : null) : last;
  const transfers =
    running && proc
      ? proc.inFlight.map((t) => ({
          pair: t.pair,
          rel: t.rel,
          bytes: t.bytes,
          sent: t.sent,
          multipart: t.multipart ?? false,
          progress: t.bytes > 0 ? Math.min(1, t.sent / t.bytes) : 1,
        }))
      : [];
  const pairs: PairStatus[] = cfg.pairs.map((p) => {
    const row = journal.pairs.get(p.name);
    const counts = journal.query.stateCounts(p.name);
    const sum = (pred: (c: { state: string; present: number }) => boolean) =>
      counts.filter(pred).reduce((a, c) => a + c.n, 0);
    const clean = counts.filter((c) => c.state === 'clean' && c.present === 1);
    const we = running ? proc?.watcherErrors?.[p.name] : undefined;
    const off = running ? proc?.offline?.[p.name] : undefined;
    const dg = running ? proc?.degraded?.[p.name] : undefined;
    const cap = running ? proc?.throttled?.[p.name] : undefined;
    const base = {
      name: p.name,
      path: p.path,
      bucket: p.bucket,
      prefix: p.prefix,
      state: row?.state ?? 'never-synced',
      reason: row?.hold_reason ?? row?.last_error ?? null,
      inSync: { files: clean.reduce((a, c) => a + c.n, 0), bytes: clean.reduce((a, c) => a + c.bytes, 0) },
      pending: sum((c) => c.state === 'dirty'),
      retrying: journal.query.retryingCount(p.name),
      failed: sum((c) => c.state === 'failed'),
      held: sum((c) => c.state === 'held'),
      skipped: sum((c) => c.state === 'skipped'),
      inFlight: transfers.filter((t) => t.pair === p.name).length,
      lastSyncAt: iso(row?.last_sync_at),
      watcherError: we ? { at: iso(we.at)!, message: we.message } : null,
      offline: off ? { since: iso(off.since)!, lastError: off.lastError } : null,
      throttled: cap === undefined ? null : { concurrency: cap },
      paused: running && proc?.bandwidth?.paused === true,
      degraded: dg ? { ...dg, since: iso(dg.since)! } : null,
      watcher: (running ? proc?.watchers?.[p.name] : undefined) ?? null,
      problems: journal.query
        .failedFiles(p.name, 20)
        .map((f) => ({ rel: f.rel, state: f.state, code: f.error_code, error: f.error })),
    };
    // While a process runs, the journal is only as current as its reconcile: until then, what
    // changed while nothing watched is unknown.
    const scanning = running && !(proc?.reconciled ?? []).includes(p.name);
    // The last record's measures hold after its process ended: a watermark stays true.
    const m = proc?.monitor?.[p.name];
    const st = pairState({
      journal: row?.state ?? null,
      journalReason: base.reason,
      held: base.held,
      failed: base.failed,
      retrying: base.retrying,
      pending: base.pending,
      inFlight: base.inFlight,
      offline: base.offline,
      degraded: base.degraded,
      paused: base.paused,
      reconciled: !scanning,
      everSynced: base.lastSyncAt !== null,
    });
    return {
      ...base,
      verdict: verdictOf(base, scanning),
      pairState: st.state,
      pairStateReason: st.reason,
      syncedThrough: iso(m?.syncedThrough) ?? (running ? null : base.lastSyncAt),
      oldestPendingAt: iso(m?.oldestPendingSince),
      pendingBytes: counts.filter((c) => c.state === 'dirty').reduce((a, c) => a + c.bytes, 0),
      throughput: running ? (m?.throughput ?? 0) : 0,
      etaSeconds: running && st.state === 'syncing' ? (m?.etaSeconds ?? null) : null,
    };
  });
  return {
    schemaVersion: STATUS_SCHEMA_VERSION,
    daemon: {
      running,
      pid,
      mode: running ? (proc?.mode ?? null) : null,
      heartbeatAt: iso(proc?.heartbeat),
      startedAt: running ? iso(proc?.startedAt) : null,
    },
    bandwidth: running ? (proc?.bandwidth ?? null) : null,
    pairs,
    transfers,
    openUploads: journal.uploads.count(),
    recentErrors: journal.errors.recent(10).map((e) => ({ ...e, at: iso(e.at)! })),
  };
}

/** What needs the operator (a hold, a blind watcher) outranks progress; "in sync" is what is left. */
function verdictOf(p: PairBase, scanning: boolean): string {
  if (p.state !== 'ok') return p.state;
  if (p.offline) return 'offline';
  if (p.held > 0) return 'deletes-held';
  if (p.degraded) return 'degraded';
  if (p.paused) return 'paused';
  // A record from a version that did not write `degraded`.
  if (p.watcherError) return 'watcher-error';
  if (scanning) return 'scanning';
  if (p.pending > p.retrying || p.inFlight > 0) return 'syncing';
  if (p.failed > 0) return `${p.failed} failed`;
  return p.retrying > 0 ? `${p.retrying} retrying` : 'in sync';
}
