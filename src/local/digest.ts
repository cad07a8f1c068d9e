import { createHash, type Hash } from 'node:crypto';
import { multipartEtag } from '../plan/etag.js';
import { openForRead } from './hasher.js';
import type { TreePath } from './safe-open.js';

const CHUNK = 1024 * 1024;

export interface Digest {
  size: number;
  md5: string;
  /** The ETag a multipart upload of the content in `partSize` parts has (when asked for). */
  multipartEtag?: string;
}

/**
 * MD5 of a stream of chunks and, for a part size, the multipart ETag of the same bytes: for
 * checks that compare content with an object (share, verify, restore), in one pass.
 */
export class ContentDigest {
  private readonly whole = createHash('md5');
  private readonly parts: Buffer[] = [];
  private part: Hash | undefined;
  private inPart = 0;
  private size = 0;

  constructor(private readonly partSize?: number) {
    if (partSize) this.part = createHash('md5');
  }

  update(chunk: Buffer): void {
    this.whole.update(chunk);
    this.size += chunk.length;
    const ps = this.partSize;
    if (!ps) return;
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(chunk.length - off, ps - this.inPart);
      this.part!.update(chunk.subarray(off, off + take));
      this.inPart += take;
      off += take;
      if (this.inPart === ps) {
        this.parts.push(this.part!.digest());
        this.part = createHash('md5');
        this.inPart = 0;
      }
    }
  }

  finish(): Digest {
    if (this.partSize && (this.inPart > 0 || this.parts.length === 0)) this.parts.push(this.part!.digest());
    return {
      size: this.size,
      md5: this.whole.digest('hex'),
      ...(this.partSize ? { multipartEtag: multipartEtag(this.parts) } : {}),
    };
  }
}

/** One read of a file in its pair's tree, in bounded chunks. */
export async function digestFile(p: TreePath, partSize?: number): Promise<Digest> {
  const fh = await openForRead(p);
  try {
    const d = new ContentDigest(partSize);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      d.update(buf.subarray(0, bytesRead));
    }
    return d.finish();
  } finally {
    await fh.close();
  }
}
