import type { Sql } from './sql.js';
import type { FileRow } from './types.js';

/** Every column of `files`, in FileRow order: selected as arrays and built as literals (see fileRow). */
const FILE_COLUMNS =
  'pair, rel, key, present, kind, size, mtime_ns, ctime_ns, ino, hashed_at, md5, part_size, local_etag, etag, etag_kind, remote_size, ' +
  'generation, synced_generation, state, dirty_since, due_at, attempts, error_code, error, updated_at, released';

type RawFileRow = [
  string,
  string,
  string,
  0 | 1,
  FileRow['kind'],
  number | null,
  string | null,
  string | null,
  string | null,
  number | null,
  string | null,
  number | null,
  string | null,
  string | null,
  FileRow['etag_kind'],
  number | null,
  number,
  number,
  FileRow['state'],
  number | null,
  number | null,
  number,
  string | null,
  string | null,
  number,
  0 | 1,
];

/**
 * A FileRow from a raw row. better-sqlite3 sets an object's 25 properties one by one through the
 * V8 API; an array plus a literal of fixed shape costs half, and file rows are read per file.
 */
function fileRow(r: RawFileRow): FileRow {
  return {
    pair: r[0],
    rel: r[1],
    key: r[2],
    present: r[3],
    kind: r[4],
    size: r[5],
    mtime_ns: r[6],
    ctime_ns: r[7],
    ino: r[8],
    hashed_at: r[9],
    md5: r[10],
    part_size: r[11],
    local_etag: r[12],
    etag: r[13],
    etag_kind: r[14],
    remote_size: r[15],
    generation: r[16],
    synced_generation: r[17],
    state: r[18],
    dirty_since: r[19],
    due_at: r[20],
    attempts: r[21],
    error_code: r[22],
    error: r[23],
    updated_at: r[24],
    released: r[25],
  };
}

/** Whole file rows: `where` follows `SELECT <every column> FROM files`. */
export function selectFiles(sql: Sql, where: string, ...params: unknown[]): FileRow[] {
  const rows = sql.raw(`SELECT ${FILE_COLUMNS} FROM files ${where}`).all(...params) as RawFileRow[];
  const out = new Array<FileRow>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = fileRow(rows[i]!);
  return out;
}

export function selectFile(sql: Sql, where: string, ...params: unknown[]): FileRow | undefined {
  const r = sql.raw(`SELECT ${FILE_COLUMNS} FROM files ${where}`).get(...params) as RawFileRow | undefined;
  return r && fileRow(r);
}
