// Preloaded into a measured child with `node --import ./bench/rusage-hook.mjs ...`.
// On exit (including process.exit()), writes this process's resource usage as JSON to the file
// named by BENCH_RUSAGE_FILE: maxRSS in KiB, userCPUTime/systemCPUTime in microseconds (RUSAGE_SELF:
// every thread of the process, libuv pool and GC threads included), and uptimeMs since process start.
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_RUSAGE_FILE;
if (out) {
  process.on('exit', (code) => {
    const u = process.resourceUsage();
    try {
      writeFileSync(
        out,
        JSON.stringify({ code, maxRSS: u.maxRSS, userCPUTime: u.userCPUTime, systemCPUTime: u.systemCPUTime, uptimeMs: performance.now() }),
      );
    } catch {
      // the parent reports the missing file
    }
  });
}
