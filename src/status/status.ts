// src/status/: reads the journal read-only and renders what `s3mirror status` shows.
import type { Config } from '../config.js';
import { lockHolder, type HolderWait } from '../store/lock.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, JOURNAL_FILE } from '../store/journal.js';
import { readProcessRecord } from './record.js';
import { unrecordedReason } from './unrecorded.js';

const STATUS_SCHEMA_VERSION = 1;

interface PairStatus {
  name: string;
  path: string;
  bucket: string;
  prefix: string;
  state: string;
  reason: string | null;
  inSync: { files: number; bytes: number };
  pending: number;
  retrying: number;
  failed: number;
  held: number;
  skipped: number;
  inFlight: number;
  lastSyncAt: string | null;
  /**
   * One word on the pair, as the table shows it: "in sync" only when nothing is pending, in flight,
   * failed or held, no watcher error stands and (while a process runs) it has reconciled the pair.
   */
  verdict: string;
  /** The running process's last watcher error on this pair: changes may be missed. */
  watcherError: { at: string; message: string } | null;
  /** The running process found the pair's bucket offline: since when, and the last error. */
  offline: { since: string; lastError: string | null } | null;
  /** The running process sends the pair's bucket at most this many requests at once: it throttles. */
  throttled: { concurrency: number } | null;
  /** The `bandwidth` setting pauses every transfer now (verdict `paused`): changes wait, recorded. */
  paused: boolean;
  /**
   * Set while the running process cannot watch the pair (verdict `degraded`): since when, what
   * failed, how to fix it, and how often the pair is rescanned meanwhile.
   */
  degraded: { since: string; code: string; cause: string; fix: string; errors: number; rescanEveryMs: number } | null;
  /** Which library the running process watches the pair with (`chokidar`, `parcel`), and why. */
  watcher: { backend: string; reason: string } | null;
  problems: { rel: string; state: string; code: string | null; error: string | null }[];
}

export interface Status {
  schemaVersion: number;
  daemon: {
    running: boolean;
    pid: number | null;
    mode: string | null;
    heartbeatAt: string | null;
    startedAt: string | null;
  };
  /** The running daemon's `bandwidth` in force (null: no daemon runs). */
  bandwidth: { rate: string; until: string | null; paused: boolean } | null;
  pairs: PairStatus[];
  transfers: { pair: string; rel: string; bytes: number; sent: number; multipart: boolean }[];
  /** Multipart uploads recorded and not completed: under way, or left to abort (their parts are billed). */
  openUploads: number;
  recentErrors: { at: string; pair: string | null; rel: string | null; code: string; message: string }[];
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/**
 * Read-only: works while the daemon runs, and for a user who can only read the state dir. The
 * daemon's pid is the lock holder's (see lockHolder); what the journal says about the process is
 * used only if it is that process's own record, not the previous one's.
 */
export function readStatus(cfg: Config, wait: HolderWait = {}): Status {
  const s = readRecorded(cfg, wait);
  // What the journal says cannot be current: every pair is shown as the daemon would record it.
  const why = unrecordedReason(cfg.stateDir, s.daemon, (wait.now ?? Date.now)());
  if (!why) return s;
  return { ...s, pairs: s.pairs.map((p) => ({ ...p, state: 'error', verdict: 'error', reason: why })) };
}

function readRecorded(cfg: Config, wait: HolderWait): Status {
  const { running, pid } = lockHolder(cfg.stateDir, wait);
  const path = join(cfg.stateDir, JOURNAL_FILE);
  const without = (state: string, reason: string): Status => ({
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

function readFrom(cfg: Config, journal: Journal, running: boolean, pid: number | null): Status {
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
    return { ...base, verdict: verdictOf(base, scanning) };
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

function bytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
}

/** What needs the operator (a hold, a blind watcher) outranks progress; "in sync" is what is left. */
function verdictOf(p: Omit<PairStatus, 'verdict'>, scanning: boolean): string {
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

export function renderStatus(s: Status): string {
  const out: string[] = [];
  const d = s.daemon;
  out.push(
    d.running
      ? `daemon: running (pid ${d.pid ?? '?'}, ${d.mode ?? '?'}, heartbeat ${d.heartbeatAt ?? 'none'})`
      : 'daemon: not running',
  );
  if (s.bandwidth) out.push(`bandwidth: ${s.bandwidth.rate}${s.bandwidth.until ? ` until ${s.bandwidth.until}` : ''}`);
  for (const p of s.pairs) {
    out.push('');
    out.push(`${p.name}: ${p.path} → s3://${p.bucket}/${p.prefix}  [${p.verdict}]`);
    if (p.reason) out.push(`  reason:    ${p.reason}`);
    out.push(`  in sync:   ${p.inSync.files} files, ${bytes(p.inSync.bytes)}`);
    out.push(`  pending:   ${p.pending}${p.retrying ? ` (${p.retrying} retrying)` : ''}   in flight: ${p.inFlight}`);
    out.push(`  failed:    ${p.failed}   held deletes: ${p.held}   skipped: ${p.skipped}`);
    out.push(`  last sync: ${p.lastSyncAt ?? 'never'}`);
    if (p.degraded) {
      out.push(`  degraded:  since ${p.degraded.since}: ${p.degraded.cause}`);
      out.push(`  fix:       ${p.degraded.fix}`);
    } else if (p.watcherError)
      out.push(
        `  watcher:   ${p.watcherError.at} ${p.watcherError.message} (changes may be missed; restart to watch anew)`,
      );
    if (p.offline)
      out.push(`  offline:   since ${p.offline.since} (${p.offline.lastError ?? 'no answer'}); probing every ≤ 10 s`);
    if (p.throttled)
      out.push(
        `  throttled: the bucket answers 503 SlowDown or 429: at most ${p.throttled.concurrency} requests at once`,
      );
    for (const f of p.problems.slice(0, 10))
      out.push(`    ${f.state.padEnd(7)} ${f.rel}: ${f.code ?? ''} ${f.error ?? ''}`.trimEnd());
    if (p.held > 0) out.push(`  release with: s3mirror resume --config FILE --pair ${p.name} --allow-deletes`);
  }
  if (s.transfers.length) {
    out.push('', 'transfers:');
    for (const t of s.transfers) out.push(`  ${t.pair}/${t.rel}  ${bytes(t.sent)} / ${bytes(t.bytes)}`);
  }
  // More than the multipart uploads under way: some wait for an abort that failed (their parts are billed).
  const stuck = s.openUploads - s.transfers.filter((t) => t.multipart).length;
  if (stuck > 0)
    out.push(
      '',
      `unfinished multipart uploads: ${s.openUploads} (aborted at the next rescan or start; see recent errors and the log if it stays)`,
    );
  if (s.recentErrors.length) {
    out.push('', 'recent errors:');
    for (const e of s.recentErrors)
      out.push(`  ${e.at} ${e.pair ?? ''}${e.rel ? `/${e.rel}` : ''} ${e.code}: ${e.message}`);
  }
  return out.join('\n');
}
