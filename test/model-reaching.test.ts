// Shrunk model cases that must reach what they are about (a multipart failpoint, an outage in
// mid-pass), replayed on every `npm test`: a change to the sizes or the request count that left
// them testing nothing fails here (the tally counts each reached point).
import { describe, expect, test } from 'vitest';
import { memoryBackend } from './support/model/memory-backend.js';
import { replay, type Case } from './support/model/run.js';
import type { PairSettings } from './support/model/model.js';
import { tally } from './support/model/tally.js';

const plain: PairSettings = { prefix: 'm1/', exclude: [], delete: 'mirror', deleteExcluded: false, guard: 'generous' };
/** 70 bytes: three parts of 32 in the in-memory runs (threshold 64). */
const BIG = '0123456789'.repeat(7);

/**
 * Cases that must reach what they are about (a multipart failpoint, an outage in mid-pass), or a
 * change to the sizes or the request count would leave them testing nothing.
 */
const reaching: { name: string; c: Case; counter: 'multipartCrashes' | 'cuts' }[] = [
  {
    name: 'a multipart upload cut after a part is sent whole by the next pass',
    counter: 'multipartCrashes',
    c: { cfg: plain, steps: [['write', 'x', BIG], ['write', 'y.txt', 'a'], ['crash', 'after-part', 1], ['settle']] },
  },
  {
    name: 'a multipart upload cut before Complete is sent whole by the next pass',
    counter: 'multipartCrashes',
    c: { cfg: plain, steps: [['write', 'x', BIG], ['crash', 'before-complete', 0], ['settle']] },
  },
  {
    name: 'a multipart upload completed just before a crash is not sent again',
    counter: 'multipartCrashes',
    c: {
      cfg: plain,
      steps: [['write', 'x', BIG], ['write', 'a/x', `${BIG}!`], ['crash', 'after-complete', 0], ['settle']],
    },
  },
  {
    name: 'files a pass could not send when the server went down in mid-pass are sent by the next',
    counter: 'cuts',
    c: {
      cfg: plain,
      steps: [['write', 'x', 'a'], ['write', 'y.txt', 'bb'], ['write', 'a/x', BIG], ['cut', 2], ['pass'], ['settle']],
    },
  },
  {
    name: 'copies to a new prefix that an outage in mid-pass refused are made by the next pass',
    counter: 'cuts',
    c: { cfg: plain, steps: [['write', 'x', ''], ['settle'], ['prefix', 'm2/'], ['cut', 1], ['settle']] },
  },
  {
    name: 'deletes a pass could not make when the server went down in mid-pass are made by the next',
    counter: 'cuts',
    c: {
      cfg: plain,
      steps: [
        ['write', 'x', 'a'],
        ['write', 'y.txt', 'bb'],
        ['settle'],
        ['rm', 'x'],
        ['write', 'a/x', 'c'],
        // The journal is trusted: no listing, so the upload is the first request and the delete the second.
        ['cut', 1],
        ['outage', false],
        ['settle'],
      ],
    },
  },
  {
    // Both names carry the same content, so the bucket cannot say which one won the key.
    name: 'an NFC name sent before an outage keeps the key from its NFD twin with the same content',
    counter: 'cuts',
    c: {
      cfg: plain,
      steps: [
        ['write', 'caf\u00e9', 'BB'],
        ['cut', 1],
        ['write', 'cafe\u0301', 'BB'],
        ['settle'],
        ['write', 'caf\u00e9', ''],
        ['settle'],
      ],
    },
  },
];

describe('model cases that reach multipart failpoints and outages in mid-pass', () => {
  for (const { name, c, counter } of reaching) {
    test(name, async () => {
      const before = tally[counter];
      await replay(c, () => memoryBackend());
      expect(tally[counter]).toBe(before + 1);
    });
  }
});
