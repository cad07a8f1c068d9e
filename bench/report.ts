// The results table: s3mirror beside the raw client (and peers), with the targets.
export interface Row {
  phase: string;
  tool: string;
  wallS: number;
  rawWallS?: number;
  /** "1.18x" or "87 %" */
  ratio?: string;
  /** W3: throughput as a share of the raw multipart client's ("92 %"). */
  vsMultipart?: string;
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

/** heading, cell, right-aligned */
type Column = [string, (r: Row) => string, boolean];

export function renderTable(rows: readonly Row[]): string {
  // The multipart column only when some row has a value for it (W3 was run).
  const mpu: Column[] = rows.some((r) => r.vsMultipart) ? [['of raw MPU', (r) => r.vsMultipart ?? '—', true]] : [];
  const cols: Column[] = [
    ['phase', (r) => r.phase, false],
    ['tool', (r) => r.tool, false],
    ['wall s', (r) => r.wallS.toFixed(2), true],
    ['raw wall s', (r) => (r.rawWallS === undefined ? '—' : r.rawWallS.toFixed(2)), true],
    ['ratio', (r) => r.ratio ?? '—', true],
    ...mpu,
    ['rate (tool / raw)', (r) => r.rate, false],
    ['requests', (r) => r.requests, false],
    ['client CPU s (tool / raw)', (r) => r.cpuS, false],
    ['server CPU s (tool / raw)', (r) => r.serverCpuS, false],
    ['peak RSS MiB (tool / raw)', (r) => r.rssMiB, false],
    ['target', (r) => r.target, false],
    ['', (r) => r.verdict, false],
  ];
  const body = rows.map((r) => cols.map(([, cell]) => cell(r)));
  const w = cols.map(([h], i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (cols[i]![2] ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cols.map(([h]) => h)), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}
