import { expect, it } from 'vitest';
import { fastConfig } from '../src/s3/fast-config.js';

it('a fast config holds every property of the original, accessors by their value, and spreads whole', () => {
  const provider = async () => ({ accessKeyId: 'a', secretAccessKey: 'b' });
  const original: Record<string, unknown> = { region: 'eu-west-1', n: 0 };
  Object.defineProperty(original, 'credentials', { get: () => provider, set: () => {}, enumerable: true });
  const fast = fastConfig(original);
  expect(fast).not.toBe(original);
  expect(fast.credentials).toBe(provider);
  // What the SDK's middleware and the presigner do with it: every property, credentials included.
  expect({ ...fast }).toEqual({ region: 'eu-west-1', n: 0, credentials: provider });
});
