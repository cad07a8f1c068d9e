// The model test against a real server: s3rver in `npm test`, RGW in `npm run test:rgw`, any
// S3MIRROR_TEST_ENDPOINT otherwise. Fewer sequences than on the in-memory bucket; they keep the
// in-memory bucket honest, since both must agree with the same model. No outage steps (a server
// cannot be stopped on demand here). A crash is real: the pass runs as the built CLI, which
// kill -9s itself at the failpoint (S3MIRROR_FAILPOINTS), and the sequence goes on in this process
// from the journal it left. Crash steps are drawn more often than in-memory, so the few sequences
// still reach several points; their bytes after a restart are counted by the engine's own record.
import { expect, test } from 'vitest';
import { tally } from './support/model/tally.js';
import { explore } from './support/model/run.js';
import { serverBackend } from './support/model/server-backend.js';

// A child costs a process start: most crash steps aim where nearly every pass with work goes.
const CRASH_POINTS = [
  'after-put',
  'after-put',
  'after-put',
  'journal-tx',
  'journal-tx',
  'rename-after-copy',
  'delete-mid-batch',
] as const;
const runs = Number(process.env.S3MIRROR_MODEL_SERVER_RUNS ?? 30);
const seed = Number(process.env.S3MIRROR_MODEL_SEED ?? 20261206);

test(`the engine agrees with the model over ${runs} random sequences on the test server`, async () => {
  const r = await explore({
    runs,
    seed,
    maxCommands: 15,
    backend: () => serverBackend(),
    outage: false,
    crashWeight: 6,
    crashPoints: CRASH_POINTS,
  });
  console.log(`model test (server): ${r.runs} sequences, seed ${r.seed}: ${JSON.stringify(tally)}`);
  expect(r.failure ?? 'ok').toBe('ok');
  // Real crashes happened: some children died of their own SIGKILL, not only normal exits.
  if (runs >= 30) expect(tally.childKills).toBeGreaterThan(0);
}, 600_000);
