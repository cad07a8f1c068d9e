// The in-memory bucket's versioned reads (VersionedReads), as S3 answers them: what `restore --at`
// asks. The versions themselves are kept by the server (VersionedObjects in memory-s3-types.ts).
import type { Bucket, Got, Head, ListedVersion, VersionedReads } from '../../src/bucket.js';
import { mapS3Error } from '../../src/s3/errors.js';
import type { S3Operation } from '../../src/s3/operation.js';
import type { MemoryBuckets } from './memory-bucket.js';
import { headOf, type MemoryVersion, s3Error, utf8Order } from './memory-s3-types.js';

/** Turn versioning on or off as PutBucketVersioning does ('suspended' once it was ever on). */
export function setVersioning(conn: MemoryBuckets, bucket: string, status: 'enabled' | 'suspended'): void {
  conn.server.state(bucket, { op: 'GetBucketVersioning', bucket }).objects.status = status;
}

/** The bucket `name` of this client, with its versioned reads. */
export function versionedBucket(conn: MemoryBuckets, name: string): Bucket & VersionedReads {
  const s3 = conn.server;
  const one = (what: S3Operation, key: string, versionId: string): MemoryVersion | null => {
    const v =
      s3
        .state(name, what)
        .objects.history.get(key)
        ?.find((x) => x.versionId === versionId) ?? null;
    // A delete marker has no body or head: S3 answers 405 MethodNotAllowed.
    if (v && !v.object) throw mapS3Error(s3Error('MethodNotAllowed', 405), what);
    return v;
  };
  const reads: VersionedReads = {
    versioning: () => {
      const what: S3Operation = { op: 'GetBucketVersioning', bucket: name };
      return conn.request(
        { op: 'GetBucketVersioning', bucket: name, bytes: 0 },
        what,
        () => s3.state(name, what).objects.status,
      );
    },
    listVersions: async (prefix, onPage) => {
      const what: S3Operation = { op: 'ListObjectVersions', bucket: name, prefix };
      let from = 0;
      for (;;) {
        // One request per page of at most 1,000 entries, each a fresh look at the bucket.
        const page = await conn.request({ op: 'ListObjectVersions', bucket: name, bytes: 0 }, what, () => {
          const all = [...s3.state(name, what).objects.history]
            .filter(([k]) => k.startsWith(prefix))
            .sort(([a], [b]) => utf8Order(a, b))
            .flatMap(([key, vs]) => vs.map((v, i): ListedVersion => listed(key, v, i === 0)));
          return { entries: all.slice(from, from + 1000), truncated: all.length > from + 1000 };
        });
        from += page.entries.length;
        // As the SDK gives a page: its versions, then its delete markers.
        await onPage([...page.entries.filter((v) => !v.deleteMarker), ...page.entries.filter((v) => v.deleteMarker)]);
        if (!page.truncated) return;
      }
    },
    headVersion: async (key, versionId): Promise<Head | null> => {
      const what: S3Operation = { op: 'HeadObject', key };
      const v = await conn.request({ op: 'HeadObject', bucket: name, key, bytes: 0 }, what, () =>
        one(what, key, versionId),
      );
      return v?.object ? headOf(v.object) : null;
    },
    getVersion: async (key, versionId): Promise<Got | null> => {
      const what: S3Operation = { op: 'GetObject', key };
      const v = await conn.request({ op: 'GetObject', bucket: name, key, bytes: 0 }, what, () =>
        one(what, key, versionId),
      );
      if (!v?.object) return null;
      const body = Buffer.from(v.object.body);
      return {
        head: headOf(v.object),
        body: (async function* () {
          yield body;
        })(),
      };
    },
  };
  return Object.assign(conn.bucket(name), reads);
}

function listed(key: string, v: MemoryVersion, isLatest: boolean): ListedVersion {
  return {
    key,
    versionId: v.versionId,
    isLatest,
    deleteMarker: !v.object,
    lastModified: v.lastModified,
    size: v.object?.body.length ?? 0,
    etag: v.object?.etag ?? '',
  };
}
