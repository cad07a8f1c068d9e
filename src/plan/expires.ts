/** How long a share link lives: `<n>s|m|h|d`, at most SigV4's limit of 7 days. */
const MAX_EXPIRES_S = 7 * 24 * 3600;
const UNIT_S = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

export type ExpiresParse = { ok: true; seconds: number } | { ok: false; error: string };

export function parseExpires(text: string): ExpiresParse {
  const m = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!m) return { ok: false, error: `--expires must be <n>s, <n>m, <n>h or <n>d (e.g. 1h), got "${text}"` };
  const seconds = Number(m[1]) * UNIT_S[m[2] as keyof typeof UNIT_S];
  if (seconds < 1) return { ok: false, error: '--expires must be at least 1s' };
  if (seconds > MAX_EXPIRES_S)
    return { ok: false, error: `--expires can be at most 7d (a presigned URL's limit), got "${text}"` };
  return { ok: true, seconds };
}
