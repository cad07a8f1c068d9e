// Peer tools: run only when on PATH; each is a non-node child measured with /usr/bin/time.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REGION, type Creds } from './server.js';

export interface Peer {
  name: string;
  bin: string;
  version: string;
  /** Command line for one sync of `root` into `bucket`. */
  argv(root: string, bucket: string): string[];
  env: NodeJS.ProcessEnv;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Peers found on PATH (and answering --version), plus a line per peer that was not. */
export function detectPeers(endpoint: string, creds: Creds, tmp: string): { peers: Peer[]; notes: string[] } {
  const peers: Peer[] = [];
  const notes: string[] = [];
  const hostPort = endpoint.replace(/^http:\/\//, '');
  const credsEnv = {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
  };
  const candidates: Omit<Peer, 'bin' | 'version'>[] = [
    (() => {
      const cfg = join(tmp, 'aws-config');
      writeFileSync(cfg, '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
      return {
        name: 'aws',
        argv: (root: string, bucket: string) => [
          's3',
          'sync',
          root,
          `s3://${bucket}`,
          '--endpoint-url',
          endpoint,
          '--only-show-errors',
          '--no-progress',
        ],
        env: {
          ...credsEnv,
          AWS_CONFIG_FILE: cfg,
          AWS_SHARED_CREDENTIALS_FILE: join(tmp, 'aws-no-credentials'),
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_PAGER: '',
        },
      };
    })(),
    {
      name: 'rclone',
      argv: (root: string, bucket: string) => [
        'sync',
        root,
        `bench:${bucket}`,
        '--transfers',
        '16',
        '--checkers',
        '16',
      ],
      env: {
        RCLONE_CONFIG: join(tmp, 'rclone-none.conf'),
        RCLONE_CONFIG_BENCH_TYPE: 's3',
        RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
        RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: creds.accessKeyId,
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: creds.secretAccessKey,
        RCLONE_CONFIG_BENCH_REGION: REGION,
        RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
        // A CA bundle named in the environment makes rclone's S3 client fail before any request
        // ("unable to load custom CA bundle"), and the endpoint is plain HTTP anyway.
        AWS_CA_BUNDLE: '',
      },
    },
    {
      name: 's3cmd',
      argv: (root: string, bucket: string) => [
        '--config',
        join(tmp, 's3cmd-none.cfg'),
        '--host',
        hostPort,
        '--host-bucket',
        hostPort,
        '--no-ssl',
        '--region',
        REGION,
        '--access_key',
        creds.accessKeyId,
        '--secret_key',
        creds.secretAccessKey,
        '--no-progress',
        '--quiet',
        'sync',
        `${root}/`,
        `s3://${bucket}/`,
      ],
      env: {},
    },
  ];
  writeFileSync(join(tmp, 's3cmd-none.cfg'), '[default]\n');
  writeFileSync(join(tmp, 'rclone-none.conf'), '');
  for (const c of candidates) {
    const bin = onPath(c.name);
    if (!bin) {
      notes.push(`peer ${c.name}: not on PATH, skipped`);
      continue;
    }
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8', env: { ...process.env, ...c.env }, timeout: 30_000 });
    if (v.status !== 0) {
      notes.push(`peer ${c.name}: ${bin} does not run (--version exited ${v.status}), skipped`);
      continue;
    }
    const version = `${v.stdout}${v.stderr}`.trim().split('\n')[0]!;
    peers.push({ ...c, bin, version });
    notes.push(`peer ${c.name}: ${version}`);
  }
  return { peers, notes };
}
