/**
 * Should opening the journal run `PRAGMA quick_check`? It reads every page, so it grows with the
 * journal (about 0.4 s at 10,000 files, tens of seconds at a million): a price worth paying after
 * a crash, which is when a torn or half-copied file shows up, not at every clean restart. A
 * cleanly closed journal that is damaged anyway fails its first read of a damaged page; that
 * process stops, and the next start finds the journal not closed cleanly and checks it.
 */
export interface JournalCheckInput {
  /** The last writer left the clean-close marker; null: the marker could not be read (new file). */
  closedCleanly: boolean | null;
}

export interface JournalCheckVerdict {
  action: 'check' | 'skip';
  reason: string;
}

export function journalCheck(i: JournalCheckInput): JournalCheckVerdict {
  if (i.closedCleanly === true) return { action: 'skip', reason: 'closed cleanly by the last writer' };
  if (i.closedCleanly === null) return { action: 'check', reason: 'no clean-close marker could be read' };
  return { action: 'check', reason: 'not closed cleanly by the last writer' };
}
