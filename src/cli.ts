#!/usr/bin/env node
// First: routes process warnings before any other module (the AWS SDK) is evaluated.
import { routeWarnings } from './warnings.js';
import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';
import { loadConfig, type Config } from './config.js';
import { isMirrorError, MirrorError } from './errors.js';
import { EXIT, EXIT_MEANINGS, exitCodeFor } from './exit.js';
import { createLogger } from './log.js';
import { Journal } from './store/journal.js';
import { formatPairStats } from './status/summary.js';
import type { RestoreArgs } from './tools/restore-command.js';
import { packageVersion } from './version.js';

// Required, not imported: see src/watch/filter.ts (Node's export lexer over a CommonJS package).
const require = createRequire(import.meta.url);
const { Command, CommanderError, Option } = require('commander') as typeof CommanderModule;

function fail(e: unknown): never {
  if (isMirrorError(e)) {
    process.stderr.write(`s3mirror: ${e.code}: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
  } else {
    // No code means a bug: this is the one place a stack trace is printed.
    process.stderr.write(`s3mirror: internal error (please report): ${(e as Error)?.stack ?? String(e)}\n`);
  }
  process.exit(exitCodeFor(e));
}

const configOption = () =>
  new Option('-c, --config <file>', 'path to the JSON config').env('S3MIRROR_CONFIG').makeOptionMandatory();

const program = new Command()
  .name('s3mirror')
  .description('Keep local directories continuously mirrored into S3.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  .addHelpText(
    'after',
    `\nExit codes:\n${EXIT_MEANINGS.map(([c, m]) => `  ${String(c).padEnd(3)} ${m}`).join('\n')}\n`,
  );

program
  .command('run')
  .description('run the mirror daemon in the foreground (what systemd runs)')
  .addOption(configOption())
  .action(async (o: { config: string }) => {
    const cfg = loadConfig(o.config);
    const log = createLogger();
    // One JSON line per warning in the journal, like every other line the daemon writes.
    routeWarnings((w, line) => log.warn({ warning: w.name }, line));
    // Loaded per command: `status` needs neither the AWS SDK nor the watcher.
    const { Daemon } = await import('./sync/daemon.js');
    let daemon: InstanceType<typeof Daemon> | undefined;
    let stopping = false;
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'signal received');
      if (stopping) return;
      stopping = true;
      if (!daemon) process.exit(EXIT.ok);
      // A signal while the daemon stops over a config error still exits with that error's code.
      const d = daemon;
      void d.stop().then(() => (d.failure ? fail(d.failure) : process.exit(EXIT.ok)));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    const { StartWait } = await import('./sync/start-wait.js');
    const wait = new StartWait(cfg, log);
    let started: Promise<void> | undefined;
    // SIGHUP (systemd's ExecReload=) re-reads the config; by default it would kill the process.
    process.on('SIGHUP', () => {
      log.info({ signal: 'SIGHUP' }, 'signal received: reloading the config');
      const d = daemon;
      if (stopping) return;
      // Still waiting for a usable stateDir: the daemon starts with the config read now.
      if (!d) wait.reload();
      else if (started) void started.then(() => d.reload()).catch(() => undefined);
    });
    daemon = await wait.open((c) => new Daemon(c, log));
    started = daemon.start();
    await started;
    // A config error first seen on a later bucket check: the daemon has stopped; exit as at start.
    void daemon.failed.then(fail);
  });

program
  .command('sync')
  .description('reconcile every pair and upload/delete everything pending, then exit')
  .requiredOption('--once', 'run one pass and exit (the only mode of this command)')
  .addOption(configOption())
  .option('--json', 'print the summary as JSON')
  .option('--audit', "list every pair's bucket even where the journal is trusted (another writer's changes)")
  .action(async (o: { config: string; json?: boolean; audit?: boolean }) => {
    const cfg = loadConfig(o.config);
    const log = createLogger({ destination: 2, level: process.env.S3MIRROR_LOG_LEVEL ?? 'warn' });
    const { syncOnce } = await import('./sync/once.js');
    // Progress goes to stderr, and never with --json: stdout stays the summary alone.
    const display = o.json ? undefined : (await import('./tools/progress-display.js')).progressDisplay(process.stderr);
    const r = await syncOnce(cfg, log, { audit: !!o.audit }, display?.progress).finally(() => display?.stop());
    const code = r.unusable.length
      ? EXIT.s3Unusable
      : r.failures.length
        ? EXIT.someFailed
        : r.held.length || r.rootProblems.length
          ? EXIT.deletesHeld
          : EXIT.ok;
    if (o.json) process.stdout.write(`${JSON.stringify({ exitCode: code, ...r }, null, 2)}\n`);
    else {
      for (const [name, s] of Object.entries(r.stats)) process.stdout.write(`${formatPairStats(name, s)}\n`);
      for (const p of r.unusable) process.stdout.write(`${p.pair}: not synced: ${p.code}: ${p.message}\n`);
      for (const p of r.rootProblems) process.stdout.write(`${p.pair}: ${p.problem}\n`);
      for (const h of r.held)
        process.stdout.write(
          `${h.pair}: ${h.count} deletes held: ${h.reason}\n  release with: s3mirror resume --config ${o.config} --pair ${h.pair} --allow-deletes\n`,
        );
      if (r.failures.length) {
        process.stdout.write(`${r.failures.length} file(s) failed:\n`);
        for (const f of r.failures) process.stdout.write(`  ${f.pair}/${f.rel}: ${f.code}: ${f.message}\n`);
      } else if (code === EXIT.ok) process.stdout.write('in sync\n');
    }
    process.exit(code);
  });

program
  .command('status')
  .description('show what is mirrored, pending, failed and in flight (read-only)')
  .addOption(configOption())
  .option('--json', 'machine-readable output (carries schemaVersion)')
  .option('--max-lag <dur>', 'unhealthy (exit 1) when a pair is synced through longer ago: <n>s|m|h|d')
  .option('--watch', 'show it again every second (in place on a terminal) until interrupted')
  .addHelpText('after', '\nExit: 0 healthy; 1 unhealthy, with the reason on stderr; 2 usage or config error.')
  .action(async (o: { config: string; json?: boolean; maxLag?: string; watch?: boolean }) => {
    const { showStatus } = await import('./status/show.js');
    process.exitCode = await showStatus(loadConfig(o.config), o);
  });

program
  .command('resume')
  .description('release the deletes the mass-delete guard holds for a pair')
  .addOption(configOption())
  .requiredOption('--pair <name>', 'the pair whose held deletes to release')
  .requiredOption('--allow-deletes', 'confirm: the held deletes are intended')
  .action((o: { config: string; pair: string }) => {
    const cfg: Config = loadConfig(o.config);
    if (!cfg.pairs.some((p) => p.name === o.pair)) {
      throw new MirrorError('USAGE', `no pair named "${o.pair}" in ${cfg.source}`, {
        hint: `pairs: ${cfg.pairs.map((p) => p.name).join(', ')}`,
      });
    }
    const j = Journal.open(cfg.stateDir);
    try {
      const n = j.pairs.releaseHeld(o.pair, Date.now());
      process.stdout.write(
        `${o.pair}: released ${n} held delete(s); a running daemon picks them up within a few seconds, or run sync --once\n`,
      );
    } finally {
      j.close();
    }
  });

const configCommand = program.command('config').description('work with the config file');
configCommand
  .command('check')
  .description('print the config as it would run (defaults filled in, secrets masked) and every problem')
  .addOption(configOption())
  .option('--json', 'print the report as JSON')
  .action(async (o: { config: string; json?: boolean }) => {
    const { checkConfig } = await import('./config-check.js');
    let cfg: Config;
    try {
      cfg = loadConfig(o.config);
    } catch (e) {
      if (!(isMirrorError(e) && o.json)) throw e;
      process.stdout.write(
        `${JSON.stringify(
          {
            ok: false,
            code: e.code,
            problems: e.message
              .split('\n')
              .slice(1)
              .map((l) => l.trim()),
          },
          null,
          2,
        )}\n`,
      );
      process.exit(exitCodeFor(e));
    }
    const r = checkConfig(cfg);
    if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...r }, null, 2)}\n`);
    else {
      process.stdout.write(`${JSON.stringify(r.config, null, 2)}\n`);
      for (const w of r.warnings) process.stdout.write(`warning: ${w}\n`);
      process.stdout.write(`${cfg.source}: valid${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}\n`);
    }
    process.exit(EXIT.ok);
  });

program
  .command('share')
  .description('print a presigned GET URL for a mirrored file, once its object matches the file')
  .addOption(configOption())
  .argument('<path>', 'the local file (inside a pair)')
  .option('--expires <n>', 'how long the URL works: <n>s, <n>m, <n>h or <n>d, at most 7d', '1h')
  .action(async (path: string, o: { config: string; expires: string }) => {
    const cfg = loadConfig(o.config);
    const { share } = await import('./tools/share.js');
    const r = await share(cfg, path, o.expires);
    if (!r.ok) {
      process.stderr.write(
        `s3mirror: pending: ${r.pending}\n  hint: the daemon uploads it soon (s3mirror status), or run sync --once\n`,
      );
      process.exit(EXIT.someFailed);
    }
    // The URL is a bearer credential for the object: stdout only, never a log line.
    process.stdout.write(`${r.url}\n`);
    process.exit(EXIT.ok);
  });

program
  .command('restore')
  .description("download a pair's objects into a directory, each checked against its MD5")
  .addOption(configOption())
  .requiredOption('--pair <name>', 'the pair to restore')
  .requiredOption('--to <dir>', "where to write (the pair's own path to recover it)")
  .option('--path <subtree>', 'only this subtree of the pair')
  .option('--overwrite', 'replace existing files that differ (default: keep them)')
  .option('--at <time>', 'the tree as it was then (ISO 8601, e.g. 2026-05-01T12:00:00Z), from a versioned bucket')
  .action(async (o: RestoreArgs) => {
    const { restoreCommand } = await import('./tools/restore-command.js');
    process.exit(await restoreCommand(loadConfig(o.config), o));
  });

program
  .command('verify')
  .description("compare each pair's tree with its bucket prefix (read-only; works beside the daemon)")
  .addOption(configOption())
  .option('--pair <name>', 'only this pair')
  .option('--deep', 'also read every file and download every object, and compare their MD5s')
  .option('--json', 'print the result as JSON')
  .action(async (o: { config: string; pair?: string; deep?: boolean; json?: boolean }) => {
    const cfg = loadConfig(o.config);
    const { verify } = await import('./tools/verify.js');
    const display = o.json
      ? undefined
      : (await import('./tools/progress-display.js')).progressDisplay(process.stderr, process.env, 'read');
    const r = await verify(cfg, { deep: !!o.deep, ...(o.pair ? { pair: o.pair } : {}) }, display?.progress).finally(
      () => display?.stop(),
    );
    const { verifyReport } = await import('./tools/verify-report.js');
    const { code, text } = verifyReport(r, { json: !!o.json, config: o.config });
    process.stdout.write(text);
    process.exit(code);
  });

program
  .command('demo')
  .description('mirror a sample folder into a local S3-compatible server started for the demo')
  .option('--dir <path>', 'folder to mirror (default: a new temp folder with sample files)')
  .action(async (o: { dir?: string }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo(o);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  fail(e);
}
