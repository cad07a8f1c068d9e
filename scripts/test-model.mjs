#!/usr/bin/env node
// `npm run test:model -- --runs N --seed S [--path P --replay R] [--fixed a,b]`: a long
// exploration of the model test. vitest rejects flags it does not know, so they travel as
// environment variables. Exits 0 only when every sequence passed.
import { spawnSync } from 'node:child_process';

const flags = {
  '--runs': 'S3MIRROR_MODEL_RUNS',
  '--seed': 'S3MIRROR_MODEL_SEED',
  '--path': 'S3MIRROR_MODEL_PATH',
  '--replay': 'S3MIRROR_MODEL_REPLAY',
  '--fixed': 'S3MIRROR_MODEL_FIXED',
  '--log': 'S3MIRROR_MODEL_LOG',
};
const env = { ...process.env };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const [name, inline] = args[i].split('=', 2);
  const v = flags[name];
  const value = inline ?? args[++i];
  if (!v || value === undefined) {
    process.stderr.write(
      `usage: npm run test:model -- [--runs N] [--seed S] [--path P --replay R] [--fixed flag,...|all] [--log FILE]\n  unknown or incomplete: ${args[i - (inline ? 0 : 1)] ?? name}\n`,
    );
    process.exit(2);
  }
  env[v] = value;
}
env.S3MIRROR_MODEL_RUNS ??= '2000';
env.S3MIRROR_MODEL_SEED ??= String((Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
const r = spawnSync('npx', ['vitest', 'run', 'test/model.test.ts'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
