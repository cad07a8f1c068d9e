import { createHash, type Hash } from 'node:crypto';
import { multipartEtag } from '../plan/etag.js';
import { openForRead } from './hasher.js';
import type { TreePath } from './safe-open.js';

const CHUNK = 1024 * 1024;

export interface Digest {
  size: number;
  md5: string;
  /** The ETag a multipart upload of the file in `partSize` parts has (when asked for). */
  multipartEtag?: string;
}

/**
 * One read of a file in its pair's tree, in bounded chunks: its MD5 and, for a part size, the
 * multipart ETag it would have. For checks that compare a file with its object (share, verify).
 */
export async function digestFile(p: TreePath, partSize?: number): Promise<Digest> {
  const fh = await openForRead(p);
  try {
    const whole = createHash('md5');
    const parts: Buffer[] = [];
    let part: Hash | undefined = partSize ? createHash('md5') : undefined;
    let inPart = 0;
    let size = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const want = part && partSize ? Math.min(CHUNK, partSize - inPart) : CHUNK;
      const { bytesRead } = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      whole.update(chunk);
      size += bytesRead;
      if (part && partSize) {
        part.update(chunk);
        inPart += bytesRead;
        if (inPart === partSize) {
          parts.push(part.digest());
          part = createHash('md5');
          inPart = 0;
        }
      }
    }
    if (part && inPart > 0) parts.push(part.digest());
    return {
      size,
      md5: whole.digest('hex'),
      ...(partSize ? { multipartEtag: multipartEtag(parts.length ? parts : [createHash('md5').digest()]) } : {}),
    };
  } finally {
    await fh.close();
  }
}
