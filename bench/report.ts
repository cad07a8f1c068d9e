// The results table: s3mirror beside the raw client (and peers), with the targets.
export interface Row {
  phase: string;
  tool: string;
  wallS: number;
  rawWallS?: number;
  /** "1.18x" or "87 %" */
  ratio?: string;
  rate: string;
  requests: string;
  cpuS: string;
  serverCpuS: string;
  rssMiB: string;
  target: string;
  verdict: '' | 'PASS' | 'FAIL';
}

const SHORT: Record<string, string> = {
  PutObjectCommand: 'PUT',
  ListObjectsV2Command: 'LIST',
  HeadObjectCommand: 'HEAD',
  HeadBucketCommand: 'HEADB',
  CreateMultipartUploadCommand: 'MPU',
  UploadPartCommand: 'PART',
  CompleteMultipartUploadCommand: 'DONE',
  AbortMultipartUploadCommand: 'ABORT',
  DeleteObjectsCommand: 'DEL',
  CopyObjectCommand: 'COPY',
};

export function fmtRequests(r: Record<string, number> | undefined): string {
  if (!r) return '—';
  const parts = Object.entries(r)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${SHORT[k] ?? k.replace(/Command$/, '')} ${Math.round(n)}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function renderTable(rows: readonly Row[]): string {
  const head = ['phase', 'tool', 'wall s', 'raw wall s', 'ratio', 'rate (tool / raw)', 'requests', 'client CPU s (tool / raw)', 'server CPU s (tool / raw)', 'peak RSS MiB (tool / raw)', 'target', ''];
  const body = rows.map((r) => [
    r.phase,
    r.tool,
    r.wallS.toFixed(2),
    r.rawWallS === undefined ? '—' : r.rawWallS.toFixed(2),
    r.ratio ?? '—',
    r.rate,
    r.requests,
    r.cpuS,
    r.serverCpuS,
    r.rssMiB,
    r.target,
    r.verdict,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}
