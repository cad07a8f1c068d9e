import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Watcher, type WatchTarget } from '../../src/watch/watcher.js';

// The kernel's inotify watch limit, lowered for real (root only): for the *.alone.int.test.ts files.

export const LIMIT = '/proc/sys/fs/inotify/max_user_watches';

export const readLimit = () => Number(readFileSync(LIMIT, 'utf8').trim());

/** inotify watches every process holds now (this user is root, as is every process here). */
export function watchesInUse(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fdinfo`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        n += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('inotify wd:')).length;
      } catch {
        // closed meanwhile
      }
    }
  }
  return n;
}

/** The real watcher, with the machine's limit lowered to `low` while its first watch starts. */
export class LoweredOnce extends Watcher {
  lowered: number | undefined;
  constructor(private readonly headroom: number) {
    super();
  }
  override async add(t: WatchTarget): Promise<void> {
    if (this.lowered !== undefined) return super.add(t);
    const saved = readLimit();
    this.lowered = watchesInUse() + this.headroom;
    writeFileSync(LIMIT, String(this.lowered));
    try {
      return await super.add(t);
    } finally {
      writeFileSync(LIMIT, String(saved));
    }
  }
}

/** The real watcher, with the machine's limit lowered from lower() until its first watch is ready. */
export class LoweredUntilReady extends Watcher {
  lowered: number | undefined;
  private saved: number | undefined;
  constructor(private readonly headroom: number) {
    super();
    this.once('ready', () => this.restore());
    this.once('error', () => this.restore());
  }
  lower(): void {
    this.saved = readLimit();
    this.lowered = watchesInUse() + this.headroom;
    writeFileSync(LIMIT, String(this.lowered));
  }
  restore(): void {
    if (this.saved !== undefined) writeFileSync(LIMIT, String(this.saved));
    this.saved = undefined;
  }
}
