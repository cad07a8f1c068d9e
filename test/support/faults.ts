import { parseConfig } from '../../src/config.js';
import { Journal } from '../../src/store/journal.js';
import type { Scratch } from './mirror.js';
import type { FaultProxy } from './proxy.js';

export const MiB = 1024 * 1024;

/** The scratch pair's config, but talking to S3 through the fault proxy. */
export function viaProxy(sc: Scratch, p: FaultProxy, top: Record<string, unknown> = {}) {
  const base = sc.config({}, top);
  return parseConfig(
    { ...JSON.parse(JSON.stringify({ ...base, source: undefined })), s3: { ...base.s3, endpoint: p.endpoint } },
    sc.dir,
  );
}

/** The multipart uploads the journal still records (read-only, also while a daemon runs). */
export function uploadRecords(stateDir: string) {
  const j = Journal.open(stateDir, { readonly: true });
  try {
    return j.uploads.all();
  } finally {
    j.close();
  }
}

/** Upload ids of every AbortMultipartUpload the proxy saw, in order, faulted ones included. */
export function abortedIds(p: FaultProxy): (string | null)[] {
  return p.requests
    .filter((r) => r.op === 'AbortMultipartUpload')
    .map((r) => new URLSearchParams(r.query).get('uploadId'));
}
