import type { Config, PairConfig } from '../config.js';
import { keyOfRel } from '../plan/keys.js';
import type { Filter } from '../watch/filter.js';
import { PairEngine } from './engine.js';
import type { BucketProvider } from '../bucket.js';
import type { EngineDeps } from './deps.js';
import type { HashCache } from './hash-cache.js';
import type { Lanes } from './lanes.js';

/** What a pair's engine is wired to: the runtime's parts (not the runtime, which opens engines). */
interface EngineHome {
  readonly cfg: Config;
  readonly journal: EngineDeps['journal'];
  readonly buckets: BucketProvider;
  readonly transfers: EngineDeps['transfers'];
  readonly lanes: Lanes;
  readonly hashes: HashCache;
  readonly opts: { log: EngineDeps['log']; mode: EngineDeps['mode'] };
  readonly now: () => number;
}

/**
 * A pair's engine, at start or when a reload adds or changes the pair. A new bucket or prefix
 * re-keys its rows first, so the tree is mirrored to the new location.
 */
export function openEngine(rt: EngineHome, p: PairConfig, filter?: Filter): PairEngine {
  const { journal, opts } = rt;
  const was = journal.pairs.rekey(p.name, p, (rel) => keyOfRel(p.prefix, rel), rt.now());
  if (was) {
    opts.log
      .child({ pair: p.name })
      .warn(
        { from: `s3://${was.bucket}/${was.prefix}`, to: `s3://${p.bucket}/${p.prefix}` },
        'the pair mirrors to a new location: the tree is mirrored there (copied inside the bucket where it can be); objects at the old location are left as they are',
      );
  }
  journal.pairs.upsert({ name: p.name, root: p.path, bucket: p.bucket, prefix: p.prefix });
  return new PairEngine(
    p,
    {
      // Read at each use, so the debounce and delays a reload changes apply to every engine at once.
      get cfg(): Config {
        return rt.cfg;
      },
      journal,
      bucket: rt.buckets.bucket(p.bucket),
      transfers: rt.transfers,
      lanes: rt.lanes.of(p.name),
      log: opts.log,
      hashes: rt.hashes,
      mode: opts.mode,
      now: rt.now,
    },
    filter,
  );
}
