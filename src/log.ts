import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON on stdout (journald keeps it as-is). Anything that could hold a credential is
 * redacted by path, so a careless `log.info({ creds })` cannot leak a secret.
 */
const REDACT = [
  'secretAccessKey',
  'accessKeyId',
  'sessionToken',
  '*.secretAccessKey',
  '*.accessKeyId',
  '*.sessionToken',
  '*.credentials',
  'credentials',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(opts: { level?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? process.env.S3MIRROR_LOG_LEVEL ?? 'info';
  return pino(
    { level, base: { pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } },
    pino.destination({ dest: opts.destination ?? 1, sync: true }),
  );
}

/** A logger that drops everything: for one-shot commands that must print only their own output. */
export const silentLogger: Logger = pino({ level: 'silent' });
