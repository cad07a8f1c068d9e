import cliProgress from 'cli-progress';
import { duration, formatBytes, type ProgressSample, progressLine, progressView } from '../plan/progress.js';
import type { OnceProgress } from '../sync/once.js';

/** How often a pipe or a log gets a plain line (S3MIRROR_PROGRESS_MS overrides it). */
const PLAIN_EVERY_MS = 10_000;

export interface ProgressDisplay {
  progress: OnceProgress;
  stop(): void;
}

/**
 * `sync --once`'s progress on stderr (stdout keeps the summary): a bar redrawn in place on a
 * terminal; elsewhere a plain line every ten seconds, so a pass that ends sooner prints none.
 */
export function progressDisplay(
  stream: NodeJS.WriteStream,
  env = process.env,
  /** What the bytes counted are: sent (sync, restore's downloads count too) or read (verify). */
  verb = 'sent',
): ProgressDisplay {
  if (!stream.isTTY) {
    const everyMs = Number(env.S3MIRROR_PROGRESS_MS) > 0 ? Number(env.S3MIRROR_PROGRESS_MS) : PLAIN_EVERY_MS;
    let stopped = false;
    return {
      progress: {
        everyMs,
        report: (s) => {
          // The pass's last report, when it ended within one interval: nothing was worth a line.
          if (stopped || s.elapsedMs < everyMs) return;
          stream.write(`${progressLine(s, verb)}\n`);
        },
      },
      stop: () => {
        stopped = true;
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `{bar} {value}/{total} files | {sent} ${verb} | {rate}/s | ETA {left}`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const payload = (s: ProgressSample) => {
    const v = progressView(s);
    return { sent: formatBytes(s.bytes), rate: formatBytes(v.bytesPerS), left: duration(v.etaS) };
  };
  return {
    progress: {
      everyMs: 200,
      report: (s) => {
        const v = progressView(s);
        if (!started) {
          started = true;
          bar.start(v.total, v.done, payload(s));
          return;
        }
        bar.setTotal(v.total);
        bar.update(v.done, payload(s));
      },
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
