import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getObjectBytes, listAll } from './support/s3client.js';
import { once, scratch, type Scratch } from './support/mirror.js';

let s: Scratch | undefined;
afterEach(() => s?.cleanup());

describe('delete: "trash"', () => {
  it('deleting the same path twice in a day keeps both versions in the trash, each under the day', async () => {
    s = await scratch('trash2');
    s.write('keep.txt', 'k');
    const cfg = s.config({ prefix: 'p/', delete: 'trash', maxDeletePercent: 100 });
    for (const version of ['first version', 'second version']) {
      s.write('d/same.txt', version);
      await once(cfg);
      unlinkSync(join(s.root, 'd/same.txt'));
      const r = await once(cfg);
      expect(r.stats.p).toMatchObject({ trashed: 1 });
    }
    const day = new Date().toISOString().slice(0, 10);
    const trashed = (await listAll(s.bucket)).map((o) => o.key).filter((k) => k.startsWith('p/.s3mirror-trash/'));
    expect(trashed).toHaveLength(2);
    for (const k of trashed) expect(k).toMatch(new RegExp(`^p/\\.s3mirror-trash/${day}/.+/d/same\\.txt$`));
    const bodies = await Promise.all(trashed.map(async (k) => (await getObjectBytes(s!.bucket, k)).toString()));
    expect(bodies.sort()).toEqual(['first version', 'second version']);
  });
});
