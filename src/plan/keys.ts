/** Object keys are the pair prefix plus the NFC form of the '/'-separated relative path. */
export const MAX_KEY_BYTES = 1024;

export function keyFor(prefix: string, rel: string): string {
  return prefix + rel.normalize('NFC');
}

export function keyBytes(key: string): number {
  return Buffer.byteLength(key, 'utf8');
}

/** The relative path a listed key stands for (used only for objects we hold no row for). */
export function relForKey(prefix: string, key: string): string | undefined {
  return key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : undefined;
}
