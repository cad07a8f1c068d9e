import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { createLogger, silentLogger } from '../src/log.js';
import { JournalGuard } from '../src/sync/journal-guard.js';
import { outageWatch } from '../src/sync/outage.js';
import { Runtime } from '../src/sync/runtime.js';
import { MemoryBuckets } from './support/memory-bucket.js';
import { MemoryS3 } from './support/memory-s3.js';
import { canMount, mountTmpfs, type Tmpfs } from './support/tmpfs.js';

const MiB = 1024 * 1024;
const turn = () => new Promise((r) => setImmediate(r));
/** Whether the scheduler holds every pair: what the guard answers for. */
const held = (rt: Runtime) => (rt.scheduler.gates as unknown as { held: boolean }).held;

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

function open(): { rt: Runtime; fs: Tmpfs; server: MemoryS3 } {
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-guard-'));
  mkdirSync(join(dir, 'data'));
  const fs = mountTmpfs(join(dir, 'state'), 8 * MiB);
  const cfg = parseConfig(
    {
      stateDir: join(dir, 'state'),
      s3: { region: 'us-east-1' },
      pairs: [{ name: 'main', path: join(dir, 'data'), bucket: 'a-bucket' }],
    },
    dir,
  );
  const server = new MemoryS3();
  server.createBucket('a-bucket');
  const rt = Runtime.open(cfg, { mode: 'daemon', log: silentLogger, buckets: new MemoryBuckets(server) });
  cleanup.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => fs.unmount(),
    () => rt.close(),
  );
  return { rt, fs, server };
}

/** A journal write the full disk refuses: the guard hears of it through `onUnwritable`. */
function failWrite(rt: Runtime): void {
  expect(() => rt.journal.probeWrite(2 * MiB)).toThrow();
}

// The daemon's guard over a journal on a real filesystem that fills up (a tmpfs).
describe.runIf(canMount)('JournalGuard on a full stateDir (tmpfs)', () => {
  it('a write that fails again during the catch-up rescan keeps every pair held until the disk recovers', async () => {
    const { rt, fs } = open();
    let rescans = 0;
    let rescanned!: () => void;
    const guard = new JournalGuard(
      rt,
      silentLogger,
      async () => {
        rescans++;
        if (rescans === 1) {
          // The disk fills up again while the rescan runs.
          fs.fill();
          failWrite(rt);
        }
        rescanned();
      },
      1,
    );
    guard.start();
    cleanup.push(() => guard.stop());

    fs.fill();
    failWrite(rt);
    expect(guard.isDown).toBe(true);
    expect(held(rt)).toBe(true);

    const first = new Promise<void>((r) => (rescanned = r));
    fs.free();
    await first;
    await turn();
    expect(rescans).toBe(1);
    expect(guard.isDown, 'down again').toBe(true);
    expect(held(rt), 'still held: nothing may run on a journal that cannot take its outcomes').toBe(true);

    const second = new Promise<void>((r) => (rescanned = r));
    fs.free();
    await second;
    await turn();
    expect(rescans).toBe(2);
    expect(guard.isDown).toBe(false);
    expect(held(rt)).toBe(false);
  });

  it('a catch-up rescan that fails is logged; the process goes on and the pairs are released', async () => {
    const { rt, fs } = open();
    const logFile = join(fs.dir, '..', 'log.jsonl');
    const stray: unknown[] = [];
    const onStray = (e: unknown) => stray.push(e);
    process.on('unhandledRejection', onStray);
    cleanup.push(() => process.off('unhandledRejection', onStray));
    let failed!: () => void;
    const rescanFailed = new Promise<void>((r) => (failed = r));
    const guard = new JournalGuard(
      rt,
      createLogger({ destination: logFile }),
      async () => {
        setImmediate(failed);
        throw new Error('rescan failed');
      },
      1,
    );
    guard.start();
    cleanup.push(() => guard.stop());
    fs.fill();
    failWrite(rt);
    fs.free();
    await rescanFailed;
    await turn();
    await turn();
    expect(stray).toEqual([]);
    expect(guard.isDown).toBe(false);
    expect(held(rt)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toContain('the rescan after the journal recovered failed');
  });

  it('a bucket that answers again while the journal cannot be written: its pair comes back all the same', async () => {
    const { rt, fs, server } = open();
    const now = Date.now();
    // Rows waiting out a retry backoff, enough that making them due needs room the disk lacks.
    const items = Array.from({ length: 3000 }, (_, i) => ({
      rel: `d/${'x'.repeat(100)}-${i}`,
      key: `d/${'x'.repeat(100)}-${i}`,
    }));
    rt.journal.markManyDirty({ pair: 'main', items, now, debounceMs: 0, maxDelayMs: 0 });
    const db = new Database(rt.journal.path);
    db.prepare("UPDATE files SET error_code = 'S3_REQUEST_FAILED', due_at = ?").run(now + 3_600_000);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const watch = outageWatch(rt, silentLogger, () => new Promise(() => undefined));
    watch.start();
    cleanup.push(() => void watch.stop());
    const offline = () => rt.scheduler.gates.offline;

    server.outage = true;
    await rt.buckets
      .bucket('a-bucket')
      .check()
      .catch(() => undefined);
    expect(watch.offline('main')).toBe(true);
    expect(offline()).toEqual(new Set(['main']));

    fs.fill();
    expect(() => rt.journal.makeRetriesDue(Date.now(), 'main'), 'the disk refuses this write').toThrow();
    server.outage = false;
    await rt.buckets.bucket('a-bucket').check();
    expect(watch.offline('main')).toBe(false);
    expect(offline(), 'the scheduler takes the pair again').toEqual(new Set());
  });
});
