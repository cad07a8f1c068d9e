// Settling: one full pass with no outage, then the model's expectations are applied and every
// invariant is compared with what the bucket, the journal and status say.
import { MirrorError } from '../../../src/errors.js';
import { FailpointCrash } from '../../../src/failpoints.js';
import { renderStatus, type Status } from '../../../src/status/status.js';
import {
  candidates,
  expectedFailures,
  FOREIGN,
  guardCertain,
  guardedDeletes,
  md5,
  orphans,
  PREFIXES,
  Q_PREFIX,
  symlinks,
  TRASH,
  wanted,
  type Model,
} from './model.js';
import { KNOWN } from './known.js';
import { tally } from './tally.js';
import { OUTSIDE, type Crash, type Obj, type World } from './world.js';

class ModelMismatch extends Error {}

const OUTSIDE_MD5 = new Set(OUTSIDE.map(md5));

/** Every content the model ever wrote, by MD5: how an object's bytes are named back. */
const known = new Map<string, string>();
export function remember(data: string): string {
  known.set(md5(data), data);
  return data;
}

const isTrash = (key: string) => PREFIXES.some((p) => key.startsWith(p + TRASH));

/**
 * After a crash the bucket holds some subset of what the crashed pass meant to do. Only keys under
 * the pairs' prefixes may differ from the model; the model adopts them as they are, and the next
 * settle must finish the job from there.
 */
function adopt(m: Model, actual: Map<string, Obj>, problems: string[]): void {
  for (const key of new Set([...m.bucket.keys(), ...actual.keys()])) {
    if (isTrash(key)) continue;
    const a = actual.get(key);
    // The crashed pass ran with the config of its time: any pair prefix, never a foreign key.
    const mine = !key.startsWith(FOREIGN);
    if (!mine) {
      const want = m.bucket.get(key);
      if ((want === undefined) !== (a === undefined) || (a && want !== undefined && md5(want) !== a.md5))
        problems.push(`crash touched ${key} outside the pairs' prefixes`);
      continue;
    }
    if (!a) m.bucket.delete(key);
    else if (known.has(a.md5)) m.bucket.set(key, known.get(a.md5)!);
    else problems.push(`${key} holds bytes nobody wrote (md5 ${a.md5})`);
  }
  m.trash = new Map();
  for (const [key, a] of actual) {
    if (!isTrash(key)) continue;
    const pfx = PREFIXES.find((p) => key.startsWith(p + TRASH))!;
    m.trash.set(pfx, [...(m.trash.get(pfx) ?? []), known.get(a.md5) ?? `?${a.md5}`]);
  }
  // What the crashed pass deleted is no longer held or released, whatever it was before.
  for (const k of [...m.held]) if (!actual.has(k)) m.held.delete(k);
  for (const k of [...m.released]) if (!actual.has(k)) m.released.delete(k);
  m.heldUncertain = true;
}

const candidatesOf = (m: Model, key: string) => candidates(m).get(key)?.length ?? 0;

/**
 * A pass that did not settle (crashed, cut, or run during an outage) may have recorded a holder's
 * file as gone, and a name gone is no holder: when its file comes back beside its twin, the key is
 * either's, as after a settled pass (expect() drops such holders too).
 */
function forgetGoneHolders(m: Model): void {
  const c = candidates(m);
  for (const [key, rel] of [...m.holder]) if (!c.get(key)?.includes(rel)) m.holder.delete(key);
}

/** Apply what a settled pass must have done to the model; `post` resolves what the model leaves open. */
function expect(m: Model, pre: Map<string, Obj>, post: Map<string, Obj>, problems: string[]): number {
  // Held by a pass cut by an outage, they stay held (KNOWN.heldStay); else that pass let them be.
  for (const k of m.mayBeHeld) if (post.has(k) && m.bucket.has(k)) m.held.add(k);
  m.mayBeHeld.clear();
  // Another writer deleted a held object: there is nothing left to hold.
  for (const k of [...m.held]) {
    if (m.bucket.has(k)) continue;
    m.held.delete(k);
    m.heldUncertain = true;
  }
  const want = wanted(m);
  let bound = 0;
  let hold = guardCertain(m);
  // Renames are paired into copies before the guard counts: a delete whose content a new file of
  // this pass carries may go (as a move) even when the guard holds the rest.
  const arriving = new Set(
    [...want.values()]
      .flatMap((w) => (w.kind === 'data' ? [w] : w.kind === 'either' ? w.options : []))
      .filter((o) => pre.get(m.cfg.prefix + o.rel.normalize('NFC'))?.md5 !== md5(o.data))
      .map((o) => o.data),
  );
  const movable = new Set(guardedDeletes(m).filter((k) => arriving.has(m.bucket.get(k)!)));
  if (hold === undefined) {
    const gd = guardedDeletes(m).filter((k) => !movable.has(k));
    const kept = gd.filter((k) => post.has(k));
    if (kept.length && kept.length < gd.length)
      problems.push(`the guard split a pass: ${kept.length} of ${gd.length} deletes kept (${kept.join(', ')})`);
    hold = kept.length > 0;
  }
  const fate = orphans(m, hold);
  if (!KNOWN.collisionDeletes) for (const k of fate.keys()) if (m.collided.has(k)) m.trashExtra.add(m.bucket.get(k)!);
  for (const k of movable) if (hold && fate.get(k) === 'held' && !post.has(k)) fate.set(k, 'delete');
  for (const [key, w] of want) {
    const rel = key.slice(m.cfg.prefix.length);
    const otherForm = (candidates(m).get(key) ?? []).some((r) => r !== rel) || (m.names.get(rel) ?? rel) !== rel;
    if (m.held.has(key) && !KNOWN.nfcHeld && otherForm) m.heldUncertain = true;
    m.held.delete(key);
    m.released.delete(key);
    if (w.kind === 'unchanged') continue;
    const options = w.kind === 'data' ? [w] : w.options;
    if (w.kind === 'either' || candidatesOf(m, key) > 1) m.collided.add(key);
    // Under SSE-KMS an object without our x-amz-meta-md5 cannot be compared: it is sent again.
    const opaque = m.cfg.kms && m.othersWrote.has(key);
    m.othersWrote.delete(key);
    const differs = options.filter((o) => opaque || pre.get(key)?.md5 !== md5(o.data));
    bound += Math.max(0, ...differs.map((o) => Buffer.byteLength(o.data)));
    const matching = options.filter((o) => post.get(key)?.md5 === md5(o.data));
    const got = matching[0];
    // The unreadable name holds the key: the object stays as it was.
    if (!got && w.kind === 'either' && w.orUnchanged) continue;
    m.bucket.set(key, (got ?? options[0]!).data);
    // Twins with the same content leave the bucket silent on which name won: either may hold it.
    if (matching.length > 1) m.holder.delete(key);
    else m.holder.set(key, (got ?? options[0]!).rel);
  }
  for (const [key, f] of fate) {
    if (f === 'delete') {
      if (m.cfg.delete === 'trash')
        m.trash.set(m.cfg.prefix, [...(m.trash.get(m.cfg.prefix) ?? []), m.bucket.get(key)!]);
      m.bucket.delete(key);
      m.held.delete(key);
    } else if (f === 'held') {
      m.held.add(key);
      // Status counts held rows: both names of a collision hold a delete of the one object.
      if (m.collided.has(key)) m.heldUncertain = true;
    } else m.held.delete(key); // kept: a held delete whose object the config now keeps is dropped
    if (f !== 'delete') m.remoteRows.add(key.slice(m.cfg.prefix.length));
  }
  for (const key of m.holder.keys()) if (!want.has(key)) m.holder.delete(key);
  m.released.clear();
  for (const key of m.held) {
    if (key.startsWith(m.cfg.prefix)) continue;
    m.held.delete(key);
    m.heldUncertain = true;
  }
  if (m.q.present) {
    for (const [rel, data] of m.q.files) {
      if (pre.get(Q_PREFIX + rel)?.md5 !== md5(data)) bound += Buffer.byteLength(data);
      m.bucket.set(Q_PREFIX + rel, data);
    }
  }
  return bound;
}

function compareBucket(m: Model, post: Map<string, Obj>, problems: string[]): void {
  for (const key of [...new Set([...m.bucket.keys(), ...post.keys()])].sort()) {
    const a = post.get(key);
    if (a && OUTSIDE_MD5.has(a.md5)) problems.push(`${key} holds bytes from outside the tree`);
    if (isTrash(key)) continue;
    const want = m.bucket.get(key);
    if (want === undefined)
      problems.push(
        `${key}: unexpected object (${known.get(a!.md5) ?? a!.md5})${key.startsWith(FOREIGN) ? ' outside every prefix' : ''}`,
      );
    else if (!a) problems.push(`${key}: missing, want ${JSON.stringify(want)}`);
    else if (a.md5 !== md5(want) || a.size !== Buffer.byteLength(want))
      problems.push(`${key}: holds ${JSON.stringify(known.get(a.md5) ?? a.md5)}, want ${JSON.stringify(want)}`);
  }
  for (const pfx of PREFIXES) {
    const got = [...post]
      .filter(([k]) => k.startsWith(pfx + TRASH))
      .map(([, o]) => known.get(o.md5) ?? `?${o.md5}`)
      .sort();
    const want = [...(m.trash.get(pfx) ?? [])].sort();
    const missing = [...want];
    const extra: string[] = [];
    for (const g of got) {
      const i = missing.indexOf(g);
      if (i >= 0) missing.splice(i, 1);
      else extra.push(g);
    }
    if (missing.length)
      problems.push(`trash under ${pfx} lacks ${JSON.stringify(missing)} (has ${JSON.stringify(got)})`);
    // A repeat after a crash is a second copy of something the model trashed, never new bytes;
    // with a collision's two rows (KNOWN.collisionDeletes) the held object may be copied too.
    const allowed = (e: string) => (m.trashMayRepeat && want.includes(e)) || m.trashExtra.has(e);
    if (extra.some((e) => !allowed(e))) problems.push(`trash under ${pfx} has unexpected ${JSON.stringify(extra)}`);
    for (const e of extra) m.trash.set(pfx, [...(m.trash.get(pfx) ?? []), e]);
  }
}

function compareStatus(m: Model, status: Status, problems: string[]): void {
  const st = status.pairs;
  const p = st.find((s) => s.name === 'p');
  if (!p) return void problems.push('status lists no pair p');
  const f = expectedFailures(m);
  const describe = () => JSON.stringify(p.problems.map((x) => `${x.state} ${x.rel} ${x.code}`));
  if (p.pending !== 0) problems.push(`status: ${p.pending} pending after settle ${describe()}`);
  if (p.failed < f.min || p.failed > f.max)
    problems.push(`status: ${p.failed} failed, want ${f.min === f.max ? f.min : `${f.min}..${f.max}`} ${describe()}`);
  if (!m.heldUncertain && p.held !== m.held.size)
    problems.push(`status: ${p.held} held deletes, model holds ${m.held.size} ${describe()}`);
  if (m.held.size > 0 && p.held === 0) problems.push(`status: no held deletes, model holds ${[...m.held].join(', ')}`);
  if (p.skipped !== symlinks(m))
    problems.push(`status: ${p.skipped} skipped, want ${symlinks(m)} (symlinks) ${describe()}`);
  const q = st.find((s) => s.name === 'q');
  if (q && (q.pending || q.failed || q.held))
    problems.push(`status of q: ${q.pending} pending, ${q.failed} failed, ${q.held} held`);
  // What the operator reads: "in sync" exactly when nothing failed and nothing is held.
  const label = /^p: .*\[(.*)\]$/m.exec(renderStatus(status))?.[1];
  const clean = f.max === 0 && m.held.size === 0 && (p.held === 0 || !m.heldUncertain);
  if (clean && p.held === 0 && label !== 'in sync')
    problems.push(`status says [${label}], want [in sync] ${describe()}`);
  if ((f.min > 0 || m.held.size > 0) && label === 'in sync')
    problems.push(`status says [in sync] with ${f.min} failed and ${m.held.size} held`);
  if (m.held.size === 0 && p.held === 0) m.heldUncertain = false;
}

/**
 * The settle step: a full pass with the outage over, then every invariant. Throws on any mismatch.
 * `crash`: the pass is to crash there; if it does, the next settle adopts what it did, and if it
 * never reaches the point it was a whole pass and is checked as one. `cut`: the server goes down
 * after that many requests and stays down until a later step ends the outage; like a crash, the
 * pass leaves part of its work done, which the next settle adopts, but the engine lives on and
 * records its failures. A pass that made fewer requests was whole, and is checked as one.
 */
export async function settle(m: Model, w: World, crash?: Crash, cut?: number): Promise<void> {
  if (m.outage) w.backend.setOutage(false);
  m.outage = false;
  const problems: string[] = [];
  const pre = await w.backend.objects();
  if (m.crashed) adopt(m, pre, problems);
  m.crashed = false;
  // The cut pass may hold deletes (guard) before the outage begins: the model cannot tell.
  const mayHold = guardCertain(m) !== false ? guardedDeletes(m) : [];
  const began = cut === undefined ? undefined : w.backend.outageAfter!(cut);
  const out = await w.pass(m, crash);
  if (began?.()) {
    tally.cuts++;
    forgetGoneHolders(m);
    m.outage = true;
    m.crashed = true;
    m.trashMayRepeat = true;
    for (const k of mayHold) m.mayBeHeld.add(k);
    m.passesSinceSettle++;
    // Failures it records are expected (the bucket went away); anything else is not.
    if (out.error && !(out.error instanceof MirrorError))
      problems.push(`the pass failed: ${(out.error as Error).stack ?? String(out.error)}`);
    if (problems.length) throw new ModelMismatch(`around a pass cut by an outage:\n  ${problems.join('\n  ')}`);
    return;
  }
  if (began) w.backend.setOutage(false);
  if (crash && out.error instanceof FailpointCrash) {
    tally.crashes++;
    if (MULTIPART_POINTS.has(crash.point)) tally.multipartCrashes++;
    forgetGoneHolders(m);
    m.crashed = true;
    m.trashMayRepeat = true;
    m.passesSinceSettle++;
    if (problems.length) throw new ModelMismatch(`before a crash:\n  ${problems.join('\n  ')}`);
    return;
  }
  if (out.error) problems.push(`the pass failed: ${(out.error as Error).stack ?? String(out.error)}`);
  const post = await w.backend.objects();
  const bound = expect(m, pre, post, problems);
  compareBucket(m, post, problems);
  if (out.uploaded > bound) problems.push(`uploaded ${out.uploaded} bytes, but only ${bound} differed`);
  compareStatus(m, w.status(m), problems);
  tally.settles++;
  tally.objectsChecked += post.size;
  if (m.held.size) tally.holds++;
  m.trashMayRepeat = false;
  m.passesSinceSettle = 0;
  m.audit = false;
  if (problems.length) throw new ModelMismatch(`after settle:\n  ${problems.join('\n  ')}`);
}

const MULTIPART_POINTS: ReadonlySet<string> = new Set(['after-part', 'before-complete', 'after-complete']);

/** A pass while the server is down changes nothing in the bucket; its guard may hold deletes. */
export async function passDuringOutage(m: Model, w: World): Promise<void> {
  const pre = await w.backend.objects();
  const mayHold = guardCertain(m) !== false ? guardedDeletes(m) : [];
  await w.pass(m);
  forgetGoneHolders(m);
  for (const k of mayHold) m.mayBeHeld.add(k);
  const post = await w.backend.objects();
  const diff = [...new Set([...pre.keys(), ...post.keys()])].filter((k) => pre.get(k)?.md5 !== post.get(k)?.md5);
  m.passesSinceSettle++;
  if (diff.length) throw new ModelMismatch(`a pass during an outage changed ${diff.join(', ')}`);
}
