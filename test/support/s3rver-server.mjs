// Runs s3rver as a child process for the test suite:
//
//   node --openssl-legacy-provider test/support/s3rver-server.mjs <dataDir>
//
// `--openssl-legacy-provider` is required on Node >= 17: s3rver encrypts ListObjectsV2
// continuation tokens with single DES, and without the legacy provider every page after the first
// answers 500.
//
// Listens on 127.0.0.1 on a random port and prints one JSON line `{"port": N}` to stdout once it
// is listening. Exits cleanly on SIGTERM/SIGINT, and also when stdin reaches EOF, so a parent that
// dies without stopping us (e.g. `kill -9` of the test runner) does not leave an orphan server.
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) {
  process.stderr.write('usage: node --openssl-legacy-provider s3rver-server.mjs <dataDir>\n');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  resetOnClose: false, // the parent removes the whole data directory after we exit
  vhostBuckets: false, // path-style only: /bucket/key
  configureBuckets: [],
});

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  // Idle keep-alive sockets would otherwise hold httpServer.close() open.
  server.httpServer?.closeAllConnections?.();
  const forced = setTimeout(() => process.exit(code), 3000);
  forced.unref();
  try {
    await server.close();
  } catch {
    // not running yet, or already closed
  }
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.stdin.on('end', () => void shutdown(0));
process.stdin.on('error', () => void shutdown(0));
process.stdin.resume();

try {
  const { port } = await server.run();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
} catch (err) {
  process.stderr.write(`s3rver failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
}
