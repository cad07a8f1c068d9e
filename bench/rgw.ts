// BENCH_SERVER=rgw: a throwaway single-node Ceph RADOS Gateway, built and torn down by
// test/support/rgw.sh exactly as for `npm run test:rgw`: mon, memstore OSD and radosgw
// on 127.0.0.1 under a temp dir, auth off, one S3 user. Unlike s3rver, completing a multipart
// upload there is a manifest update, not a re-read and re-write of the whole object.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { running } from './measure.js';
import { sdkClient, SetupError, type AtExit, type Server } from './server.js';

/** Runs a command to its end, its output going to our stderr; the exit handler SIGKILLs it meanwhile. */
async function run(cmd: string, args: string[], timeoutMs: number): Promise<number | null> {
  const child = spawn(cmd, args, { stdio: ['ignore', 2, 2] });
  running.add(child.pid!);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((ok) => {
    child.once('exit', (c) => ok(c));
    child.once('error', () => ok(null));
  });
  clearTimeout(timer);
  running.delete(child.pid!);
  return code;
}

/** True while PID runs (a zombie counts as gone: it has exited, only its parent has not reaped it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function startRgw(repo: string, opts: { atExit: AtExit }): Promise<Server> {
  const script = join(repo, 'test', 'support', 'rgw.sh');
  // As root this installs ceph-mon ceph-osd radosgw ceph-common when missing; otherwise it says
  // which commands are missing and fails.
  if ((await run('bash', [script, 'install'], 900_000)) !== 0) {
    throw new SetupError(
      'BENCH_SERVER=rgw: the Ceph packages (ceph-mon ceph-osd radosgw ceph-common, plus curl) are not installed and ' +
        'test/support/rgw.sh could not install them (see above); install them, or run the bench as root so it does',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-bench-rgw-'));
  // rgw.sh stop signals the PIDs recorded in DIR (rgw, osd, mon; only if still this cluster's) and
  // removes DIR; it is a no-op once DIR is gone, so the exit handler may run it again.
  const stopSync = () => void spawnSync('bash', [script, 'stop', dir], { stdio: ['ignore', 2, 2], timeout: 30_000 });
  opts.atExit(stopSync);
  const t0 = Date.now();
  if ((await run('bash', [script, 'start', dir], 300_000)) !== 0)
    throw new Error(`test/support/rgw.sh start ${dir} failed (see above)`);
  const startS = (Date.now() - t0) / 1000;

  const env = Object.fromEntries(
    [...readFileSync(join(dir, 'env'), 'utf8').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const endpoint = env.S3MIRROR_TEST_ENDPOINT!;
  const creds = { accessKeyId: env.S3MIRROR_TEST_ACCESS_KEY!, secretAccessKey: env.S3MIRROR_TEST_SECRET_KEY! };
  const daemons = ['rgw', 'osd', 'mon'].map((name) => ({
    name,
    pid: Number(readFileSync(join(dir, `${name}.pid`), 'utf8')),
  }));
  const conf = join(dir, 'ceph.conf');
  const version = /ceph version (\S+) \(\w+\) (\w+)/.exec(
    spawnSync('radosgw', ['--version'], { encoding: 'utf8' }).stdout ?? '',
  );
  const admin = sdkClient(endpoint, creds);
  return {
    kind: 'rgw',
    endpoint,
    creds,
    pids: daemons.map((d) => d.pid),
    title: `Ceph RGW ${version ? `${version[1]} ${version[2]}` : '(version unknown)'} on 127.0.0.1 (single node, memstore OSD)`,
    detail: `RGW cluster in ${dir} (started in ${startS.toFixed(1)} s; ${daemons.map((d) => `${d.name} pid ${d.pid}`).join(', ')}); server CPU = all three daemons`,
    async createBucket(name) {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
    },
    async clearBucket(name) {
      // --bypass-gc frees the tail objects of large uploads now; otherwise they would wait in
      // RGW's garbage collector (2 h by default) and the in-memory OSD would keep filling up.
      const code = await run(
        'radosgw-admin',
        ['-c', conf, 'bucket', 'rm', `--bucket=${name}`, '--purge-objects', '--bypass-gc'],
        600_000,
      );
      if (code !== 0) throw new Error(`radosgw-admin bucket rm --bucket=${name} exited ${code}`);
    },
    client: () => sdkClient(endpoint, creds),
    async stop() {
      admin.destroy();
      if ((await run('bash', [script, 'stop', dir], 60_000)) !== 0) stopSync();
      const left = daemons.filter((d) => alive(d.pid));
      if (left.length)
        throw new Error(
          `RGW daemons still running after rgw.sh stop: ${left.map((d) => `${d.name} pid ${d.pid}`).join(', ')}`,
        );
    },
  };
}
