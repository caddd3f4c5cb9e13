/**
 * The Linux-kernel memory model as an executable check on one candidate execution.
 *
 * This follows tools/memory-model/linux-kernel.bell, linux-kernel.cat and lock.cat of Linux 6.1
 * definition by definition; the names of the local variables are the names of the .cat
 * relations so that each line can be compared with its source. Where the .cat file rebinds a
 * name (fence and strong-fence gain rcu-fence after the RCU section), the rebound version has a
 * suffix, because later definitions see the new binding and earlier ones the old one.
 *
 * Lock events follow lock.cat: LKR/LKW pairs are RMWs, UL is a release write, LF and RL read an
 * LKW, RU reads an unlock or the initial state. The producer of the execution supplies rf and co
 * for lock events as lock.cat generates them (co over IW, LKW and UL; LKR reading the write just
 * before its LKW); the axioms below then decide, as herd7 does.
 */
import type { Execution, ExecEvent, ModelVerdict } from './execution';
import { EventSet, Relation, setComplement, setMinus, setOf, setUnion, setIsEmpty } from './relation';

const LOCK_KINDS = new Set(['LKR', 'LKW', 'UL', 'LF', 'RL', 'RU']);

export function checkExecution(x: Execution): ModelVerdict {
  const ev = x.events;
  const n = ev.length;
  ev.forEach((e, i) => {
    if (e.id !== i) throw new Error(`execution event ${i} has id ${e.id}; ids must be dense`);
  });
  const set = (p: (e: ExecEvent) => boolean): EventSet => setOf(n, (i) => p(ev[i]!));
  const R = (a: Relation, ...rest: Relation[]): Relation => Relation.seqAll(a, ...rest);
  // [S] is built once per set: the same sets recur in many definitions.
  const identities = new Map<EventSet | undefined, Relation>();
  const id = (s?: EventSet): Relation => {
    let r = identities.get(s);
    if (!r) identities.set(s, (r = Relation.identity(n, s)));
    return r;
  };
  // fencerel(S) = po ; [S] ; po, built directly: pairs of one thread with an S event between.
  const byThread = new Map<number, ExecEvent[]>();
  for (const e of ev) {
    if (e.thread < 0) continue;
    let list = byThread.get(e.thread);
    if (!list) byThread.set(e.thread, (list = []));
    list.push(e);
  }
  for (const list of byThread.values()) list.sort((a, b) => a.poIndex - b.poIndex);
  const fencerel = (s: EventSet): Relation => {
    const r = Relation.empty(n);
    for (const list of byThread.values()) {
      // Walking backwards, nextInS is the poIndex of the nearest S event po-after the current one.
      let nextInS = Infinity;
      for (let i = list.length - 1; i >= 0; i--) {
        const a = list[i]!;
        for (let j = i + 1; j < list.length; j++) if (list[j]!.poIndex > nextInS) r.add(a.id, list[j]!.id);
        if (s[a.id]) nextInS = a.poIndex;
      }
    }
    return r;
  };
  const violated: string[] = [];
  const flags = new Set<string>();

  // ---- Sets (bell and lock.cat) ----
  const kind = (k: string) => set((e) => e.kind === k);
  const annot = (a: string) => set((e) => e.annot === a);
  const LKR = kind('LKR');
  const LKW = kind('LKW');
  const UL = kind('UL');
  const RL = kind('RL');
  const RU = kind('RU');
  const LF = setUnion(kind('LF'), RL); // lock.cat: RL is a kind of LF
  const plainR = kind('R');
  const plainW = kind('W');
  const IW = set((e) => e.kind === 'W' && e.thread < 0);
  const Rd = setUnion(plainR, LKR, LF, RU); // lock.cat: let R = R | LKR | LF | RU
  const Wr = setUnion(plainW, LKW, UL); // lock.cat: W = W | LKW, later W | UL
  const M = setUnion(Rd, Wr);
  const fenceKind = (a: string) => set((e) => e.kind === 'F' && e.annot === a);
  const srcuKind = (a: string) => set((e) => e.kind === 'SRCU' && e.annot === a);
  const Mb = fenceKind('mb');
  const Rmb = fenceKind('rmb');
  const Wmb = fenceKind('wmb');
  const Barrier = fenceKind('barrier');
  const RcuLock = fenceKind('rcu-lock');
  const RcuUnlock = fenceKind('rcu-unlock');
  const SyncRcu = fenceKind('sync-rcu');
  const BeforeAtomic = fenceKind('before-atomic');
  const AfterAtomic = fenceKind('after-atomic');
  const AfterSpinlock = fenceKind('after-spinlock');
  const AfterUnlockLock = fenceKind('after-unlock-lock');
  // smp_mb__after_srcu_read_unlock() is not in 6.1's linux-kernel.def; later kernels add it as
  // this fence, which with the srcu_read_unlock() before it orders like smp_mb().
  const AfterSrcuReadUnlock = fenceKind('after-srcu-read-unlock');
  const SrcuLock = srcuKind('srcu-lock');
  const SrcuUnlock = srcuKind('srcu-unlock');
  const SyncSrcu = srcuKind('sync-srcu');
  const Once = annot('once');
  const Noreturn = annot('noreturn');
  const Acquire = setUnion(
    set((e) => e.annot === 'acquire' && (e.kind === 'R' || e.kind === 'W')),
    LKR,
  );
  const Release = setUnion(
    set((e) => e.annot === 'release' && (e.kind === 'R' || e.kind === 'W')),
    UL,
  );

  // ---- Base relations ----
  const po = Relation.where(n, (a, b) => ev[a]!.thread >= 0 && ev[a]!.thread === ev[b]!.thread && ev[a]!.poIndex < ev[b]!.poIndex);
  const loc = Relation.where(n, (a, b) => ev[a]!.loc !== undefined && ev[a]!.loc === ev[b]!.loc);
  const intRel = Relation.where(n, (a, b) => ev[a]!.thread >= 0 && ev[a]!.thread === ev[b]!.thread);
  const ext = Relation.where(n, (a, b) => a !== b && !intRel.has(a, b));
  const poLoc = po.intersect(loc);
  const rf = Relation.fromPairs(n, x.rf);
  const co = Relation.empty(n);
  for (const order of Object.values(x.co)) {
    for (let i = 0; i < order.length; i++) for (let j = i + 1; j < order.length; j++) co.add(order[i]!, order[j]!);
  }
  const rmw = Relation.fromPairs(n, x.rmw);
  const addr = Relation.fromPairs(n, x.addr);
  const data = Relation.fromPairs(n, x.data);
  const ctrl = Relation.fromPairs(n, x.ctrl);
  const fr = R(rf.inverse(), co).minus(id());
  const rfe = rf.intersect(ext);
  const rfi = rf.intersect(intRel);
  const coe = co.intersect(ext);
  const fre = fr.intersect(ext);
  // The bell's RMW set: events of atomic RMW instructions (lock acquisitions are not among them).
  const RMW = setOf(n, (i) => ev[i]!.failedRmw === true || x.rmw.some(([r, w]) => (r === i || w === i) && !LOCK_KINDS.has(ev[r]!.kind)));
  const Marked = setUnion(setComplement(M), IW, Once, Release, Acquire, rmw.domain(), rmw.range(), LKR, LKW, UL, LF, RL, RU);
  const Plain = setMinus(M, Marked);

  checkStructure(x, violated);

  // ---- RCU and SRCU nesting (bell) ----
  const rcuRscs = matchCriticalSections(po, RcuLock, RcuUnlock, undefined);
  if (!setIsEmpty(setMinus(RcuLock, rcuRscs.domain())) || !setIsEmpty(setMinus(RcuUnlock, rcuRscs.range()))) {
    flags.add('unbalanced-rcu-locking');
  }
  const srcuRscs = matchCriticalSections(po, SrcuLock, SrcuUnlock, loc);
  if (!setIsEmpty(setMinus(SrcuLock, srcuRscs.domain())) || !setIsEmpty(setMinus(SrcuUnlock, srcuRscs.range()))) {
    flags.add('unbalanced-srcu-locking');
  }
  if (!rcuRscs.intersect(R(po, id(SyncSrcu), po)).isEmpty()) flags.add('invalid-sleep');
  if (srcuRscs.pairs().some(([a, b]) => ev[a]!.value !== ev[b]!.value)) flags.add('srcu-bad-nesting');

  // ---- lock.cat ----
  const ALL_LOCKS = setUnion(LKR, LKW, UL, LF, RU);
  const bellM = setUnion(plainR, plainW);
  if (!R(id(setMinus(bellM, IW)), loc, id(ALL_LOCKS)).isEmpty()) flags.add('mixed-lock-accesses');
  if (
    !R(id(LKW), poLoc, id(LKR))
      .minus(R(poLoc, id(UL), poLoc))
      .isEmpty()
  )
    violated.push('lock-nest');
  const critical = R(id(LKW), poLoc, id(UL)).minus(R(poLoc, id(setUnion(LKW, UL)), poLoc));
  if (!setIsEmpty(setMinus(UL, critical.range()))) flags.add('unmatched-unlock');
  const UNMATCHED_LKW = setMinus(LKW, critical.domain());
  if (!R(id(UNMATCHED_LKW), loc, id(UNMATCHED_LKW)).minus(id()).isEmpty()) violated.push('unmatched-locks');

  // ---- Basic relations (linux-kernel.cat) ----
  const acqPo = R(id(Acquire), po, id(M));
  const poRel = R(id(M), po, id(Release));
  const poUnlockLockPo = R(po, id(UL), po.union(rf), id(LKR), po);
  const R4rmb = setMinus(Rd, Noreturn);
  const rmb = R(id(R4rmb), fencerel(Rmb), id(R4rmb));
  const wmb = R(id(Wr), fencerel(Wmb), id(Wr));
  const mb = R(id(M), fencerel(Mb), id(M)).union(
    R(id(M), fencerel(BeforeAtomic), id(RMW), po.opt(), id(M)),
    R(id(M), po.opt(), id(RMW), fencerel(AfterAtomic), id(M)),
    R(id(M), po.opt(), id(LKW), fencerel(AfterSpinlock), id(M)),
    R(id(M), po, id(UL), co.union(po), id(LKW), fencerel(AfterUnlockLock), id(M)),
    R(id(M), po.opt(), id(SrcuUnlock), fencerel(AfterSrcuReadUnlock), id(M)),
  );
  const gp = R(po, id(setUnion(SyncRcu, SyncSrcu)), po.opt());
  const strongFence = mb.union(gp);
  const nonrwFence = strongFence.union(poRel, acqPo);
  const fence = nonrwFence.union(wmb, rmb);
  const barrier = fencerel(
    setUnion(Barrier, Rmb, Wmb, Mb, SyncRcu, SyncSrcu, BeforeAtomic, AfterAtomic, Acquire, Release, RcuLock, RcuUnlock, SrcuLock, SrcuUnlock),
  ).union(R(po, id(Release)), R(id(Acquire), po));

  // ---- Coherence and atomicity ----
  const com = rf.union(co, fr);
  if (!poLoc.union(com).isAcyclic()) violated.push('coherence');
  if (!rmw.intersect(R(fre, coe)).isEmpty()) violated.push('atomic');

  // ---- Preserved program order ----
  const dep = addr.union(data);
  const rwdep = R(dep.union(ctrl), id(Wr));
  const overwrite = co.union(fr);
  const toW = rwdep.union(overwrite.intersect(intRel), R(addr, id(Plain), wmb));
  const toR = addr.union(R(dep, id(Marked), rfi));
  const ppo = toR.union(toW, fence, poUnlockLockPo.intersect(intRel));

  // ---- Propagation and happens-before ----
  const aCumul = (r: Relation) => R(R(rfe, id(Marked)).opt(), r);
  const cumulFence = R(id(Marked), aCumul(strongFence.union(poRel)).union(wmb, poUnlockLockPo), id(Marked));
  const prop = R(id(Marked), overwrite.intersect(ext).opt(), cumulFence.star(), id(Marked), rfe.opt(), id(Marked));
  const hb = R(id(Marked), ppo.union(rfe, prop.minus(id()).intersect(intRel)), id(Marked));
  if (!hb.isAcyclic()) violated.push('happens-before');
  const hbStar = hb.star();
  const pb = R(prop, strongFence, hbStar, id(Marked));
  if (!pb.isAcyclic()) violated.push('propagation');
  const pbStar = pb.star();

  // ---- RCU ----
  const rcuGp = id(SyncRcu);
  const srcuGp = id(SyncSrcu);
  const rcuRscsi = rcuRscs.inverse();
  const srcuRscsi = srcuRscs.inverse();
  const rcuLink = hasGracePeriodEvent(SyncRcu, SyncSrcu) ? R(po.opt(), hbStar, pbStar, prop, po) : Relation.empty(n);
  let rcuOrder = Relation.empty(n);
  // Least fixpoint of the recursive rcu-order definition. Every disjunct contains a grace
  // period, so without synchronize_rcu()/synchronize_srcu() rcu-order is empty.
  for (; hasGracePeriodEvent(SyncRcu, SyncSrcu);) {
    const ro = rcuOrder;
    const next = rcuGp.union(
      srcuGp,
      R(rcuGp, rcuLink, rcuRscsi),
      R(srcuGp, rcuLink, srcuRscsi).intersect(loc),
      R(rcuRscsi, rcuLink, rcuGp),
      R(srcuRscsi, rcuLink, srcuGp).intersect(loc),
      R(rcuGp, rcuLink, ro, rcuLink, rcuRscsi),
      R(srcuGp, rcuLink, ro, rcuLink, srcuRscsi).intersect(loc),
      R(rcuRscsi, rcuLink, ro, rcuLink, rcuGp),
      R(srcuRscsi, rcuLink, ro, rcuLink, srcuGp).intersect(loc),
      R(ro, rcuLink, ro),
    );
    if (sameRelation(next, ro)) break;
    rcuOrder = next;
  }
  const rcuFence = R(po, rcuOrder, po.opt());
  const fence2 = fence.union(rcuFence);
  const strongFence2 = strongFence.union(rcuFence);
  const rb = R(prop, rcuFence, hbStar, pbStar, id(Marked));
  if (!rb.isIrreflexive()) violated.push('rcu');

  // ---- Plain accesses and data races ----
  const mixedAccesses = R(id(setOf(n, (i) => Plain[i]! && Wr[i]!)), poLoc.minus(barrier), id(Marked)).union(
    R(id(Marked), poLoc.minus(barrier), id(setOf(n, (i) => Plain[i]! && Wr[i]!))),
  );
  if (!mixedAccesses.isEmpty()) flags.add('mixed-accesses');
  if (Plain.some((p) => p)) {
    const xbstar = hb.union(pb, rb).star();
    const vis = R(cumulFence.star(), rfe.opt(), id(Marked), R(strongFence2, id(Marked), xbstar).union(xbstar.intersect(intRel)));
    const notNoreturn = setComplement(Noreturn);
    const wPreBounded = R(id(Marked), addr.union(fence2).opt());
    const rPreBounded = R(id(Marked), addr.union(nonrwFence, R(id(R4rmb), fencerel(Rmb), id(notNoreturn))).opt());
    const wPostBounded = R(fence2.opt(), id(Marked));
    const rPostBounded = R(nonrwFence.union(R(id(notNoreturn), fencerel(Rmb), id(R4rmb))).opt(), id(Marked));
    const wwVis = fence2.union(R(strongFence2, xbstar, wPreBounded), R(wPostBounded, vis, wPreBounded));
    const wrVis = fence2.union(R(strongFence2, xbstar, rPreBounded), R(wPostBounded, vis, rPreBounded));
    const rwXbstar = fence2.union(R(rPostBounded, xbstar, wPreBounded));
    const preRace = ext.intersect(Relation.product(n, Plain, M).union(Relation.product(n, setMinus(M, IW), Plain)));
    const wrIncoh = preRace.intersect(rf).intersect(rwXbstar.inverse());
    const rwIncoh = preRace.intersect(fr).intersect(wrVis.inverse());
    const wwIncoh = preRace.intersect(co).intersect(wwVis.inverse());
    if (!wrIncoh.union(rwIncoh, wwIncoh).isEmpty()) violated.push('plain-coherence');
    const markedToW = Relation.product(n, Marked, Wr);
    const wToMarked = Relation.product(n, Wr, Marked);
    const wwNonrace = wwVis.intersect(markedToW.union(rwXbstar)).intersect(wToMarked.union(wrVis));
    const wwRace = preRace.intersect(co).minus(wwNonrace);
    const wrRace = preRace.intersect(R(co.opt(), rf)).minus(wrVis).minus(rwXbstar.inverse());
    const rwRace = preRace.intersect(fr).minus(rwXbstar);
    if (!wwRace.union(wrRace, rwRace).isEmpty()) flags.add('data-race');
  }

  return { allowed: violated.length === 0, violated: [...new Set(violated)], flags: [...flags].sort() };
}

/**
 * The bell file's recursive matching of nested lock/unlock pairs: repeatedly match each
 * unmatched lock with an unmatched unlock po-after it when no unmatched event lies between.
 * For SRCU both ends must also be on the same srcu_struct (sameLoc).
 */
function matchCriticalSections(po: Relation, locks: EventSet, unlocks: EventSet, sameLoc: Relation | undefined): Relation {
  const n = po.size;
  let matched = Relation.empty(n);
  for (;;) {
    const unmatchedLocks = setMinus(locks, matched.domain());
    const unmatchedUnlocks = setMinus(unlocks, matched.range());
    const unmatched = setUnion(unmatchedLocks, unmatchedUnlocks);
    let unmatchedPo = po.between(unmatched, unmatched);
    let locksToUnlocks = po.between(unmatchedLocks, unmatchedUnlocks);
    if (sameLoc) {
      unmatchedPo = unmatchedPo.intersect(sameLoc);
      locksToUnlocks = locksToUnlocks.intersect(sameLoc);
    }
    const next = matched.union(locksToUnlocks.minus(unmatchedPo.seq(unmatchedPo)));
    if (sameRelation(next, matched)) return matched;
    matched = next;
  }
}

function hasGracePeriodEvent(syncRcu: EventSet, syncSrcu: EventSet): boolean {
  return syncRcu.some((x) => x) || syncSrcu.some((x) => x);
}

function sameRelation(a: Relation, b: Relation): boolean {
  for (let i = 0; i < a.bits.length; i++) if (a.bits[i] !== b.bits[i]) return false;
  return true;
}

/**
 * Shape checks the .cat files take for granted because herd7 only generates well-formed
 * candidates: every read has one rf source on its location, co orders writes of one location,
 * lock reads see lock writes of the right kind (lock.cat's rf-lf and rf-ru). A malformed
 * execution handed over by another producer is reported rather than silently judged.
 */
function checkStructure(x: Execution, violated: string[]): void {
  const ev = x.events;
  const readKinds = new Set(['R', 'LKR', 'LF', 'RL', 'RU']);
  const sources = new Map<number, number>();
  for (const [w, r] of x.rf) {
    const we = ev[w];
    const re = ev[r];
    if (!we || !re || !readKinds.has(re.kind) || we.loc !== re.loc || sources.has(r)) {
      violated.push('well-formed-rf');
      return;
    }
    sources.set(r, w);
    if ((re.kind === 'LF' || re.kind === 'RL') && we.kind !== 'LKW') violated.push('lock-rf');
    if ((re.kind === 'RU' || re.kind === 'LKR') && !(we.kind === 'UL' || (we.kind === 'W' && we.thread < 0))) {
      violated.push('lock-rf');
    }
  }
  for (const e of ev) {
    if (readKinds.has(e.kind) && !sources.has(e.id)) {
      violated.push('well-formed-rf');
      return;
    }
  }
}
