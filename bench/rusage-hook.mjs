// Preloaded into a measured child with `node --import ./bench/rusage-hook.mjs ...`.
// On exit (including process.exit()), writes this process's resource usage as JSON to the file
// named by BENCH_RUSAGE_FILE: maxRSS in KiB, userCPUTime/systemCPUTime in microseconds (RUSAGE_SELF:
// every thread of the process, libuv pool and GC threads included), and uptimeMs since process start.
//
// Peak RSS comes from /proc/self/status (VmHWM, this process image's own high-water mark) where
// there is one: Linux carries getrusage's maxRSS across fork+exec, so a child spawned by a large
// parent (the bench, after it read a 256 MiB file to check a bucket) reported the parent's RSS as
// its own.
import { readFileSync, writeFileSync } from 'node:fs';

function peakRssKiB(fallback) {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : fallback;
  } catch {
    return fallback;
  }
}

const out = process.env.BENCH_RUSAGE_FILE;
if (out) {
  process.on('exit', (code) => {
    const u = process.resourceUsage();
    try {
      writeFileSync(
        out,
        JSON.stringify({
          code,
          maxRSS: peakRssKiB(u.maxRSS),
          userCPUTime: u.userCPUTime,
          systemCPUTime: u.systemCPUTime,
          uptimeMs: performance.now(),
        }),
      );
    } catch {
      // the parent reports the missing file
    }
  });
}
