import type { Status } from './types.js';

function bytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
}

function eta(s: number | null): string {
  if (s === null) return 'unknown';
  if (s < 120) return `${s} s`;
  return s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
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
    out.push(`  state:     ${p.pairState}: ${p.pairStateReason}`);
    out.push(`  synced through: ${p.syncedThrough ?? 'unknown'}   pending bytes: ${bytes(p.pendingBytes)}`);
    if (p.throughput > 0 || p.etaSeconds !== null)
      out.push(`  throughput: ${bytes(p.throughput)}/s (last minute)   ETA: ${eta(p.etaSeconds)}`);
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
    for (const t of s.transfers)
      out.push(`  ${t.pair}/${t.rel}  ${bytes(t.sent)} / ${bytes(t.bytes)} (${Math.floor(t.progress * 100)}%)`);
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
