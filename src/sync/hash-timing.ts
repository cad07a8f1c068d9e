import type { PairConfig } from '../config.js';
import type { Hashed } from '../local/hasher.js';
import { toHashWhileSent } from '../local/part-check.js';
import type { TreePath } from '../local/safe-open.js';
import { contentRecorded } from '../plan/moves.js';
import { hashTiming } from '../plan/one-pass.js';
import type { PartOptions } from '../plan/parts.js';
import type { Journal } from '../store/journal.js';
import type { FileRow } from '../store/types.js';
import type { BucketEncryption } from './encryption.js';

/**
 * A file above the multipart threshold that nothing needs the MD5 of before its upload: opened,
 * not read (hashTiming decides). Undefined when it is to be hashed first, or when it changed size
 * since its stat (then the full hash sorts it out).
 */
export async function hashWhileSent(a: {
  pair: PairConfig;
  journal: Journal;
  encryption: BucketEncryption;
  row: FileRow;
  where: TreePath;
  size: number;
  remoteSize: number | null;
  parts: PartOptions;
}): Promise<{ hashed: Hashed; reason: string } | undefined> {
  const { pair, journal, row, size } = a;
  if (size < a.parts.thresholdBytes) return undefined;
  const movedFrom = journal.pairs.get(pair.name)?.moved_from ?? null;
  const t = hashTiming({
    size,
    thresholdBytes: a.parts.thresholdBytes,
    remoteSize: a.remoteSize,
    tombstoneOfSize: journal.query.hasPendingTombstoneOfSize(pair.name, size),
    recordedUpload: journal.uploads.resumableOf(pair.name, row.rel).length > 0,
    previousPrefixCopy: movedFrom !== null && contentRecorded(row) && row.etag !== null && row.size === size,
    sse: !!pair.sse,
    etags: a.encryption.trust(pair),
  });
  if (t.action === 'pre-hash') return undefined;
  const hashed = await toHashWhileSent(a.where, a.parts);
  if (!hashed || hashed.stat.size !== size) return undefined;
  return { hashed, reason: t.reason };
}
