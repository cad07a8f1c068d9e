import { accessSync, constants } from 'node:fs';

/** The daemon records its status every second: this long without a record, the journal is not news. */
const STALE_AFTER_MS = 30_000;

/**
 * Why what the journal says cannot be current, or null. A read-only stateDir takes no record at all
 * (access() answers EROFS before it looks at permissions, so a reader may ask); and a running
 * daemon that has written no record for a while cannot write its stateDir (a filesystem that turned
 * read-only under it) or is stuck. Either way, the last pair states the journal holds are stale.
 */
export function unrecordedReason(
  stateDir: string,
  daemon: { running: boolean; pid: number | null; heartbeatAt: string | null },
  now: number,
): string | null {
  try {
    accessSync(stateDir, constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EROFS')
      return `STATE_DIR_UNWRITABLE: cannot write ${stateDir}: the filesystem is read-only (EROFS); nothing is recorded until it is writable again`;
  }
  const beat = daemon.running && daemon.heartbeatAt ? Date.parse(daemon.heartbeatAt) : Number.NaN;
  if (!(now - beat > STALE_AFTER_MS)) return null;
  return `STATE_DIR_UNWRITABLE: the daemon (pid ${daemon.pid ?? '?'}) has recorded nothing in ${stateDir} for ${Math.round((now - beat) / 1000)}s: its stateDir cannot be written, or the daemon is stuck (see its log)`;
}
