/**
 * The markup of the report's diagram area: the controls, the overview strip, the space-time SVG
 * with one element per arrow, drop, lost message and event (first layout; the page script lays
 * them out again for zoom and the Lamport axis), and the transaction panel.
 */
import { esc } from './html-text.ts';
import type { MarkCategory, SpaceTime } from './space-time.ts';

export const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7',
  '#1f77b4', '#17becf', '#bcbd22', '#8c564b', '#e377c2', '#7f7f7f', '#2ca02c', '#9467bd',
];
const CATEGORIES: Array<{ id: MarkCategory; label: string }> = [
  { id: 'txn', label: 'transactions' },
  { id: 'peer', label: 'peers' },
  { id: 'file', label: 'files' },
  { id: 'fault', label: 'faults & rejects' },
  { id: 'node', label: 'node & robot' },
];
export const TOP = 24;
export const BOTTOM = 40;
export const LEFT = 76;

export interface Geometry {
  gap: number;
  width: number;
  height: number;
  k0: number;
  kl0: number;
  x(lane: number): number;
  y(time: number): number;
}

export function typeStyles(st: SpaceTime): string {
  const out: string[] = [];
  st.types.forEach((_t, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    out.push(`.m${i}{stroke:${c}}.arrow.m${i}{marker-end:url(#ah${i})}.sw.m${i}{background:${c}}#labels .m${i}{fill:${c}}.hide-m${i} .m${i}{display:none}`);
  });
  for (const c of CATEGORIES) out.push(`.hide-c-${c.id} .c-${c.id}{display:none}`);
  return out.join('\n') + '\n';
}

export function controls(st: SpaceTime): string {
  const types = st.types
    .map((t, i) => `<label><input type="checkbox" checked data-filter="m${i}"><span class="sw m${i}"></span>${esc(t.name)} <span class="note">${t.count}</span></label>`)
    .join('');
  const counts = new Map<MarkCategory, number>();
  for (const m of st.marks) counts.set(m.category, (counts.get(m.category) ?? 0) + 1);
  const cats = CATEGORIES.filter((c) => counts.has(c.id))
    .map((c) => `<label><input type="checkbox" checked data-filter="c-${c.id}"><svg width="10" height="10"><circle cx="5" cy="5" r="4" class="c-${c.id}"/></svg>${c.label} <span class="note">${counts.get(c.id)}</span></label>`)
    .join('');
  return [
    '<section id="controls">',
    `<fieldset id="filter-messages"><legend>Messages</legend>${types || '<span class="note">none</span>'}<button type="button" data-set="all">all</button><button type="button" data-set="none">none</button></fieldset>`,
    `<fieldset id="filter-events"><legend>Events</legend>${cats || '<span class="note">none</span>'}<button type="button" data-set="all">all</button><button type="button" data-set="none">none</button></fieldset>`,
    '<fieldset id="view"><legend>View</legend>',
    '<label><input type="radio" name="axis" value="time" checked>wall time</label><label><input type="radio" name="axis" value="lamport">Lamport time</label>',
    '<button type="button" id="zoom-in" title="zoom in (or Ctrl + wheel)">+</button><button type="button" id="zoom-out" title="zoom out">−</button><button type="button" id="zoom-fit" title="whole run in view">fit</button>',
    '<label><input type="checkbox" id="show-labels" checked>labels</label></fieldset>',
    '<fieldset id="key"><legend>Key</legend>',
    '<span class="key"><svg width="28" height="10"><line x1="1" y1="5" x2="27" y2="5" stroke="#4e79a7" stroke-width="1.5"/></svg>delivered</span>',
    '<span class="key"><svg width="28" height="10"><path d="M1 5H18" stroke="#4e79a7" stroke-dasharray="3 2"/><path d="M19 1l8 8m0-8l-8 8" stroke="#d62728" stroke-width="2"/></svg>dropped</span>',
    '<span class="key"><svg width="28" height="10"><path d="M1 5H20" stroke="#4e79a7" stroke-dasharray="1 3"/><circle cx="23" cy="5" r="3" fill="none" stroke="#4e79a7"/></svg>never arrived</span>',
    '<span class="key"><svg width="12" height="12"><circle cx="6" cy="6" r="5" class="c-txn origin"/></svg>transaction made</span>',
    '</fieldset>',
    '</section>',
  ].join('\n');
}

/** The overview strip, the diagram and the transaction panel, side by side. */
export function workspace(st: SpaceTime, g: Geometry): string {
  return [
    '<div id="workspace">',
    '<div id="overview-box"><div class="ov-head" title="Drag to show a range; drag the frame to move it; double-click for the whole run">overview</div>',
    '<svg id="overview" role="img" aria-label="overview: how busy each lane is over the whole run; drag to choose the range the diagram shows"></svg>',
    '<div id="range" class="note"></div></div>',
    diagram(st, g),
    txnPanel(st),
    '</div>',
    '<p class="note">Time runs down. Hover an arrow, cross or dot for details; Ctrl + wheel zooms; drag on the overview to show a range. The Lamport axis places each send at the sender\'s clock and each delivery at the receiver\'s clock after it. Click a transaction (a dot, or one in the list) to see its path.</p>',
  ].join('\n');
}

function txnPanel(st: SpaceTime): string {
  const made = st.marks.filter((m) => m.origin).length;
  return [
    '<aside id="txn-panel">',
    `<h2>Transactions <span class="note" id="txn-count">${made} made</span></h2>`,
    '<div id="txn-detail" hidden></div>',
    '<label class="note"><input type="checkbox" id="txn-missed-only">only those a node never had</label>',
    '<ol id="txn-list"></ol>',
    '</aside>',
  ].join('\n');
}

function diagram(st: SpaceTime, g: Geometry): string {
  const f = (n: number): string => String(Math.round(n * 10) / 10);
  const heads = st.lanes
    .map((l) => `<g class="lane-head${l.external ? ' external' : ''}"><text x="${f(g.x(l.index))}" y="17">${esc(l.name)}</text></g>`)
    .join('');
  const markers = st.types
    .map((_t, i) => `<marker id="ah${i}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 1L10 5L0 9z" fill="${PALETTE[i % PALETTE.length]}"/></marker>`)
    .join('');
  const typeIndex = new Map(st.types.map((t, i) => [t.name, i]));
  const lanes = st.lanes
    .map((l) => `<g class="lane${l.external ? ' external' : ''}" data-node="${esc(l.name)}"><line class="lane-line" x1="${f(g.x(l.index))}" x2="${f(g.x(l.index))}" y1="${TOP - 8}" y2="${f(g.height - BOTTOM / 2)}"/></g>`)
    .join('');
  const says = st.says
    .map((s) => `<g class="say"><line x1="${LEFT}" x2="${g.width}" y1="${f(g.y(s.time))}" y2="${f(g.y(s.time))}"/><text x="${LEFT + 4}" y="${f(g.y(s.time) - 3)}">${esc(s.text)}</text></g>`)
    .join('');
  const arrows = st.arrows
    .map((a) => `<line class="arrow m${typeIndex.get(a.type)}" data-msg="${esc(a.msgId)}" data-type="${esc(a.type)}" x1="${f(g.x(a.from))}" y1="${f(g.y(a.sent))}" x2="${f(g.x(a.to))}" y2="${f(g.y(a.delivered))}"/>`)
    .join('\n');
  const drops = st.drops
    .map((d) => {
      const x1 = g.x(d.from);
      const y1 = g.y(d.sent);
      const dx = g.x(d.to) - x1;
      // Lost at the sender: a short stub with the X by the sender's lane; at the receiver: X by the receiver's.
      const ex = x1 + (d.side === 'sender' ? Math.sign(dx) * Math.min(Math.abs(dx) * 0.4, 48) : dx * 0.85);
      const ey = Math.max(y1 + 6, g.y(d.time));
      return `<g class="drop m${typeIndex.get(d.type)}" data-msg="${esc(d.msgId)}" data-type="${esc(d.type)}" data-side="${d.side}"><path d="M${f(x1)} ${f(y1)}L${f(ex)} ${f(ey)}"/><path class="x" d="M${f(ex - 4)} ${f(ey - 4)}l8 8m0 -8l-8 8"/></g>`;
    })
    .join('\n');
  const lost = st.lost
    .map((l) => {
      const x1 = g.x(l.from);
      const y1 = g.y(l.sent);
      const ex = x1 + (g.x(l.to) - x1) * 0.92;
      return `<path class="lost m${typeIndex.get(l.type)}" data-msg="${esc(l.msgId)}" data-type="${esc(l.type)}" d="M${f(x1)} ${f(y1)}L${f(ex)} ${f(y1 + 10)}m3 0a3 3 0 1 1 -6 0a3 3 0 1 1 6 0"/>`;
    })
    .join('\n');
  const marks = st.marks
    .map((m) => `<circle class="mark c-${m.category}${m.origin ? ' origin' : ''}" data-type="${esc(m.type)}" r="${m.origin ? 5 : 3}" cx="${f(g.x(m.lane))}" cy="${f(g.y(m.time))}"/>`)
    .join('\n');
  return [
    '<div id="diagram-box">',
    `<div id="lanes-head"><svg width="${g.width}" height="24">${heads}</svg></div>`,
    `<div id="scroll"><svg id="diagram" width="${g.width}" height="${f(g.height)}" role="img" aria-label="space-time diagram: one lane per node, one arrow per delivered message">`,
    `<defs>${markers}</defs>`,
    '<g id="axis"></g>',
    `<g id="lanes">${lanes}</g>`,
    `<g id="says">${says}</g>`,
    `<g id="lost">${lost}</g>`,
    `<g id="arrows">\n${arrows}\n</g>`,
    `<g id="drops">${drops}</g>`,
    `<g id="marks">${marks}</g>`,
    '<g id="path"></g>',
    '<g id="labels"></g>',
    '</svg></div>',
    '</div>',
  ].join('\n');
}
