// `s3mirror restore`: its arguments checked, progress on stderr, one line per problem and a count.
import type { Config } from '../config.js';
import { MirrorError } from '../errors.js';
import { EXIT } from '../exit.js';
import { parseAt } from '../plan/version-at.js';
import { progressDisplay } from './progress-display.js';
import { restore } from './restore.js';

export interface RestoreArgs {
  config: string;
  pair: string;
  to: string;
  path?: string;
  overwrite?: boolean;
  at?: string;
}

/** Runs the restore and returns the exit code. */
export async function restoreCommand(cfg: Config, o: RestoreArgs): Promise<number> {
  const at = o.at === undefined ? undefined : parseAt(o.at);
  if (o.at !== undefined && at === undefined)
    throw new MirrorError('USAGE', `--at must be an ISO 8601 time with its zone, got "${o.at}"`, {
      hint: 'e.g. 2026-05-01T12:00:00Z or 2026-05-01T14:00:00+02:00',
    });
  const display = progressDisplay(process.stderr);
  const r = await restore(
    cfg,
    {
      pair: o.pair,
      to: o.to,
      overwrite: !!o.overwrite,
      ...(o.path ? { path: o.path } : {}),
      ...(at !== undefined ? { at } : {}),
    },
    { progress: display.progress },
  ).finally(() => display.stop());
  for (const p of r.problems) process.stdout.write(`${p.outcome}: ${p.key}: ${p.reason}\n`);
  const c = r.counts;
  process.stdout.write(
    `${o.pair}: ${c.restored} restored, ${c.identical} already identical, ${c.kept} kept, ${c.skipped} skipped, ${c.refused} refused, ${c.failed} failed\n`,
  );
  return c.refused || c.failed ? EXIT.someFailed : EXIT.ok;
}
