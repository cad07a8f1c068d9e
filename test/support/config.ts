import { expect } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { MirrorError } from '../../src/errors.js';

// Inputs for the config contract's tables (src/config.ts): a minimal valid config to vary.

export const BASE = '/base';
export const pair = (over: Record<string, unknown> = {}) => ({ name: 'a', path: 'p', bucket: 'bkt', ...over });
export const cfg = (over: Record<string, unknown> = {}) => ({ stateDir: 'state', pairs: [pair()], ...over });

/** Parse and return the thrown error's message lines (after the heading), failing if it did not throw. */
export function errorLines(raw: unknown, source = 'cfg.json'): { err: MirrorError; heading: string; lines: string[] } {
  let thrown: unknown;
  try {
    parseConfig(raw, BASE, source);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'parseConfig should have thrown').toBeInstanceOf(MirrorError);
  const err = thrown as MirrorError;
  const [heading = '', ...rest] = err.message.split('\n');
  for (const l of rest) expect(l.startsWith('  '), `line ${JSON.stringify(l)} should be indented`).toBe(true);
  return { err, heading, lines: rest.map((l) => l.slice(2)) };
}

/** The config is refused with exactly these lines, in this order, under the heading for cfg.json. */
export function expectExactLines(raw: unknown, expected: string[]): void {
  const { err, heading, lines } = errorLines(raw);
  expect(err.code).toBe('CONFIG_INVALID');
  expect(heading).toBe('invalid config cfg.json:');
  expect(lines).toEqual(expected);
}
