// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per area.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: { name: string; where: string; selfMs: number; pct: number }[];
  areas: { area: string; selfMs: number; pct: number }[];
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  for (const d of ['/src/', '/dist/']) {
    const i = url.indexOf(d);
    if (i >= 0) return url.slice(i + 1);
  }
  return url.replace(/^file:\/\//, '');
}

/** Each bundle chunk's source map (null: none), read once. */
const maps = new Map<string, { map: SourceMap; dir: string } | null>();

/**
 * The frame in the source it was bundled from: dist/ is esbuild's chunks, which say nothing of
 * the folder (the area) a function lives in. Its source map does.
 */
function original(f: CallFrame): CallFrame {
  if (!f.url.startsWith('file://') || !f.url.includes('/dist/')) return f;
  let m = maps.get(f.url);
  if (m === undefined) {
    const js = fileURLToPath(f.url);
    m = existsSync(`${js}.map`)
      ? { map: new SourceMap(JSON.parse(readFileSync(`${js}.map`, 'utf8'))), dir: dirname(js) }
      : null;
    maps.set(f.url, m);
  }
  const e = m?.map.findEntry(f.lineNumber, f.columnNumber);
  if (!m || !e || !('originalSource' in e)) return f;
  const src = e.originalSource.startsWith('file://')
    ? e.originalSource
    : pathToFileURL(resolve(m.dir, e.originalSource)).href;
  return { ...f, url: src, lineNumber: e.originalLine };
}

/** Which part of the program a frame belongs to: an npm package, s3mirror itself, node, or V8. */
function areaOf(f: CallFrame): string {
  const u = f.url;
  if (!u) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  for (const d of ['/src/', '/dist/'])
    if (u.includes(d))
      return `s3mirror ${
        u
          .slice(u.indexOf(d) + d.length)
          .split('/')
          .slice(0, -1)
          .join('/') || '.'
      }`;
  if (u.startsWith('node:internal/')) return `node:internal/${u.slice(14).split('/')[0]!.replace(/\.js$/, '')}`;
  if (u.startsWith('node:')) return `node:${u.slice(5).split('/')[0]}`;
  return u;
}

export function summarize(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // the interval that follows the sample
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0) / 1000;
  const fn = new Map<string, { name: string; where: string; selfMs: number }>();
  const area = new Map<string, number>();
  for (const [id, us] of self) {
    const cf = original(byId.get(id)!.callFrame);
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const k = `${cf.functionName}\0${where}`;
    const e = fn.get(k) ?? { name: cf.functionName || '(anonymous)', where, selfMs: 0 };
    e.selfMs += us / 1000;
    fn.set(k, e);
    const a = areaOf(cf);
    area.set(a, (area.get(a) ?? 0) + us / 1000);
  }
  const pct = (ms: number) => (100 * ms) / total;
  return {
    totalMs: total,
    functions: [...fn.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f) => ({ ...f, pct: pct(f.selfMs) })),
    areas: [...area].map(([a, ms]) => ({ area: a, selfMs: ms, pct: pct(ms) })).sort((a, b) => b.selfMs - a.selfMs),
  };
}

export function renderProfile(s: ProfileSummary): string {
  const idle = s.areas.find((a) => a.area === '(idle)')?.selfMs ?? 0;
  const lines = [
    `CPU profile: ${(s.totalMs / 1000).toFixed(2)} s sampled, ${(idle / 1000).toFixed(2)} s of it idle (main thread waiting)`,
    '',
    'top self time by function:',
  ];
  for (const f of s.functions)
    lines.push(`  ${f.selfMs.toFixed(0).padStart(7)} ms ${f.pct.toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
  lines.push('', 'self time by area:');
  for (const a of s.areas.slice(0, 20))
    lines.push(`  ${a.selfMs.toFixed(0).padStart(7)} ms ${a.pct.toFixed(1).padStart(5)} %  ${a.area}`);
  return lines.join('\n');
}

/** Self time per area, side by side: what the first program spends that the second does not. */
export function compareAreas(a: ProfileSummary, b: ProfileSummary, names = ['s3mirror', 'raw']): string {
  const ma = new Map(a.areas.map((x) => [x.area, x.selfMs]));
  const mb = new Map(b.areas.map((x) => [x.area, x.selfMs]));
  const keys = [...new Set([...ma.keys(), ...mb.keys()])]
    .map((k) => ({ k, a: ma.get(k) ?? 0, b: mb.get(k) ?? 0 }))
    .sort((x, y) => y.a - y.b - (x.a - x.b));
  const lines = [
    `self time by area, ${names[0]} vs ${names[1]} (ms; largest difference first):`,
    `  ${'area'.padEnd(34)} ${names[0]!.padStart(9)} ${names[1]!.padStart(9)} ${'diff'.padStart(9)}`,
  ];
  for (const r of keys)
    lines.push(
      `  ${r.k.padEnd(34)} ${r.a.toFixed(0).padStart(9)} ${r.b.toFixed(0).padStart(9)} ${(r.a - r.b).toFixed(0).padStart(9)}`,
    );
  lines.push(
    `  ${'total sampled'.padEnd(34)} ${a.totalMs.toFixed(0).padStart(9)} ${b.totalMs.toFixed(0).padStart(9)} ${(a.totalMs - b.totalMs).toFixed(0).padStart(9)}`,
  );
  return lines.join('\n');
}

// `npx tsx bench/profile.ts FILE.cpuprofile` prints the summary.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.stdout.write(`${renderProfile(summarize(process.argv[2]!))}\n`);
}
