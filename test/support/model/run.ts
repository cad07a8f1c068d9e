// Running the model test: random cases (fast-check), one replayed case, and the failure report
// that turns a shrunk counterexample into a permanent regression.
import fc from 'fast-check';
import { resetFailpoints } from '../../../src/failpoints.js';
import { Op } from './commands.js';
import { steps, type CrashPoint, type Step } from './steps.js';
import { remember, settle } from './invariants.js';
import { KNOWN } from './known.js';
import { initialModel, PATTERNS, PREFIXES, type Model, type PairSettings } from './model.js';
import { World, type Backend } from './world.js';

export interface Case {
  cfg: PairSettings;
  steps: Step[];
}

export interface ExploreOptions {
  runs: number;
  seed?: number;
  path?: string;
  /** The commands' own replay path, printed with a failure: a path cannot be walked without it. */
  replayPath?: string;
  maxCommands?: number;
  /** A fresh bucket for one case (`cfg.kms`: with default SSE-KMS, where the backend can). */
  backend: (cfg: PairSettings) => Promise<Backend> | Backend;
  /** Outage steps, between passes and in mid-pass (only a backend that can refuse on demand). */
  outage?: boolean;
  /** Crash steps at the multipart failpoints (only a backend whose passes upload tiny parts). */
  multipart?: boolean;
  /** How often crash steps are drawn (default 2, against 12 for a write). */
  crashWeight?: number;
  /** The failpoints crash steps draw from, repeats weighing more (default: all a pass reaches). */
  crashPoints?: readonly CrashPoint[];
}

const settings: fc.Arbitrary<PairSettings> = fc.record({
  prefix: fc.constantFrom(...PREFIXES),
  exclude: fc.subarray([...PATTERNS]),
  delete: KNOWN.trashOverwrite
    ? fc.constantFrom('mirror' as const, 'keep' as const, 'trash' as const)
    : fc.constantFrom('mirror' as const, 'keep' as const),
  deleteExcluded: fc.boolean(),
  // Mostly a guard that only the empty-root rule trips, so deletes are predicted exactly; a fifth
  // of the runs keep the default 50 %, where the model checks the hold is all or nothing.
  guard: fc.constantFrom<PairSettings['guard'][]>('generous', 'generous', 'generous', 'generous', 'default'),
  kms: KNOWN.defaultKms ? fc.boolean() : fc.constant(false),
});

async function open(cfg: PairSettings, backend: ExploreOptions['backend']): Promise<{ model: Model; real: World }> {
  const model = initialModel(structuredClone(cfg));
  for (const data of [...model.q.files.values(), ...model.bucket.values()]) remember(data);
  const real = new World(await backend(cfg));
  await real.init(model);
  return { model, real };
}

async function finish(model: Model, real: World): Promise<void> {
  try {
    await settle(model, real);
  } finally {
    resetFailpoints();
    await real.close();
  }
}

/** One case, step by step: what a regression test runs. Steps the model cannot take are skipped. */
export async function replay(c: Case, backend: ExploreOptions['backend']): Promise<void> {
  const { model, real } = await open(c.cfg, backend);
  let ok = false;
  try {
    for (const s of c.steps) {
      const op = new Op(s, true);
      if (op.check(model)) await op.run(model, real);
    }
    ok = true;
  } finally {
    if (ok) await finish(model, real);
    else {
      resetFailpoints();
      await real.close().catch(() => undefined);
    }
  }
}

/** Random cases; resolves with a report, which is empty when every case passed. */
export async function explore(o: ExploreOptions): Promise<{ failure?: string; runs: number; seed: number }> {
  const ops = steps({
    outage: o.outage ?? false,
    multipart: o.multipart ?? false,
    crashWeight: o.crashWeight ?? 2,
    ...(o.crashPoints ? { crashPoints: o.crashPoints } : {}),
  }).map((a) => a.map((s) => new Op(s)));
  const prop = fc.asyncProperty(
    settings,
    fc.commands(ops, {
      maxCommands: o.maxCommands ?? 25,
      size: 'max',
      ...(o.replayPath ? { replayPath: o.replayPath } : {}),
    }),
    async (cfg, cmds) => {
      const { model, real } = await open(cfg, o.backend);
      let ok = false;
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        ok = true;
      } finally {
        if (ok) await finish(model, real);
        else {
          resetFailpoints();
          await real.close().catch(() => undefined);
        }
      }
    },
  );
  const seed = o.seed ?? Date.now() ^ (Math.random() * 0x100000000);
  const details = await fc.check(prop, { seed, ...(o.path ? { path: o.path } : { numRuns: o.runs }) });
  if (!details.failed) return { runs: details.numRuns, seed };
  const [cfg, cmds] = details.counterexample ?? [];
  const err = details.errorInstance as Error | undefined;
  const replayPath = /replayPath="([^"]*)"/.exec(String(cmds ?? ''))?.[1];
  const failure = [
    `model test failed after ${details.numRuns} case(s), ${details.numShrinks} shrinks: seed ${details.seed}, path "${details.counterexamplePath}"`,
    `replay: npm run test:model -- --seed ${details.seed} --path "${details.counterexamplePath}"${replayPath ? ` --replay "${replayPath}"` : ''}`,
    'as a regression (test/model-regressions.test.ts):',
    `  { cfg: ${JSON.stringify(cfg)}, steps: [${String(cmds ?? '')}] },`,
    '',
    err?.message ?? String(details.errorInstance ?? 'too many skipped cases'),
  ].join('\n');
  return { failure, runs: details.numRuns, seed: details.seed };
}
