import type { Config } from '../config.js';
import { MirrorError } from '../errors.js';
import { parseLag } from '../plan/health.js';
import { readStatus, renderStatus, type Status } from './status.js';

/** The command's flags; where it writes defaults to the process's stdout (the view) and stderr (the reason). */
export interface ShowOptions {
  json?: boolean;
  maxLag?: string;
  watch?: boolean;
  /** Redraw in place (a terminal) or print each view after the last (a pipe). */
  tty?: boolean;
  write?: (text: string) => void;
  /** Where the one-line reason goes when unhealthy. */
  warn?: (text: string) => void;
}

function lagOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  const ms = parseLag(text);
  if (ms === null || ms <= 0)
    throw new MirrorError('USAGE', `--max-lag must be <n>s, <n>m, <n>h or <n>d (e.g. 15m), got "${text}"`);
  return ms;
}

function shown(s: Status, json: boolean, compact: boolean): string {
  if (json) return `${compact ? JSON.stringify(s) : JSON.stringify(s, null, 2)}\n`;
  return `${renderStatus(s)}\n`;
}

/**
 * `s3mirror status`: prints it, and answers 0 when healthy, 1 (with the reason on one line) when
 * not. `--watch` prints it again every second until interrupted (SIGINT or SIGTERM), redrawn in
 * place on a terminal; `--json --watch` prints one document a line.
 */
export async function showStatus(cfg: Config, flags: ShowOptions): Promise<number> {
  const o = {
    json: !!flags.json,
    tty: flags.tty ?? !!process.stdout.isTTY,
    write: flags.write ?? ((t: string) => process.stdout.write(t)),
    warn: flags.warn ?? ((t: string) => process.stderr.write(t)),
  };
  const maxLag = lagOf(flags.maxLag);
  const once = (): Status => readStatus(cfg, {}, maxLag);
  if (!flags.watch) {
    const s = once();
    o.write(shown(s, o.json, false));
    if (!s.health.healthy) o.warn(`s3mirror: unhealthy: ${s.health.reason}\n`);
    return s.health.healthy ? 0 : 1;
  }
  let last = once();
  let stop = false;
  const ended = new Promise<void>((resolve) => {
    const end = () => {
      stop = true;
      resolve();
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
  for (;;) {
    const text = shown(last, o.json, true);
    if (o.tty && !o.json) o.write(`\x1b[H\x1b[2J${text}`);
    else o.write(o.json ? text : `--- ${new Date().toISOString()}\n${text}`);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
    if (stop) break;
    last = once();
  }
  if (!last.health.healthy) o.warn(`s3mirror: unhealthy: ${last.health.reason}\n`);
  return last.health.healthy ? 0 : 1;
}
