/**
 * Bytes read from the files of the trees, counted where they are read (the hasher, the part
 * hasher's worker, the reads for sending): what a resumed upload reads is a promise ("each byte
 * at most once"), and tests hold it to that.
 */
let total = 0;

/** Count `n` bytes read from a file; returns `n`. */
export function metered(n: number): number {
  total += n;
  return n;
}

/** Bytes read from files in this process so far. */
export function fileBytesRead(): number {
  return total;
}
