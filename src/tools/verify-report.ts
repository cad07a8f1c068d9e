import { EXIT } from '../exit.js';
import { VERDICT_ORDER } from '../plan/verify.js';
import type { VerifySummary } from './verify.js';

/**
 * What `verify` prints and exits with: 0 when no key differs (pending and kept keys are listed
 * all the same), 1 otherwise; one line per key that is not identical, naming its key.
 */
export function verifyReport(r: VerifySummary, o: { json: boolean; config: string }): { code: number; text: string } {
  const code = r.differences ? EXIT.someFailed : EXIT.ok;
  if (o.json) {
    const keys = r.lines.map(({ pair, key, rel, verdict, reason }) => ({
      pair,
      key,
      rel: rel ?? null,
      verdict,
      reason,
    }));
    return {
      code,
      text: `${JSON.stringify({ exitCode: code, differences: r.differences, pairs: r.pairs, keys }, null, 2)}\n`,
    };
  }
  const out: string[] = r.lines.map((l) => `${l.verdict}: ${l.pair}: ${l.key}: ${l.reason}`);
  for (const p of r.pairs) {
    const rest = VERDICT_ORDER.filter((v) => v !== 'identical' && p.counts[v]).map((v) => `${p.counts[v]} ${v}`);
    out.push(`${p.pair}: ${[`${p.counts.identical ?? 0} identical`, ...rest].join(', ')}`);
  }
  out.push(
    r.differences
      ? `${r.differences} difference(s); s3mirror sync --once --audit --config ${o.config} puts them right`
      : 'identical',
  );
  return { code, text: `${out.join('\n')}\n` };
}
