// Process warnings as one line each. cli.ts imports this module first, so the handler is in place
// before anything else (the AWS SDK above all) is evaluated. Node's default printer spreads a
// warning over several lines on stderr (the SDK's NodeVersionSupportWarning takes eight), which
// breaks "one JSON object per line" in journald: the daemon routes warnings through its pino
// logger instead (`routeWarnings`), and one-shot commands print `s3mirror: warning: …` on stderr.
// `--no-warnings` / NODE_NO_WARNINGS=1 still silence them, as they silence Node's printer.

/** Where a warning line goes. */
export type WarningSink = (w: Error, line: string) => void;

/** One line: the warning's name (unless it is the generic "Warning"), code and message, whitespace collapsed. */
export function warningLine(w: Error): string {
  const code = (w as { code?: unknown }).code;
  const head = [w.name && w.name !== 'Warning' ? w.name : '', typeof code === 'string' ? `[${code}]` : '']
    .filter(Boolean)
    .join(' ');
  const text = `${head ? `${head}: ` : ''}${w.message.trim()}`;
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

const toStderr: WarningSink = (_w, line) => {
  process.stderr.write(`s3mirror: warning: ${line}\n`);
};

let sink: WarningSink = toStderr;

const silenced = () => process.env.NODE_NO_WARNINGS === '1' || process.execArgv.includes('--no-warnings');

process.removeAllListeners('warning');
process.on('warning', (w: Error) => {
  if (silenced()) return;
  if (w.name === 'DeprecationWarning' && process.noDeprecation) return;
  try {
    sink(w, warningLine(w));
  } catch {
    /* a warning must never take the process down */
  }
});

/** Send warnings to `s` from now on (the daemon passes its logger); no argument restores stderr. */
export function routeWarnings(s: WarningSink = toStderr): void {
  sink = s;
}
