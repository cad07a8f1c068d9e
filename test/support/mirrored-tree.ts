import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, parseConfig } from '../../src/config.js';
import { toLocalStat } from '../../src/local/stat.js';
import { keyFor } from '../../src/plan/keys.js';
import { Journal } from '../../src/store/journal.js';
import { MemoryS3 } from './memory-s3.js';

/**
 * A pair `p` (prefix `m/`, bucket `bucket` of an in-memory S3) whose tree of `dirs` × `perDir`
 * files is recorded as mirrored in a new journal: rows clean, objects in the bucket and the remote
 * table. The caller closes the journal and removes `dir`.
 */
export function mirroredTree(o: { dirs: number; perDir: number; now: number; tag: string }): {
  dir: string;
  root: string;
  cfg: Config;
  s3: MemoryS3;
  j: Journal;
} {
  const dir = mkdtempSync(join(tmpdir(), `s3mirror-${o.tag}-`));
  const root = join(dir, 'root');
  const cfg = parseConfig(
    { stateDir: join(dir, 'state'), pairs: [{ name: 'p', path: root, bucket: 'bucket', prefix: 'm/' }] },
    dir,
  );
  const s3 = new MemoryS3().createBucket('bucket');
  const j = Journal.open(cfg.stateDir);
  j.pairs.upsert({ name: 'p', root, bucket: 'bucket', prefix: 'm/' });
  j.tx(() => {
    for (let d = 0; d < o.dirs; d++) {
      mkdirSync(join(root, `d${d}`), { recursive: true });
      for (let f = 0; f < o.perDir; f++) {
        const rel = `d${d}/f${f}.txt`;
        const body = `${rel}\n`;
        writeFileSync(join(root, rel), body);
        const key = keyFor('m/', rel);
        const { etag } = s3.putObject('bucket', key, body);
        j.markDirty({ pair: 'p', rel, key, now: o.now, debounceMs: 0, maxDelayMs: 0 });
        j.recordSynced({
          pair: 'p',
          rel,
          gen: 1,
          stat: toLocalStat(statSync(join(root, rel), { bigint: true })),
          content: { md5: etag, partSize: 0, localEtag: etag, etag, etagKind: 'md5' },
          now: o.now,
          debounceMs: 0,
        });
        j.remote.put({ pair: 'p', key, size: body.length, etag, metaMd5: null, now: o.now });
      }
    }
  });
  return { dir, root, cfg, s3, j };
}
