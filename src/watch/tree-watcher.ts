import { EventEmitter } from 'node:events';
import type { PairWatcher, WatcherEvents, WatchTarget } from './seam.js';

/** One pair's watch as a backend holds it. */
export interface WatchedTree {
  /** Watches the whole tree; throws if it cannot (the watch limit, a vanished root). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A backend that watches each pair as one tree object. A pair watched anew keeps its old tree
 * until the new one watches, so no change falls between them; a tree that cannot start is
 * reported and the old one goes on.
 */
export abstract class TreeWatcher<T extends WatchedTree> extends EventEmitter<WatcherEvents> implements PairWatcher {
  protected readonly trees = new Map<string, T>();
  private closed = false;

  /** The pair's new tree (not started), or why the backend cannot watch at all. */
  protected abstract makeTree(t: WatchTarget): Promise<T | Error>;

  /** A failed start's error as the advice in src/plan/watch-health.ts reads it (with its errno code). */
  protected abstract startError(e: unknown): Error;

  async add(t: WatchTarget): Promise<void> {
    if (this.closed) return;
    const tree = await this.makeTree(t);
    if (tree instanceof Error) {
      this.emit('error', { pair: t.pair, error: tree });
      return;
    }
    const previous = this.trees.get(t.pair);
    try {
      await tree.start();
    } catch (e) {
      this.emit('error', { pair: t.pair, error: this.startError(e) });
      return;
    }
    if (this.closed) {
      await tree.close();
      return;
    }
    this.trees.set(t.pair, tree);
    this.emit('ready', t.pair);
    await previous?.close();
  }

  async remove(pair: string): Promise<void> {
    const tree = this.trees.get(pair);
    this.trees.delete(pair);
    await tree?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.trees.values()].map((t) => t.close()));
    this.trees.clear();
  }
}
