/** Human-readable lines of the `sync --once` summary (`--json` prints the raw numbers instead). */

const ORDER = ['uploaded', 'copied', 'deleted', 'trashed', 'skipped', 'failed', 'held'] as const;

/** `docs: 12 uploaded, 3 copied, 1 deleted, 0 trashed, 4 skipped, 0 failed, 0 held`. */
export function formatPairStats(name: string, stats: unknown): string {
  const s = stats && typeof stats === 'object' ? (stats as Record<string, unknown>) : {};
  const known: readonly string[] = ORDER;
  const keys = [...ORDER.filter((k) => k in s), ...Object.keys(s).filter((k) => !known.includes(k))];
  const parts = keys.filter((k) => typeof s[k] === 'number').map((k) => `${s[k] as number} ${k}`);
  return `${name}: ${parts.length ? parts.join(', ') : 'nothing done'}`;
}
