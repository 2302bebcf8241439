/**
 * The data block of the HTML report (`<script type="application/json" id="trace-data">`): what the
 * page script lays out, labels, filters and explains. Rows are arrays rather than objects (a busy
 * run has thousands), in the order of the elements the server wrote, so row i of `arrows` is the
 * i-th `line.arrow`. Times are ms from the start of the trace.
 */
import { CHART } from './balance-charts.ts';
import { formatUnits, type BalanceViews } from './balances.ts';
import type { Overview } from './overview.ts';
import type { SpaceTime } from './space-time.ts';
import type { TxnPath } from './txn-paths.ts';

export interface Layout {
  top: number;
  bottom: number;
  left: number;
  gap: number;
  k0: number;
  kl0: number;
}

export function clientData(st: SpaceTime, g: Layout, b: BalanceViews, ov: Overview, paths: readonly TxnPath[]): unknown {
  const typeIndex = new Map(st.types.map((t, i) => [t.name, i]));
  const t = (time: number): number => time - st.t0;
  const span = Math.max(1, st.t1 - st.t0);
  const pathOf = new Map(paths.map((p, i) => [p.id, i]));
  return {
    top: g.top, bottom: g.bottom, left: g.left, gap: g.gap,
    t0: 0, t1: span, maxLamport: Math.max(1, st.maxLamport),
    k0: g.k0, kl0: g.kl0, kMin: 200 / span, klMin: 200 / Math.max(1, st.maxLamport),
    lanes: st.lanes.map((l) => ({ name: l.name, external: l.external })),
    types: st.types.map((x) => x.name),
    arrows: st.arrows.map((a) => [a.from, a.to, t(a.sent), t(a.delivered), a.lamport, a.lamportRecv, typeIndex.get(a.type), a.bytes ?? -1]),
    drops: st.drops.map((d) => [d.from, d.to, t(d.sent), t(d.time), d.lamport, typeIndex.get(d.type), d.side === 'sender' ? 0 : 1, d.reason]),
    lost: st.lost.map((l) => [l.from, l.to, t(l.sent), l.lamport, typeIndex.get(l.type)]),
    // The last column: the transaction path a txn-* event belongs to (-1: none).
    marks: st.marks.map((m) => [m.lane, t(m.time), m.lamport, m.category, m.origin ? 1 : 0, m.type, m.summary, m.label, m.txn === undefined ? -1 : (pathOf.get(m.txn) ?? -1)]),
    says: st.says.map((s) => [t(s.time), s.lamport]),
    balances: {
      ...CHART,
      accounts: b.accounts,
      views: b.views.map((v) => ({ node: v.node, series: v.accounts.map((s) => s.points.map((p) => [t(p.time), formatUnits(p.units, b.scale)])) })),
    },
    overview: ov,
    txns: txnRows(st, paths),
  };
}

/**
 * One row per transaction: [id, author lane (-1: not a node of the trace), author, to, amount, seq,
 * Lamport, made, nodes], where nodes has one entry per node lane:
 * had:    [1, at, Lamport, hops (-1 unknown), carrier arrow (-1), carrier sender lane (-1), fitting carriers, status, author 1|0]
 * missed: [0, kind, at (-1 unknown), drop (-1), never-delivered message (-1), detail]
 */
export function txnRows(st: SpaceTime, paths: readonly TxnPath[]): unknown[] {
  const t = (time: number): number => time - st.t0;
  const laneOf = new Map(st.lanes.map((l) => [l.name, l.index]));
  const arrowOf = new Map(st.arrows.map((a, i) => [`${a.msgId}|${a.to}`, i]));
  const dropOf = new Map(st.drops.map((d, i) => [d.msgId, i]));
  const lostOf = new Map(st.lost.map((l, i) => [l.msgId, i]));
  return paths.map((p) => [
    p.id, laneOf.get(p.author) ?? -1, p.author, p.to, p.amount, p.seq ?? -1, p.lamport, t(p.made),
    p.nodes.map((n) => {
      const lane = laneOf.get(n.node)!;
      if (n.had) {
        const via = n.via;
        return [1, t(n.at), n.lamport, n.hops ?? -1, via ? (arrowOf.get(`${via.msgId}|${lane}`) ?? -1) : -1, via ? (laneOf.get(via.from) ?? -1) : -1, via?.candidates ?? 0, n.status, n.author ? 1 : 0];
      }
      const b = n.blocked;
      const msg = b.msgId ?? '';
      return [0, b.kind, b.at === undefined ? -1 : t(b.at), dropOf.get(msg) ?? -1, lostOf.get(msg) ?? -1, b.detail];
    }),
  ]);
}
