import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { PID_FILE, readPid, StateLock } from '../src/store/lock.js';
import { readStatus } from '../src/status/status.js';
import { Journal } from '../src/store/journal.js';

// `status` names the daemon by its lock. Taking the lock and writing the pid file are two steps, and
// the journal's process record is the previous process's until the new one writes its own: status
// must show neither an unknown pid nor the previous process's for a running daemon.

let dir: string | undefined;
let lock: StateLock | undefined;
afterEach(() => {
  lock?.release();
  lock = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(): { cfg: Config; stateDir: string } {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-lock-'));
  mkdirSync(join(dir, 'root'));
  const cfg = parseConfig(
    { stateDir: 'state', s3: { region: 'us-east-1' }, pairs: [{ name: 'p', path: 'root', bucket: 'bkt' }] },
    dir,
  );
  return { cfg, stateDir: cfg.stateDir };
}

/** The pid of a process that has exited (as a daemon killed with -9 leaves it in the pid file). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

const writePid = (stateDir: string, pid: number) => writeFileSync(join(stateDir, PID_FILE), `${pid}\n`);

describe('status names the lock holder', () => {
  it('the lock holder, not the previous process the journal still describes', () => {
    const { cfg, stateDir } = setup();
    const previous = deadPid();
    const j = Journal.open(stateDir);
    j.setMeta(
      'process',
      JSON.stringify({
        pid: previous,
        mode: 'once',
        startedAt: 1_000,
        heartbeat: 2_000,
        inFlight: [{ pair: 'p', rel: 'x', bytes: 9, sent: 1 }],
      }),
    );
    j.close();
    writePid(stateDir, previous); // killed with -9: its pid file stayed

    lock = StateLock.acquire(stateDir); // the new daemon, before its first status write
    const s = readStatus(cfg);
    expect(s.daemon).toEqual({ running: true, pid: process.pid, mode: null, heartbeatAt: null, startedAt: null });
    expect(s.transfers).toEqual([]);

    lock.release();
    lock = undefined;
    expect(existsSync(join(stateDir, PID_FILE))).toBe(false);
    expect(readStatus(cfg).daemon).toMatchObject({ running: false, pid: null });
  });

  // The moment between the two steps, rebuilt with the real lock: the pid file as it was before.
  it.each([
    ['no pid file yet (the first start)', (): number | undefined => undefined],
    ['the pid file of a holder killed with -9', deadPid],
  ] as const)('lock taken, pid file not written yet — %s: status waits for it', (_what, before) => {
    const { cfg, stateDir } = setup();
    lock = StateLock.acquire(stateDir);
    const old = before();
    if (old === undefined) unlinkSync(join(stateDir, PID_FILE));
    else writePid(stateDir, old);
    expect(readPid(stateDir)).toBe(old);

    let sleeps = 0;
    // The holder writes its pid while status waits.
    const s = readStatus(cfg, { sleep: () => (sleeps++ === 0 ? writePid(stateDir, process.pid) : undefined) });
    expect(s.daemon).toMatchObject({ running: true, pid: process.pid });
    expect(sleeps).toBe(1);
  });

  it('a holder that never writes a pid file: status waits a bounded time, then says so', () => {
    const { cfg, stateDir } = setup();
    lock = StateLock.acquire(stateDir);
    unlinkSync(join(stateDir, PID_FILE));
    let t = 0;
    let sleeps = 0;
    const s = readStatus(cfg, { waitMs: 100, now: () => t, sleep: (ms) => ((t += ms), sleeps++) });
    expect(s.daemon).toMatchObject({ running: true, pid: null });
    expect(t).toBeGreaterThanOrEqual(100);
    expect(sleeps).toBe(Math.ceil(100 / 5));
  });
});

describe('taking the lock', () => {
  it('waits out a status reading lock.db at that moment, and still refuses a second holder', async () => {
    const { stateDir } = setup();
    StateLock.acquire(stateDir).release(); // lock.db as a daemon leaves it
    // Another process, as `status`'s isLocked() is: a read of lock.db, held open for a moment.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3');
         const db = new D(process.argv[1], { readonly: true });
         db.exec('BEGIN'); db.prepare('SELECT count(*) FROM held').get();
         process.stdout.write('reading\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 200);`,
        join(stateDir, 'lock.db'),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((ok) => reader.stdout.once('data', () => ok()));
    lock = StateLock.acquire(stateDir);
    await new Promise((ok) => reader.once('exit', ok));
    expect(readPid(stateDir)).toBe(process.pid);
    expect(() => StateLock.acquire(stateDir)).toThrow(/STATE_DIR_BUSY|in use by another s3mirror/);
  });
});
