import Database from 'better-sqlite3';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalCheck } from '../src/plan/journal-check.js';
import { Journal, JOURNAL_FILE } from '../src/store/journal.js';

// `PRAGMA quick_check` reads every page of the journal: it runs when the last writer did not close
// cleanly, not at every start, so a restart costs what the tree costs, not what the journal weighs.

describe('journalCheck', () => {
  it.each([
    [true, 'skip', 'closed cleanly'],
    [false, 'check', 'not closed cleanly'],
    [null, 'check', 'no clean-close marker'],
  ] as const)('closed cleanly: %s → %s', (closedCleanly, action, reason) => {
    const v = journalCheck({ closedCleanly });
    expect(v.action).toBe(action);
    expect(v.reason).toContain(reason);
  });
});

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A journal with recorded errors, closed as `clean` says, then the errors table's page ruined. */
function journalWithRuinedErrorsPage(clean: boolean): string {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-check-'));
  const j = Journal.open(dir);
  j.errors.add(1, 'p', 'a.txt', 'S3_REQUEST_FAILED', 'boom');
  if (clean) j.close({ clean: true });
  else j.close();
  const path = join(dir, JOURNAL_FILE);
  const db = new Database(path, { readonly: true });
  const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'errors'").get() as {
    rootpage: number;
  };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
  return dir;
}

describe('opening a journal', () => {
  it('not closed cleanly: quick_check finds a ruined page and the journal is moved aside', () => {
    const stateDir = journalWithRuinedErrorsPage(false);
    const j = Journal.open(stateDir);
    expect(j.setAside?.reason).toContain('quick_check');
    j.close();
  });

  it('closed cleanly: no quick_check, so a page nothing reads at the start is not read', () => {
    const stateDir = journalWithRuinedErrorsPage(true);
    const j = Journal.open(stateDir);
    expect(j.setAside).toBeUndefined();
    // The ruined page is found at its first read, which stops that process; the clean-close
    // marker is gone by then, so the next start checks the journal and moves it aside.
    expect(j.takeCleanClose()).toBe(true);
    expect(() => j.errors.recent(10)).toThrow(/malformed|corrupt/i);
    j.abandon();
    const again = Journal.open(stateDir);
    expect(again.setAside?.reason).toContain('quick_check');
    again.close();
  });
});
