// `restore --at`: the bucket must keep versions; its listing of versions becomes, key by key, the
// one version to restore (versionAt), whatever page a key's versions arrive on.
import type { ListedVersion, VersionedReads } from '../bucket.js';
import { MirrorError } from '../errors.js';
import { compareKeys } from '../plan/key-order.js';
import { versionAt } from '../plan/version-at.js';
import type { RestoreSource } from './restore-object.js';

/** Without versioning there is no past to restore: say so, and how to turn it on. */
export async function requireVersioning(bucket: VersionedReads & { name: string }): Promise<void> {
  const state = await bucket.versioning();
  if (state !== 'off') return;
  throw new MirrorError(
    'VERSIONING_OFF',
    `bucket ${bucket.name} does not keep versions: --at cannot look back in time`,
    {
      hint:
        `enable versioning (aws s3api put-bucket-versioning --bucket ${bucket.name} --versioning-configuration Status=Enabled); ` +
        'only changes made after that can be restored with --at; without --at, restore brings back the current objects',
    },
  );
}

/**
 * Turns pages of versions into the objects to restore as of `atMs`. A page's last key may go on
 * in the next page, so it is held back until a later key (or the end) shows it is complete.
 */
export class VersionsAt {
  private held: ListedVersion[] = [];

  constructor(private readonly atMs: number) {}

  page(entries: readonly ListedVersion[]): RestoreSource[] {
    const byKey = new Map<string, ListedVersion[]>();
    for (const v of [...this.held, ...entries]) {
      const list = byKey.get(v.key);
      if (list) list.push(v);
      else byKey.set(v.key, [v]);
    }
    let last: string | undefined;
    for (const k of byKey.keys()) if (last === undefined || compareKeys(k, last) > 0) last = k;
    this.held = last === undefined ? [] : (byKey.get(last) ?? []);
    if (last !== undefined) byKey.delete(last);
    return this.choose(byKey.values());
  }

  end(): RestoreSource[] {
    const rest = this.held;
    this.held = [];
    return rest.length ? this.choose([rest]) : [];
  }

  private choose(groups: Iterable<ListedVersion[]>): RestoreSource[] {
    const out: RestoreSource[] = [];
    for (const versions of groups) {
      const c = versionAt(versions, this.atMs);
      if (c.action === 'restore') {
        const { key, size, etag, versionId } = c.version;
        out.push({ key, size, etag, versionId });
      }
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }
}
