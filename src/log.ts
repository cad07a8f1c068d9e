import { createRequire } from 'node:module';
import type { Logger } from 'pino';

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

/** pino's default levels; a logger below its level drops the call. */
const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

let pinoModule: typeof import('pino') | undefined;
const require = createRequire(import.meta.url);
const loadPino = () => (pinoModule ??= require('pino') as typeof import('pino'));

const noop = () => undefined;

/**
 * A logger that loads pino (~10 ms of every start) only when it is first needed: a line at an
 * enabled level, or anything other than a level method or child(). A `sync --once` with nothing
 * to report (its level is warn) never loads it; the daemon (info) loads it with its first line.
 * Everything else is pino itself, reached through the proxy.
 */
function lazyLogger(make: () => Logger, threshold: number): Logger {
  let real: Logger | undefined;
  const get = () => (real ??= make());
  return new Proxy({} as Logger, {
    get(_target, prop) {
      if (!real) {
        if (prop === 'child') {
          return (bindings: Record<string, unknown>, options?: object) =>
            options === undefined ? lazyLogger(() => get().child(bindings), threshold) : get().child(bindings, options);
        }
        if (typeof prop === 'string' && (LEVELS[prop] ?? -1) >= 0 && LEVELS[prop]! < threshold) return noop;
      }
      const r = get();
      const v = Reflect.get(r, prop, r) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    set(_target, prop, value) {
      return Reflect.set(get(), prop, value);
    },
  });
}

export function createLogger(opts: { level?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? process.env.S3MIRROR_LOG_LEVEL ?? 'info';
  const make = () => {
    const pino = loadPino();
    return pino(
      { level, base: { pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } },
      pino.destination({ dest: opts.destination ?? 1, sync: true }),
    );
  };
  const threshold = LEVELS[level];
  // An unknown level is pino's to reject, and at once: a lazy logger would defer the error.
  return threshold === undefined ? make() : lazyLogger(make, threshold);
}

/** A logger that drops everything: for one-shot commands that must print only their own output. */
export const silentLogger: Logger = lazyLogger(() => loadPino()({ level: 'silent' }), Infinity);
