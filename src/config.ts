import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
// A namespace import, so the bundle keeps only the zod it uses (`{ z }` drags in every locale).
import * as z from 'zod';
import { MirrorError } from './errors.js';
import { parseBandwidth } from './plan/bandwidth.js';
import { parseListen } from './plan/listen.js';

/**
 * The config contract. Every default lives here (and is mirrored in config.example.json and the
 * README); the rest of the program only ever sees the parsed, readonly `Config`.
 */
export const DEFAULTS = {
  concurrency: 16,
  debounceMs: 1000,
  maxDelayMs: 10_000,
  rescanIntervalMs: 3_600_000,
  degradedRescanMs: 60_000,
  watcher: 'auto' as const,
  drainTimeoutMs: 30_000,
  abortIncompleteAfterMs: 86_400_000,
  bandwidth: 'off',
  remoteAuditIntervalMs: 86_400_000,
  multipart: { thresholdBytes: 8 * 1024 * 1024, partSizeBytes: 8 * 1024 * 1024 },
  s3: { forcePathStyle: false, checksums: 'WHEN_REQUIRED' as const, signPayload: false },
  pair: {
    prefix: '',
    exclude: [] as string[],
    delete: 'mirror' as const,
    trashPrefix: '.s3mirror-trash/',
    maxDeletePercent: 50,
    maxDeleteCount: 10_000,
    deleteExcluded: false,
    followSymlinks: false,
  },
} as const;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const got = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** An integer in [lo, hi] whose every failure reads `must be an integer lo..hi, got X`. */
function intIn(lo: number, hi: number) {
  const error = (iss: { input?: unknown }) => `must be an integer ${lo}..${hi}, got ${got(iss.input)}`;
  return z.int({ error }).min(lo, { error }).max(hi, { error });
}

function str(what = 'a string') {
  return z.string({
    error: (iss) => (iss.input === undefined ? 'required' : `must be ${what}, got ${got(iss.input)}`),
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) => `must be one of ${values.map((v) => `"${v}"`).join(', ')}, got ${got(iss.input)}`,
  });
}

const bool = () => z.boolean({ error: (iss) => `must be true or false, got ${got(iss.input)}` });

const pairSchema = z.strictObject({
  name: str('a name of letters, digits, ".", "_" or "-"').regex(/^[A-Za-z0-9._-]{1,64}$/, {
    error: (iss) => `must be 1..64 letters, digits, ".", "_" or "-", got ${got(iss.input)}`,
  }),
  path: str('a directory path').min(1, { error: 'required' }),
  bucket: str('a bucket name').regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: (iss) => `must be a valid S3 bucket name (3..63 of a-z 0-9 . -), got ${got(iss.input)}`,
  }),
  prefix: str('a key prefix').default(DEFAULTS.pair.prefix),
  exclude: z
    .array(str('a gitignore-style pattern'), { error: (iss) => `must be a list of patterns, got ${got(iss.input)}` })
    .default([]),
  delete: oneOf(['mirror', 'keep', 'trash']).default(DEFAULTS.pair.delete),
  trashPrefix: str('a key prefix')
    .regex(/[^/]/, { error: 'must name a prefix such as ".s3mirror-trash/"' })
    .default(DEFAULTS.pair.trashPrefix),
  maxDeletePercent: intIn(0, 100).default(DEFAULTS.pair.maxDeletePercent),
  maxDeleteCount: intIn(0, 1_000_000_000).default(DEFAULTS.pair.maxDeleteCount),
  deleteExcluded: bool().default(DEFAULTS.pair.deleteExcluded),
  followSymlinks: bool().default(DEFAULTS.pair.followSymlinks),
  storageClass: str('a storage class').optional(),
  sse: oneOf(['AES256', 'aws:kms']).optional(),
  kmsKeyId: str('a KMS key id or ARN').optional(),
  cacheControl: str('a Cache-Control value').optional(),
});

const configSchema = z.strictObject({
  /** Where an editor finds config.schema.json; ignored by s3mirror. */
  $schema: str('a URL or path to config.schema.json').optional(),
  stateDir: str('a directory path').min(1, { error: 'required' }),
  s3: z
    .strictObject({
      region: str('an AWS region').optional(),
      endpoint: z
        .url({ error: (iss) => `must be a URL such as http://127.0.0.1:9000, got ${got(iss.input)}` })
        .optional(),
      forcePathStyle: bool().default(DEFAULTS.s3.forcePathStyle),
      profile: str('a profile name').optional(),
      checksums: oneOf(['WHEN_REQUIRED', 'WHEN_SUPPORTED']).default(DEFAULTS.s3.checksums),
      signPayload: bool().default(DEFAULTS.s3.signPayload),
    })
    .default({
      forcePathStyle: DEFAULTS.s3.forcePathStyle,
      checksums: DEFAULTS.s3.checksums,
      signPayload: DEFAULTS.s3.signPayload,
    }),
  concurrency: intIn(1, 512).default(DEFAULTS.concurrency),
  debounceMs: intIn(0, 3_600_000).default(DEFAULTS.debounceMs),
  maxDelayMs: intIn(0, 86_400_000).default(DEFAULTS.maxDelayMs),
  rescanIntervalMs: intIn(0, 604_800_000).default(DEFAULTS.rescanIntervalMs),
  degradedRescanMs: intIn(100, 86_400_000).default(DEFAULTS.degradedRescanMs),
  watcher: oneOf(['auto', 'chokidar', 'parcel', 'node']).default(DEFAULTS.watcher),
  drainTimeoutMs: intIn(0, 3_600_000).default(DEFAULTS.drainTimeoutMs),
  abortIncompleteAfterMs: intIn(60_000, 31_536_000_000).default(DEFAULTS.abortIncompleteAfterMs),
  bandwidth: str('a rate such as "50MiB/s", "off", "pause" or a timetable "08:00,10MiB/s 19:00,off"')
    .superRefine((v, ctx) => {
      const r = parseBandwidth(v);
      if (!r.ok) for (const message of r.errors) ctx.addIssue({ code: 'custom', message });
    })
    .default(DEFAULTS.bandwidth),
  remoteAuditIntervalMs: intIn(0, 31_536_000_000).default(DEFAULTS.remoteAuditIntervalMs),
  metrics: z
    .strictObject({
      listen: str('host:port, e.g. "127.0.0.1:9464"').refine((v) => parseListen(v) !== null, {
        error: 'must be host:port or [v6]:port, e.g. "127.0.0.1:9464"',
      }),
    })
    .optional(),
  multipart: z
    .strictObject({
      thresholdBytes: intIn(5 * MiB, 5 * GiB).default(DEFAULTS.multipart.thresholdBytes),
      partSizeBytes: intIn(5 * MiB, 5 * GiB).default(DEFAULTS.multipart.partSizeBytes),
    })
    .default({ ...DEFAULTS.multipart }),
  pairs: z
    .array(pairSchema, {
      error: (iss) => (iss.input === undefined ? 'required' : `must be a list of pairs, got ${got(iss.input)}`),
    })
    .min(1, { error: 'must name at least one pair' }),
});

/**
 * The config's JSON Schema (draft 2020-12), as shipped in config.schema.json for editors: what a
 * file may say (defaults optional), not what the program sees after parsing.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 's3mirror config',
  };
}

type Parsed = z.infer<typeof configSchema>;
export type PairConfig = Readonly<Parsed['pairs'][number]>;
export type Config = Readonly<Omit<Parsed, 'pairs'>> & {
  readonly pairs: readonly PairConfig[];
  readonly source: string;
};

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

/** Pure: validate an already-parsed JSON value. `baseDir` resolves relative paths. */
export function parseConfig(raw: unknown, baseDir: string, source = '(inline)'): Config {
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys')
        return `${formatPath(i.path)}: unknown field ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      if (i.code === 'invalid_type' && i.path.length === 0) return `(top level): must be a JSON object`;
      return `${formatPath(i.path)}: ${i.message}`;
    });
    // Unknown fields alone leave a config that is otherwise well-formed: check that one too, so a
    // typo does not hide duplicate names or overlapping pairs until it is fixed.
    const rest = withoutUnknownFields(raw, r.error.issues);
    if (rest !== undefined) lines.push(...resolvePairs(rest, baseDir).problems);
    throw new MirrorError('CONFIG_INVALID', `invalid config ${source}:\n  ${[...new Set(lines)].join('\n  ')}`, {
      hint: 'fix the named fields; config.example.json documents every field and default',
    });
  }
  const c = r.data;
  const { stateDir, pairs, problems } = resolvePairs(c, baseDir);
  if (problems.length) {
    throw new MirrorError('CONFIG_INVALID', `invalid config ${source}:\n  ${problems.join('\n  ')}`, {
      hint: 'fix the named fields; config.example.json documents every field and default',
    });
  }
  return { ...c, stateDir, pairs, source };
}

/**
 * When every schema issue is an unknown field: the config parsed with those fields removed
 * (it then passes the schema). Otherwise undefined: the value's shape cannot be trusted.
 */
function withoutUnknownFields(raw: unknown, issues: readonly z.core.$ZodIssue[]): Parsed | undefined {
  if (!issues.every((i) => i.code === 'unrecognized_keys')) return undefined;
  const copy = structuredClone(raw);
  for (const i of issues) {
    if (i.code !== 'unrecognized_keys') continue;
    let at: unknown = copy;
    for (const p of i.path) at = (at as Record<PropertyKey, unknown>)[p];
    for (const k of i.keys) delete (at as Record<string, unknown>)[k];
  }
  const r = configSchema.safeParse(copy);
  return r.success ? r.data : undefined;
}

/** Resolve paths and prefixes, and find what the schema cannot see: overlaps, duplicates, kmsKeyId without sse. */
function resolvePairs(c: Parsed, baseDir: string): { stateDir: string; pairs: PairConfig[]; problems: string[] } {
  const problems: string[] = [];
  const pairs = c.pairs.map((p, i) => {
    let prefix = p.prefix.replace(/^\/+/, '');
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    let trashPrefix = p.trashPrefix.replace(/^\/+/, '');
    if (!trashPrefix.endsWith('/')) trashPrefix += '/';
    if (p.kmsKeyId && p.sse !== 'aws:kms') problems.push(`pairs[${i}].kmsKeyId: needs "sse": "aws:kms"`);
    return { ...p, path: resolve(baseDir, p.path), prefix: prefix.normalize('NFC'), trashPrefix };
  });
  const stateDir = resolve(baseDir, c.stateDir);
  pairs.forEach((a, i) => {
    if (isWithin(a.path, stateDir))
      problems.push(
        `stateDir: ${stateDir} is inside pairs[${i}].path ${a.path}; the journal must live outside mirrored trees`,
      );
    pairs.forEach((b, j) => {
      if (j <= i) return;
      if (a.name === b.name) problems.push(`pairs[${j}].name: "${b.name}" is already used by pairs[${i}]`);
      if (isWithin(a.path, b.path) || isWithin(b.path, a.path)) {
        problems.push(
          `pairs[${j}].path: ${b.path} overlaps pairs[${i}].path ${a.path}; pairs must not contain each other`,
        );
      }
      if (a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix))) {
        problems.push(
          `pairs[${j}].prefix: "${b.prefix}" in bucket ${b.bucket} overlaps pairs[${i}].prefix "${a.prefix}"; each pair needs its own prefix`,
        );
      }
    });
  });
  return { stateDir, pairs, problems };
}

function isWithin(parent: string, child: string): boolean {
  if (parent === child) return true;
  return child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

export function loadConfig(file: string): Config {
  const path = isAbsolute(file) ? file : resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MirrorError('CONFIG_UNREADABLE', `cannot read config ${path}: ${(e as Error).message}`, {
      hint: 'pass --config with a readable JSON file (see config.example.json)',
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MirrorError('CONFIG_INVALID', `config ${path} is not valid JSON: ${(e as Error).message}`, {
      hint: 'check for trailing commas and unquoted keys',
    });
  }
  return parseConfig(raw, dirname(path), path);
}
