import { isUnhealthy, type PairState } from './pair-state.js';

/** `--max-lag`: `<n>s|m|h|d`. */
export function parseLag(text: string): number | null {
  const m = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!m) return null;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export interface HealthInput {
  daemonRunning: boolean;
  pairs: readonly { name: string; state: PairState; reason: string; syncedThrough: number | null }[];
  /** Unhealthy when a watermark is older than this (null: not asked). */
  maxLagMs: number | null;
  now: number;
}

export interface Health {
  healthy: boolean;
  /** One line naming every reason (null: healthy). */
  reason: string | null;
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

/**
 * Whether `status` exits 0: the daemon runs, no pair needs the operator (error, held, offline,
 * degraded), and with `--max-lag` every pair's watermark is that recent.
 */
export function health(i: HealthInput): Health {
  const why: string[] = [];
  if (!i.daemonRunning) why.push('the daemon is not running');
  for (const p of i.pairs) {
    if (isUnhealthy(p.state)) why.push(`${p.name} is ${p.state}: ${p.reason}`);
    else if (i.maxLagMs !== null) {
      if (p.syncedThrough === null) why.push(`${p.name} has no synced-through time yet (--max-lag ${age(i.maxLagMs)})`);
      else if (i.now - p.syncedThrough > i.maxLagMs)
        why.push(
          `${p.name} is synced through ${age(i.now - p.syncedThrough)} ago, more than --max-lag ${age(i.maxLagMs)}`,
        );
    }
  }
  return why.length ? { healthy: false, reason: why.join('; ') } : { healthy: true, reason: null };
}
