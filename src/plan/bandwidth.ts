/**
 * The `bandwidth` setting: one rate for the whole daemon ("50MiB/s", "off", "pause") or a
 * timetable in rclone's style ("08:00,10MiB/s 19:00,off"), each entry in force from its time of
 * day until the next, the last one of the day carrying over past midnight. Pure: the clock's
 * local time of day is an input; src/sync/bandwidth.ts applies the verdict.
 */

/** No limit, a limit, or no transfers at all. */
export type Rate = { kind: 'off' } | { kind: 'limit'; bytesPerSec: number } | { kind: 'pause' };

interface TimetableEntry {
  /** Minutes after local midnight. */
  at: number;
  rate: Rate;
}

/** A parsed `bandwidth`: entries sorted by time; a single rate is one entry at 00:00. */
export type Bandwidth = readonly TimetableEntry[];

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  KB: 1000,
  KIB: 1024,
  M: 1024 ** 2,
  MB: 1000 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1000 ** 3,
  GIB: 1024 ** 3,
};

const RATE_HELP = 'a rate such as "50MiB/s" (units B, KiB, MiB, GiB, KB, MB, GB), "off" or "pause"';

function parseRate(text: string): Rate | string {
  const t = text.trim();
  if (t === 'off') return { kind: 'off' };
  if (t === 'pause') return { kind: 'pause' };
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?$/i.exec(t);
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) return `"${t}" is not ${RATE_HELP}`;
  const bytesPerSec = Math.floor(Number(m[1]) * unit);
  if (bytesPerSec < 1024) return `"${t}" is below the least rate, 1 KiB/s`;
  return { kind: 'limit', bytesPerSec };
}

function parseTime(text: string): number | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** The setting parsed, or every problem found in it (for the config error). */
export function parseBandwidth(text: string): { ok: true; value: Bandwidth } | { ok: false; errors: string[] } {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (!parts.length)
    return { ok: false, errors: [`empty: use ${RATE_HELP}, or a timetable "08:00,10MiB/s 19:00,off"`] };
  if (parts.length === 1 && !parts[0]!.includes(',')) {
    const r = parseRate(parts[0]!);
    return typeof r === 'string' ? { ok: false, errors: [r] } : { ok: true, value: [{ at: 0, rate: r }] };
  }
  const errors: string[] = [];
  const entries: TimetableEntry[] = [];
  for (const p of parts) {
    const [time, rate, ...rest] = p.split(',');
    const at = parseTime(time ?? '');
    if (at === undefined || rate === undefined || rest.length) {
      errors.push(`"${p}" is not a timetable entry "HH:MM,rate" (e.g. "08:00,10MiB/s")`);
      continue;
    }
    const r = parseRate(rate);
    if (typeof r === 'string') errors.push(`${time}: ${r}`);
    else if (entries.some((e) => e.at === at)) errors.push(`${time} appears twice`);
    else entries.push({ at, rate: r });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: entries.sort((a, b) => a.at - b.at) };
}

export interface RateNow {
  rate: Rate;
  /** Minutes after local midnight when the next entry takes over; null: never (one rate). */
  until: number | null;
  reason: string;
}

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The rate in force at `minute` (minutes after local midnight, 0..1439). */
export function rateAt(b: Bandwidth, minute: number): RateNow {
  if (b.length === 1 && b[0]!.at === 0) return { rate: b[0]!.rate, until: null, reason: 'one rate all day' };
  // The last entry at or before now; before the day's first entry, the day's last carries over.
  let i = -1;
  for (let k = 0; k < b.length; k++) if (b[k]!.at <= minute) i = k;
  const cur = i < 0 ? b[b.length - 1]! : b[i]!;
  const next = b[(i + 1) % b.length]!;
  return {
    rate: cur.rate,
    until: next.at,
    reason: `the timetable's ${hhmm(cur.at)} entry${i < 0 ? ' (from the day before)' : ''}, until ${hhmm(next.at)}`,
  };
}

/** How `status` and the logs name a rate. */
export function describeRate(r: Rate): string {
  if (r.kind !== 'limit') return r.kind === 'off' ? 'unlimited' : 'paused';
  const mib = r.bytesPerSec / 1024 ** 2;
  return mib >= 1 ? `${Number(mib.toFixed(2))} MiB/s` : `${Number((r.bytesPerSec / 1024).toFixed(2))} KiB/s`;
}

export { hhmm as timeOfDay };
