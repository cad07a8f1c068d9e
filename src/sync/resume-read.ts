import type { PairConfig } from '../config.js';
import type { Hashed } from '../local/hasher.js';
import { openStat, partMd5sOf } from '../local/part-check.js';
import type { TreePath } from '../local/safe-open.js';
import { uploadShape, type PartOptions } from '../plan/parts.js';
import { resumeRead, verifiedParts } from '../plan/resume.js';
import type { Journal } from '../store/journal.js';
import type { BucketEncryption } from './encryption.js';
import { settingsFingerprint, settingsFor } from './object-settings.js';

/**
 * The hash of a file that continues a recorded multipart upload, without reading the whole file:
 * its identity and headers are the record's (resumeRead), and the parts the journal says were sent
 * hash as recorded (verifiedParts). The whole-file MD5 is the record's; the parts still missing are
 * hashed as they are read to be sent. Undefined when the file has to be hashed in full.
 */
export async function hashForResume(a: {
  pair: PairConfig;
  journal: Journal;
  where: TreePath;
  rel: string;
  key: string;
  parts: PartOptions;
  encryption: BucketEncryption;
}): Promise<Hashed | undefined> {
  const { pair, journal } = a;
  const recs = journal.uploads.resumableOf(pair.name, a.rel);
  if (recs.length === 0) return undefined;
  const f = await openStat(a.where);
  try {
    const { partSize } = uploadShape(f.stat.size, a.parts);
    if (!partSize) return undefined;
    for (const rec of recs) {
      const identity =
        rec.ctime_ns !== null && rec.ino !== null
          ? { size: rec.size, mtimeNs: rec.mtime_ns, ctimeNs: rec.ctime_ns, ino: rec.ino }
          : null;
      const settings = settingsFingerprint(
        settingsFor(
          pair,
          a.key,
          { md5: rec.md5, stat: f.stat, mode: f.mode },
          { partSize, etags: a.encryption.trust(pair) },
        ),
      );
      const d = resumeRead({
        rec: { key: rec.key, identity, partSize: rec.part_size, settings: rec.settings },
        key: a.key,
        now: f.stat,
        partSize,
        settings,
      });
      if (d.action === 'hash') continue;
      const recorded = journal.uploads.parts(pair.name, rec.upload_id);
      const read = await partMd5sOf(
        f,
        recorded.map((p) => p.n),
        partSize,
      );
      const v = verifiedParts({ recorded, read, total: Math.ceil(f.stat.size / partSize) });
      if (v.action === 'hash') return undefined;
      return {
        stat: f.stat,
        mode: f.mode,
        // '' for an upload hashed as it was sent (plan/one-pass.ts): the journal then records no MD5.
        md5: rec.md5,
        partSize,
        localEtag: '',
        partMd5s: v.partMd5s,
        deferred: true,
      };
    }
    return undefined;
  } finally {
    await f.fh.close();
  }
}
