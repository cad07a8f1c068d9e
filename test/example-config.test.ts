import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseConfig } from '../src/config.js';

// config.example.json documents every default: it must parse, and its values must be the defaults.
describe('config.example.json', () => {
  const raw = JSON.parse(readFileSync(new URL('../config.example.json', import.meta.url), 'utf8'));
  const cfg = parseConfig(raw, '/');
  it('parses', () => expect(cfg.pairs[0]!.name).toBe('docs'));
  it.each([
    ['concurrency', cfg.concurrency, DEFAULTS.concurrency],
    ['debounceMs', cfg.debounceMs, DEFAULTS.debounceMs],
    ['maxDelayMs', cfg.maxDelayMs, DEFAULTS.maxDelayMs],
    ['rescanIntervalMs', cfg.rescanIntervalMs, DEFAULTS.rescanIntervalMs],
    ['degradedRescanMs', cfg.degradedRescanMs, DEFAULTS.degradedRescanMs],
    ['watcher', cfg.watcher, DEFAULTS.watcher],
    ['drainTimeoutMs', cfg.drainTimeoutMs, DEFAULTS.drainTimeoutMs],
    ['abortIncompleteAfterMs', cfg.abortIncompleteAfterMs, DEFAULTS.abortIncompleteAfterMs],
    ['bandwidth', cfg.bandwidth, DEFAULTS.bandwidth],
    ['remoteAuditIntervalMs', cfg.remoteAuditIntervalMs, DEFAULTS.remoteAuditIntervalMs],
    ['multipart.thresholdBytes', cfg.multipart.thresholdBytes, DEFAULTS.multipart.thresholdBytes],
    ['multipart.partSizeBytes', cfg.multipart.partSizeBytes, DEFAULTS.multipart.partSizeBytes],
    ['pairs[0].delete', cfg.pairs[0]!.delete, DEFAULTS.pair.delete],
    ['pairs[0].trashPrefix', cfg.pairs[0]!.trashPrefix, DEFAULTS.pair.trashPrefix],
    ['pairs[0].maxDeletePercent', cfg.pairs[0]!.maxDeletePercent, DEFAULTS.pair.maxDeletePercent],
    ['pairs[0].maxDeleteCount', cfg.pairs[0]!.maxDeleteCount, DEFAULTS.pair.maxDeleteCount],
  ])('%s is the default', (_f, actual, expected) => expect(actual).toBe(expected));
});
