// Value types shared by the layers: the planner, the journal, local file I/O and the engine all
// speak them, so none has to import another's internals for a type.

/** What a stat says about a local file; times and identities are exact decimal strings. */
export interface LocalStat {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
}

/** What we know the object holds after a successful upload, copy or verified skip. */
export interface SyncedContent {
  /**
   * The whole file's MD5; null for a multipart object sent as it was read (plan/one-pass.ts),
   * whose identity is `localEtag` in parts of `partSize`.
   */
  md5: string | null;
  partSize: number;
  /** The ETag the content has when sent in parts of `partSize` (its MD5 when 0: one PUT). */
  localEtag: string;
  etag: string;
  etagKind: 'md5' | 'multipart' | 'opaque';
}
