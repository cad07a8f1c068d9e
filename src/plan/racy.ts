/**
 * A file's timestamps tick coarsely: on Linux before 6.13 (and on most filesystems elsewhere) two
 * writes within one clock tick (1–10 ms) leave the same mtime and ctime. A file read in the tick
 * of its last write can be rewritten at the same size after the read with its stat unchanged, and
 * a stat that matches the record would then vouch for content never read ("racy git"). So a stat
 * is trusted for identity only once the file's mtime was already this far behind the clock when
 * the read began: a finer tick cannot reach past it. Filesystems whose timestamps are coarser
 * (FAT's 2 s) are not covered.
 */
export const RACY_MS = 1000;

const NS_PER_MS = 1_000_000n;

/**
 * Was the file's mtime too recent, when it was looked at (`lookedAtMs`, at or before the read), for
 * its stat to vouch for what was read? An mtime ahead of the clock (another host's, on a network
 * filesystem) counts as recent.
 */
export function racyStat(mtimeNs: string, lookedAtMs: number): boolean {
  return BigInt(mtimeNs) > BigInt(Math.floor(lookedAtMs) - RACY_MS) * NS_PER_MS;
}
