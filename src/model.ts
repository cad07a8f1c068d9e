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
  md5: string;
  partSize: number;
  localEtag: string;
  etag: string;
  etagKind: 'md5' | 'multipart' | 'opaque';
}
