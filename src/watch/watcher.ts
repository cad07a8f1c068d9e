// src/watch/: finds local changes (watcher events, the startup and rescan walk) and applies filters.
import { EventEmitter } from 'node:events';
import type { WatcherBackend } from '../plan/watcher-choice.js';
import { ChokidarWatcher } from './chokidar.js';
import { DirsWatcher } from './dirs.js';
import { ParcelWatcher } from './parcel.js';
import type { PairWatcher, WatcherEvents, WatchTarget } from './seam.js';

export type { ChangeEvent, PairWatcher, WatcherEvents, WatchTarget } from './seam.js';

/** Each pair watched by the backend its target names; events of both come out of one emitter. */
export class Watcher extends EventEmitter<WatcherEvents> implements PairWatcher {
  private readonly backends: Record<WatcherBackend, PairWatcher> = {
    chokidar: new ChokidarWatcher(),
    parcel: new ParcelWatcher(),
    node: new DirsWatcher(),
  };
  private readonly using = new Map<string, WatcherBackend>();

  constructor() {
    super();
    for (const b of Object.values(this.backends)) {
      b.on('change', (e) => this.emit('change', e));
      b.on('error', (e) => this.emit('error', e));
      b.on('ready', (p) => this.emit('ready', p));
      b.on('rescan', (r) => this.emit('rescan', r));
      b.on('recheck', (r) => this.emit('recheck', r));
    }
  }

  async add(t: WatchTarget): Promise<void> {
    const backend = t.backend ?? 'chokidar';
    const previous = this.using.get(t.pair);
    // The new watch is ready before the old one (of the other backend) closes.
    await this.backends[backend].add(t);
    this.using.set(t.pair, backend);
    if (previous && previous !== backend) await this.backends[previous].remove(t.pair);
  }

  async remove(pair: string): Promise<void> {
    const backend = this.using.get(pair);
    this.using.delete(pair);
    if (backend) await this.backends[backend].remove(pair);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.backends).map((b) => b.close()));
    this.using.clear();
  }
}
