// What each step does, to the model and to the real world, and when it may be taken.
import type fc from 'fast-check';
import { appendFileSync, chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { denyReads, resetFailpoints } from '../../../src/failpoints.js';
import { Journal } from '../../../src/store/journal.js';
import { passDuringOutage, remember, settle } from './invariants.js';
import { tally } from './tally.js';
import { KNOWN } from './known.js';
import { ancestorsAreDirs, mkdirs, nfc, parentOf, PREFIXES, removeTree, type Model } from './model.js';
import type { Step } from './steps.js';
import type { World } from './world.js';

const isFile = (m: Model, rel: string) => m.tree.get(rel)?.t === 'file';
const fileData = (m: Model, rel: string) => (m.tree.get(rel) as { data: string }).data;

/** A name the known defects forbid: its NFC twin was used before, or a listing-made row may hold it. */
const twin = (m: Model, rel: string) =>
  (!(KNOWN.nfcTwins && KNOWN.collisionRetry) && (m.names.get(nfc(rel)) ?? rel) !== rel) ||
  (!KNOWN.restoredFiles && m.remoteRows.has(nfc(rel)));

function named(m: Model, rel: string): void {
  if (!m.names.has(nfc(rel))) m.names.set(nfc(rel), rel);
}

/** Can the step be taken at all (the file system's and the config's own rules)? */
function valid(m: Model, s: Step): boolean {
  switch (s[0]) {
    case 'write':
      return ancestorsAreDirs(m, s[1]) && (!m.tree.has(s[1]) || isFile(m, s[1]));
    case 'append':
    case 'rm':
    case 'unreadable':
      return isFile(m, s[1]) && (s[0] !== 'unreadable' || !m.unreadable.has(s[1]));
    case 'readable':
      return m.unreadable.has(s[1]);
    case 'mv':
      return s[1] !== s[2] && isFile(m, s[1]) && ancestorsAreDirs(m, s[2]) && (!m.tree.has(s[2]) || isFile(m, s[2]));
    case 'mkdir':
      return ancestorsAreDirs(m, s[1]) && !m.tree.has(s[1]);
    case 'mvdir':
      return (
        m.tree.get(s[1])?.t === 'dir' &&
        !m.tree.has(s[2]) &&
        ancestorsAreDirs(m, s[2]) &&
        !`${s[2]}/`.startsWith(`${s[1]}/`)
      );
    case 'rmdir':
      return m.tree.get(s[1])?.t === 'dir' || m.tree.get(s[1])?.t === 'link';
    case 'symlink':
      return m.tree.get(s[1])?.t === 'dir';
    case 'prefix':
      return s[1] !== m.cfg.prefix;
    case 'delete':
      return s[1] !== m.cfg.delete;
    case 'rmq':
    case 'touchq':
      return m.q.present;
    case 'addq':
      return !m.q.present;
    case 'outage':
      return m.outage !== s[1];
    case 'cut':
      return !m.outage;
    default:
      return true;
  }
}

/** Steps that reach a known defect still open (known.ts): not generated until it is fixed. */
function steersClear(m: Model, s: Step): boolean {
  switch (s[0]) {
    case 'write':
      return !twin(m, s[1]);
    case 'mv':
      return !twin(m, s[2]);
    case 'mvdir':
      return ![...m.tree.keys()].some((k) => k.startsWith(`${s[1]}/`) && twin(m, s[2] + k.slice(s[1].length)));
    case 'symlink':
      return KNOWN.symlinkEscape;
    case 'prefix':
      return KNOWN.prefixChange;
    case 'delete':
      return s[1] !== 'trash' || KNOWN.trashOverwrite;
    case 'resume':
      // What it releases is unknown while a cut pass may have held deletes (until the next settle).
      return m.mayBeHeld.size === 0;
    case 'rmq':
      // Rows of a removed pair left dirty (by a pass that did not settle) hang `sync --once`.
      return KNOWN.removedPair || m.passesSinceSettle === 0;
    case 'lose':
      return KNOWN.restoredFiles || ![...m.tree.keys()].some((k) => k !== nfc(k));
    case 'oput':
      // Listed keys are matched to files by raw path: an NFD key beside a file's NFC key is never
      // deleted, and the NFC key of an NFD-named file is deleted as if it had no file.
      if (!KNOWN.nfdKeys && s[2] !== nfc(s[2])) return false;
      return KNOWN.restoredFiles || ![...m.tree.keys()].some((k) => k !== s[2] && nfc(k) === s[2]);
    default:
      return true;
  }
}

async function apply(m: Model, w: World, s: Step): Promise<void> {
  const abs = (rel: string) => w.abs(rel);
  switch (s[0]) {
    case 'write':
      named(m, s[1]);
      mkdirs(m, parentOf(s[1]));
      m.tree.set(s[1], { t: 'file', data: remember(s[2]) });
      mkdirSync(join(abs(s[1]), '..'), { recursive: true });
      writeFileSync(abs(s[1]), s[2]);
      return;
    case 'append':
      m.tree.set(s[1], { t: 'file', data: remember(fileData(m, s[1]) + s[2]) });
      appendFileSync(abs(s[1]), s[2]);
      return;
    case 'rm':
      removeTree(m, s[1]);
      rmSync(abs(s[1]));
      return;
    case 'mv': {
      const data = fileData(m, s[1]);
      named(m, s[2]);
      removeTree(m, s[1]);
      m.unreadable.delete(s[2]);
      mkdirs(m, parentOf(s[2]));
      m.tree.set(s[2], { t: 'file', data });
      mkdirSync(join(abs(s[2]), '..'), { recursive: true });
      renameSync(abs(s[1]), abs(s[2]));
      return;
    }
    case 'mkdir':
      mkdirs(m, s[1]);
      mkdirSync(abs(s[1]), { recursive: true });
      return;
    case 'mvdir': {
      const [from, to] = [s[1], s[2]];
      const moved = [...m.tree].filter(([k]) => k === from || k.startsWith(`${from}/`));
      removeTree(m, from);
      mkdirs(m, parentOf(to));
      for (const [k, e] of moved) {
        m.tree.set(to + k.slice(from.length), e);
        if (e.t === 'file') named(m, to + k.slice(from.length));
      }
      mkdirSync(join(abs(to), '..'), { recursive: true });
      renameSync(abs(from), abs(to));
      return;
    }
    case 'wipe':
      // Everything at the root gone at once (a disk unmounted under the path, an rm -rf).
      for (const k of [...m.tree.keys()]) if (!k.includes('/')) removeTree(m, k);
      rmSync(w.root, { recursive: true, force: true });
      mkdirSync(w.root);
      return;
    case 'rmdir':
      removeTree(m, s[1]);
      rmSync(abs(s[1]), { recursive: true, force: true });
      return;
    case 'symlink':
      removeTree(m, s[1]);
      m.tree.set(s[1], { t: 'link' });
      rmSync(abs(s[1]), { recursive: true, force: true });
      w.symlinkOut(s[1]);
      return;
    case 'unreadable':
    case 'readable':
      // chmod changes ctime, as a real permission change would; the hook does the refusing.
      if (s[0] === 'unreadable') m.unreadable.add(s[1]);
      else m.unreadable.delete(s[1]);
      chmodSync(abs(s[1]), s[0] === 'unreadable' ? 0 : 0o644);
      return;
    case 'oput': {
      const pfx = s[1] === 'cur' ? m.cfg.prefix : PREFIXES.find((p) => p !== m.cfg.prefix)!;
      m.remoteRows.add(nfc(s[2]));
      m.othersWrote.add(pfx + s[2]);
      m.audit = true;
      m.bucket.set(pfx + s[2], remember(s[3]));
      await w.backend.put(pfx + s[2], s[3]);
      return;
    }
    case 'odel':
      m.audit = true;
      m.bucket.delete(m.cfg.prefix + nfc(s[1]));
      await w.backend.del(m.cfg.prefix + nfc(s[1]));
      return;
    case 'prefix':
      m.cfg.prefix = s[1];
      return;
    case 'exclude':
      m.cfg.exclude = m.cfg.exclude.includes(s[1]) ? m.cfg.exclude.filter((p) => p !== s[1]) : [...m.cfg.exclude, s[1]];
      return;
    case 'delete':
      m.cfg.delete = s[1];
      return;
    case 'deleteExcluded':
      m.cfg.deleteExcluded = s[1];
      return;
    case 'addq':
    case 'rmq':
      m.q.present = s[0] === 'addq';
      return;
    case 'touchq':
      m.q.files.set('q1', remember(s[1]));
      writeFileSync(join(w.rootQ, 'q1'), s[1]);
      return;
    case 'outage':
      m.outage = s[1];
      w.backend.setOutage(s[1]);
      return;
    case 'pass':
      if (m.outage) await passDuringOutage(m, w);
      else await settle(m, w);
      return;
    case 'crash':
      // The process dies at the point (in-process: the engine is dropped and its client hears
      // nothing more; on a server: a child kill -9s itself), and the next pass opens the journal
      // as a restarted process would. During an outage the pass fails before it gets anywhere.
      if (m.outage) await passDuringOutage(m, w);
      else await settle(m, w, { point: s[1], skip: s[2] });
      return;
    case 'cut':
      await settle(m, w, undefined, s[1]);
      return;
    case 'lose':
      for (const key of m.bucket.keys())
        if (key.startsWith(m.cfg.prefix)) m.remoteRows.add(key.slice(m.cfg.prefix.length));
      w.loseState();
      m.held.clear();
      m.released.clear();
      m.heldUncertain = false;
      m.mayBeHeld.clear();
      m.holder.clear();
      return;
    case 'resume': {
      for (const k of m.held) m.released.add(k);
      m.held.clear();
      m.heldUncertain = false;
      const j = Journal.open(w.stateDir);
      try {
        j.pairs.releaseHeld('p', Date.now());
      } finally {
        j.close();
      }
      return;
    }
    case 'settle':
      await settle(m, w);
      return;
  }
}

export class Op implements fc.AsyncCommand<Model, World> {
  /** `replayed`: a regression runs its steps as written, known defects or not. */
  constructor(
    readonly step: Step,
    readonly replayed = false,
  ) {}
  check(m: Readonly<Model>): boolean {
    // Random crashes only where a pass has work: one after a settle would reach no failpoint.
    return (
      valid(m as Model, this.step) &&
      (this.replayed || (steersClear(m as Model, this.step) && !(this.step[0] === 'crash' && m.quiet)))
    );
  }
  async run(m: Model, w: World): Promise<void> {
    tally.steps++;
    await apply(m, w, this.step);
    m.quiet = ['settle', 'pass', 'crash', 'cut'].includes(this.step[0]) && !m.outage && !m.crashed;
    // The EACCES hook answers for exactly the files the model holds unreadable now.
    const denied = new Set([...m.unreadable].map((rel) => w.abs(rel)));
    resetFailpoints();
    if (denied.size) denyReads((abs) => denied.has(abs));
  }
  /** Non-ASCII as \u escapes: an NFD name must survive being pasted into a regression test. */
  toString(): string {
    return JSON.stringify(this.step).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
}
