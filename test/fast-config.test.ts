import { expect, it } from 'vitest';
import { fastConfig } from '../src/s3/fast-config.js';

it('a fast config reads as the original, and its accessors reach the original getter and setter', () => {
  let creds = 'a';
  const original: Record<string, unknown> = { region: 'eu-west-1', n: 0, fn: () => 1 };
  Object.defineProperty(original, 'credentials', {
    get: () => creds,
    set: (v: string) => void (creds = v),
    enumerable: true,
    configurable: true,
  });
  const fast = fastConfig(original);
  expect(fast).not.toBe(original);
  expect(fast.region).toBe('eu-west-1');
  expect(fast.fn).toBe(original.fn);
  expect(fast.credentials).toBe('a');
  fast.credentials = 'b';
  expect(creds).toBe('b');
  expect(original.credentials).toBe('b');
  // What the SDK's endpoint middleware does with it: every data property, no accessor.
  expect({ ...fast }).toEqual({ region: 'eu-west-1', n: 0, fn: original.fn });
});
