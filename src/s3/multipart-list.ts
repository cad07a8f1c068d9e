import type { ListMultipartUploadsCommandOutput, ListPartsCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { ListedPart, ListedUpload } from '../bucket.js';
import type { MirrorError } from '../errors.js';
import { normalizeEtag } from '../plan/etag.js';
import type { S3Operation } from './operation.js';
import { sdk } from './sdk.js';

const { ListMultipartUploadsCommand, ListPartsCommand } = sdk;

type MapError = (e: unknown, op: S3Operation) => Promise<MirrorError>;

/**
 * A server that lacks the operation: s3rver answers ListParts with 405 MethodNotAllowed and
 * ListMultipartUploads with 501 NotImplemented.
 */
function unsupported(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  return err.name === 'NotImplemented' || err.name === 'MethodNotAllowed' || status === 405 || status === 501;
}

/** No such upload: NoSuchUpload, or a bare 404 (Debian's RGW) that is not about the bucket. */
function gone(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchUpload' || (err.$metadata?.httpStatusCode === 404 && err.name !== 'NoSuchBucket');
}

/** Every part of the upload (pages of 1,000), `gone` on NoSuchUpload, `unsupported` without ListParts. */
export async function listParts(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  mapError: MapError,
): Promise<ListedPart[] | 'gone' | 'unsupported'> {
  const out: ListedPart[] = [];
  let marker: string | undefined;
  for (;;) {
    let r: ListPartsCommandOutput;
    try {
      r = await client.send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          ...(marker ? { PartNumberMarker: marker } : {}),
        }),
      );
    } catch (e) {
      if (gone(e)) return 'gone';
      if (unsupported(e)) return 'unsupported';
      throw await mapError(e, { op: 'ListParts', key });
    }
    for (const p of r.Parts ?? []) {
      if (p.PartNumber === undefined) continue;
      out.push({ n: p.PartNumber, size: p.Size ?? -1, etag: normalizeEtag(p.ETag) ?? '' });
    }
    if (!r.IsTruncated || !r.NextPartNumberMarker || r.NextPartNumberMarker === marker) break;
    marker = r.NextPartNumberMarker;
  }
  return out.sort((a, b) => a.n - b.n);
}

/** Every upload under way under `prefix` (pages of 1,000), `unsupported` without the listing. */
export async function listUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  mapError: MapError,
): Promise<ListedUpload[] | 'unsupported'> {
  const out: ListedUpload[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    let r: ListMultipartUploadsCommandOutput;
    try {
      r = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(idMarker ? { UploadIdMarker: idMarker } : {}),
        }),
      );
    } catch (e) {
      if (unsupported(e)) return 'unsupported';
      throw await mapError(e, { op: 'ListMultipartUploads', bucket, prefix });
    }
    for (const u of r.Uploads ?? []) {
      if (!u.Key || !u.UploadId) continue;
      out.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 });
    }
    if (!r.IsTruncated || (r.NextKeyMarker === keyMarker && r.NextUploadIdMarker === idMarker)) break;
    keyMarker = r.NextKeyMarker;
    idMarker = r.NextUploadIdMarker;
  }
  return out;
}
