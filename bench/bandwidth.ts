// The `bandwidth` limit, measured: `s3mirror sync --once` uploads BW_MIB (default 240) of 4 MiB
// files with `bandwidth` set to BW_RATE_MIB MiB/s (default 8, so about 30 s), and the rate
// achieved over the whole run, process start included, is compared with the limit.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bench, envNumber, log } from './harness.js';

const MiB = 1024 * 1024;
const TOTAL_MIB = envNumber('BW_MIB', 240);
const RATE_MIB = envNumber('BW_RATE_MIB', 8);
const FILE_MIB = 4;

export async function bandwidthLines(bench: Bench, bucket: string): Promise<string[]> {
  log(`bandwidth: ${TOTAL_MIB} MiB at a limit of ${RATE_MIB} MiB/s`);
  const root = join(bench.tmp, 'bandwidth');
  mkdirSync(root, { recursive: true });
  const files = Math.max(1, Math.round(TOTAL_MIB / FILE_MIB));
  for (let i = 0; i < files; i++) writeFileSync(join(root, `b${i}.bin`), randomBytes(FILE_MIB * MiB));
  const config = bench.config('bandwidth', { root, bucket, bandwidth: `${RATE_MIB}MiB/s` });
  const run = await bench.s3mirror(config);
  const uploaded = Object.values(run.summary.stats).reduce((a, s) => a + s.uploaded, 0);
  const mib = files * FILE_MIB;
  const rate = mib / run.wallS;
  const off = (rate / RATE_MIB - 1) * 100;
  return [
    '',
    `bandwidth (sync --once, "bandwidth": "${RATE_MIB}MiB/s"; ${files} files of ${FILE_MIB} MiB; wall time from process start):`,
    `  ${uploaded} of ${files} files, ${mib} MiB in ${run.wallS.toFixed(1)} s: ${rate.toFixed(2)} MiB/s, ${off >= 0 ? '+' : ''}${off.toFixed(1)} % of the limit`,
    `${uploaded === files && Math.abs(off) <= 5 ? 'PASS' : 'FAIL'}  bandwidth: the limit is honoured within 5 % over ${(mib / RATE_MIB).toFixed(0)} s`,
  ];
}
