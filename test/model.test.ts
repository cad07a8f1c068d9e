// The model test (docs/architecture.md, "Tests"): random operation sequences run against the real engine
// (files, SQLite journal, syncOnce) with the in-memory bucket, and against a reference model of
// what the bucket must hold. `npm run test:model -- --runs N --seed S` explores longer.
import { expect, test } from 'vitest';
import { memoryBackend } from './support/model/memory-backend.js';
import { tally } from './support/model/tally.js';
import { explore } from './support/model/run.js';

const runs = Number(process.env.S3MIRROR_MODEL_RUNS ?? 300);
// A fixed seed in `npm test`, so a red run there means the code changed, not the dice; the
// exploration script (`npm run test:model`) draws a new one unless given.
const seed = Number(process.env.S3MIRROR_MODEL_SEED ?? 20261206);
const path = process.env.S3MIRROR_MODEL_PATH || undefined;
const replayPath = process.env.S3MIRROR_MODEL_REPLAY || undefined;

test(`the engine agrees with the model over ${runs} random sequences (in-memory bucket)`, async () => {
  const r = await explore({
    runs,
    seed,
    ...(path ? { path } : {}),
    ...(replayPath ? { replayPath } : {}),
    backend: (cfg) => memoryBackend(cfg.kms ? { defaultSse: 'aws:kms' } : {}),
    outage: true,
    multipart: true,
  });
  // The seed goes to the log either way: a green run can be repeated, a red one replayed.
  console.log(`model test: ${r.runs} sequences, seed ${r.seed}: ${JSON.stringify(tally)}`);
  expect(r.failure ?? 'ok').toBe('ok');
  // The multipart failpoints and outages in mid-pass were reached, not merely drawn.
  if (runs >= 300 && !path)
    expect({ multipart: tally.multipartCrashes > 0, cuts: tally.cuts > 0 }).toEqual({ multipart: true, cuts: true });
}, 600_000);
