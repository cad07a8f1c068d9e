// The model test against a real server: s3rver in `npm test`, RGW in `npm run test:rgw`, any
// S3MIRROR_TEST_ENDPOINT otherwise. Fewer sequences than on the in-memory bucket; they keep the
// in-memory bucket honest, since both must agree with the same model. No outage steps (a server
// cannot be stopped on demand here); crashes are the in-process FailpointCrash, so requests
// already sent when the "process dies" are still answered, as a server answers a killed client.
import { expect, test } from 'vitest';
import { tally } from './support/model/invariants.js';
import { explore } from './support/model/run.js';
import { serverBackend } from './support/model/server-backend.js';

const runs = Number(process.env.S3MIRROR_MODEL_SERVER_RUNS ?? 30);
const seed = Number(process.env.S3MIRROR_MODEL_SEED ?? 20261206);

test(`the engine agrees with the model over ${runs} random sequences on the test server`, async () => {
  const r = await explore({ runs, seed, maxCommands: 15, backend: () => serverBackend(), outage: false });
  console.log(`model test (server): ${r.runs} sequences, seed ${r.seed}: ${JSON.stringify(tally)}`);
  expect(r.failure ?? 'ok').toBe('ok');
}, 600_000);
