/** Where a long pass is, as `sync --once` reports it (a bar on a terminal, lines otherwise). */
export interface ProgressSample {
  /** Files decided and acted on (uploaded, copied, deleted, skipped, failed, held). */
  done: number;
  /** Files the pass found to look at; grows if changes arrive meanwhile. */
  total: number;
  /** Bytes sent so far (uploads and copies). */
  bytes: number;
  elapsedMs: number;
}

export interface ProgressView {
  done: number;
  total: number;
  filesPerS: number;
  bytesPerS: number;
  /** Seconds left at the rate so far; null until there is a rate. */
  etaS: number | null;
}

export function progressView(s: ProgressSample): ProgressView {
  const total = Math.max(s.total, s.done);
  const secs = s.elapsedMs / 1000;
  const filesPerS = secs > 0 ? s.done / secs : 0;
  const bytesPerS = secs > 0 ? s.bytes / secs : 0;
  const etaS = filesPerS > 0 ? Math.ceil((total - s.done) / filesPerS) : null;
  return { done: s.done, total, filesPerS, bytesPerS, etaS };
}

function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function duration(s: number | null): string {
  if (s === null) return '?';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** One plain line, for logs and pipes. */
export function progressLine(s: ProgressSample, verb = 'sent'): string {
  const v = progressView(s);
  return `progress: ${v.done}/${v.total} files, ${size(s.bytes)} ${verb}, ${v.filesPerS.toFixed(0)} files/s, ${size(v.bytesPerS)}/s, ETA ${duration(v.etaS)}`;
}

export { size as formatBytes };
