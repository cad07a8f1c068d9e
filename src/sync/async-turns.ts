/** Awaited later with the rest of its batch: marked handled now, so a rejection cannot go unhandled meanwhile. */
export function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * Wait for the event loop's next turn. Examining a small file is synchronous work (stat, read,
 * hash, journal lookups: ~50-80 µs); run back to back, a batch's examines hold the loop for ~10 ms
 * at a time, while the transfers' responses wait and the server runs dry. One turn per examine
 * lets finished transfers be answered between them.
 */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
