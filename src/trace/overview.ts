/**
 * The overview of a run for the HTML report (issue 13, item 10): how busy each lane is over the
 * whole run, in a fixed number of bins, on both axes (wall time and Lamport time). The page draws
 * it as a density strip beside the diagram and brushes it to pick the range the diagram shows, so
 * a ten-second robot run is a readable shape rather than a wall of lines.
 */
import type { SpaceTime } from './space-time.ts';

export const OVERVIEW_BINS = 200;

export interface OverviewAxis {
  /** The span the bins cover: ms from the start of the trace, or Lamport ticks from 0. */
  span: number;
  /** Per lane, per bin: messages sent from or delivered to the lane (each message counts at both ends). */
  messages: number[][];
  /** Per lane, per bin: messages lost on the lane's side (drops), or sent from it and never delivered. */
  drops: number[][];
  /** Per lane, per bin: transactions the lane's node made. */
  txns: number[][];
  /** The largest count in `messages`: the page scales its shades to it. */
  max: number;
}

export interface Overview {
  bins: number;
  time: OverviewAxis;
  lamport: OverviewAxis;
}

export function overview(st: SpaceTime, bins = OVERVIEW_BINS): Overview {
  const time = axis(st, bins, Math.max(1, st.t1 - st.t0));
  const lamport = axis(st, bins, Math.max(1, st.maxLamport));
  const add = (a: OverviewAxis, what: 'messages' | 'drops' | 'txns', lane: number, u: number): void => {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((u / a.span) * bins)));
    a[what][lane]![b]!++;
  };
  const t = (ms: number): number => ms - st.t0;
  for (const a of st.arrows) {
    add(time, 'messages', a.from, t(a.sent));
    add(time, 'messages', a.to, t(a.delivered));
    add(lamport, 'messages', a.from, a.lamport);
    add(lamport, 'messages', a.to, a.lamportRecv);
  }
  for (const d of st.drops) {
    const lane = d.side === 'sender' ? d.from : d.to;
    add(time, 'drops', lane, t(d.time));
    add(lamport, 'drops', lane, d.lamport);
  }
  for (const l of st.lost) {
    add(time, 'drops', l.from, t(l.sent));
    add(lamport, 'drops', l.from, l.lamport);
  }
  for (const m of st.marks) {
    if (!m.origin) continue;
    add(time, 'txns', m.lane, t(m.time));
    add(lamport, 'txns', m.lane, m.lamport);
  }
  for (const a of [time, lamport]) a.max = Math.max(0, ...a.messages.map((row) => Math.max(0, ...row)));
  return { bins, time, lamport };
}

function axis(st: SpaceTime, bins: number, span: number): OverviewAxis {
  const grid = (): number[][] => st.lanes.map(() => new Array<number>(bins).fill(0));
  return { span, messages: grid(), drops: grid(), txns: grid(), max: 0 };
}
