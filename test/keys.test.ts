import { describe, expect, it } from 'vitest';
import { isKeyOnly, keyFor, keyOfRel, pathOfRel, relForKey } from '../src/plan/keys.js';

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';

describe('relForKey: the row a listed object without a row gets', () => {
  it.each([
    ['a plain key', 'p/', 'p/a/b.txt', 'a/b.txt'],
    ['an NFC key: the path of the files that map to it', 'p/', `p/a/${NFC}`, `a/${NFC}`],
    ['an NFD key: no file maps to it, key-only', 'p/', `p/a/${NFD}`, `/a/${NFD}`],
    ['an empty component: key-only', '', 'a//b', '/a//b'],
    ['a leading slash: key-only', '', '/a', '//a'],
    ['a dot-dot component: key-only', '', 'a/../x', '/a/../x'],
    ['a dot component: key-only', '', './x', '/./x'],
    ['outside the prefix', 'p/', 'q/a', undefined],
    ['the prefix itself', 'p/', 'p/', undefined],
  ])('%s', (_name, prefix, key, want) => {
    expect(relForKey(prefix, key)).toBe(want);
  });

  it.each([
    ['p/', `p/a/${NFD}`],
    ['p/', `p/a/${NFC}`],
    ['', 'a//b'],
    ['', 'x.txt'],
  ])('the row names its key again under %j, and under a new prefix keeps its path (%s)', (prefix, key) => {
    const rel = relForKey(prefix, key)!;
    expect(keyOfRel(prefix, rel)).toBe(key);
    expect(keyOfRel('n/', rel)).toBe(`n/${key.slice(prefix.length)}`);
    expect(pathOfRel(rel)).toBe(key.slice(prefix.length));
  });

  it('a walked path is never key-only, and keeps its NFC key', () => {
    expect(isKeyOnly(`a/${NFD}`)).toBe(false);
    expect(keyOfRel('p/', `a/${NFD}`)).toBe(keyFor('p/', `a/${NFC}`));
  });
});
