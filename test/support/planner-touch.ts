import { KMS, MP, MP_OTHER, OTHER, hashed, remote, synced, type Row } from './planner.js';

/**
 * Rows of the plan table for a file whose stat changed since our upload: a touch (same content)
 * or a change, told by the whole-file MD5 the journal recorded or, for a file sent in parts as it
 * was read, by its multipart ETag in the same part size.
 */
export const TOUCH_RULES: Row[] = [
  // ── a touch: stat changed, content did not ────────────────────────────────────────
  {
    rule: 'touch: journal ETag+md5 match remote (multipart) → skip',
    local: hashed({ localEtag: undefined }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ etag: MP }),
    remote: remote(MP),
    op: 'skip',
    reason: 'content unchanged since our upload',
    noLearned: true,
  },
  {
    rule: 'touch: journal ETag+md5 match remote (SSE-KMS) → skip',
    local: hashed({}, { ctimeNs: '1800000000000000000' }),
    journal: synced({ etag: KMS }),
    remote: remote(KMS),
    opts: { opaqueEtags: true },
    op: 'skip',
    reason: 'content unchanged since our upload',
    noLearned: true,
  },
  {
    rule: 'not a touch: md5 changed though journal ETag matches → upload',
    local: hashed({ md5: OTHER, localEtag: MP_OTHER }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ etag: MP }),
    remote: remote(MP),
    op: 'upload',
    reason: 'content changed since our upload',
  },
  {
    rule: 'touch of a file sent in parts as read (no whole-file MD5): same multipart ETag and part size → skip',
    local: hashed({ localEtag: MP, partSize: 8 }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ md5: null, etag: MP, partSize: 8, localEtag: MP }),
    remote: remote(MP),
    op: 'skip',
    reason: 'content unchanged since our upload',
    noLearned: true,
  },
  {
    rule: 'changed, sent in parts as read: another multipart ETag at the same part size → upload, no HEAD',
    local: hashed({ md5: OTHER, localEtag: MP_OTHER, partSize: 8 }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ md5: null, etag: MP, partSize: 8, localEtag: MP }),
    remote: remote(MP),
    op: 'upload',
    reason: 'content changed since our upload',
  },
  {
    rule: 'sent in parts as read, hashed now in another part size: the record cannot tell → head',
    local: hashed({ md5: OTHER, localEtag: MP_OTHER, partSize: 16 }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ md5: null, etag: MP, partSize: 8, localEtag: MP }),
    remote: remote(MP),
    op: 'head',
    reason: 'ETag (multipart) cannot be compared',
  },
  {
    rule: 'not a touch: object replaced since our upload → head',
    local: hashed({ localEtag: undefined }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ etag: MP }),
    remote: remote(MP_OTHER),
    op: 'head',
    reason: 'ETag (multipart) cannot be compared',
  },
];
