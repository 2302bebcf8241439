/**
 * `peerlab report TRACE --html OUT` and `play --html OUT` (issue 7): one self-contained HTML file
 * with the space-time diagram of a run and each node's balances over time. Everything is inline
 * (CSS, script, SVG); the page fetches nothing, so it opens from a mail attachment or a classroom
 * share as it is.
 *
 * The server writes every element (a `g.lane` per node, a `line.arrow` per delivered message, ...)
 * with a first layout; the inline script re-lays them out for zoom and the Lamport axis, filters
 * by kind with one class on the <svg>, and labels only what is on screen, so a run of thousands of
 * messages stays usable.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TraceRecord } from '../runtime/trace.ts';
import { balanceCharts, CHART } from './balance-charts.ts';
import { esc, json } from './html-text.ts';
import { balanceViews, formatUnits, type BalanceViews } from './balances.ts';
import { sortByTime, type TraceProblem } from './read-trace.ts';
import { spaceTime, type MarkCategory, type SpaceTime } from './space-time.ts';

export interface HtmlReportOptions {
  /** Shown as the page title and heading (default "peerlab trace"). */
  title?: string;
  /** The network's initial balance, when the trace does not say (default 1000, the runtime's default). */
  initialBalance?: string | number;
  /** Lane order, e.g. the playbook's nodes (default: by name, n2 before n10). */
  lanes?: readonly string[];
  /** Lines of the trace file that were skipped, to mention on the page. */
  problems?: readonly TraceProblem[];
}

export interface HtmlReportSummary {
  nodes: number;
  delivered: number;
  dropped: number;
  lost: number;
  events: number;
  bytes: number;
}

const PALETTE = [
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
const TOP = 24;
const BOTTOM = 40;
const LEFT = 76;

let assets: { css: string; js: string } | undefined;

function loadAssets(): { css: string; js: string } {
  assets ??= {
    css: readFileSync(new URL('./assets/report.css', import.meta.url), 'utf8'),
    js: readFileSync(new URL('./assets/report.js', import.meta.url), 'utf8'),
  };
  return assets;
}

/** Writes the report (creating the folder) and says what it holds. */
export async function writeHtmlReport(records: readonly TraceRecord[], outPath: string, opts: HtmlReportOptions = {}): Promise<HtmlReportSummary> {
  const { html, summary } = buildHtmlReport(records, opts);
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, html);
  return summary;
}

export function renderHtmlReport(records: readonly TraceRecord[], opts: HtmlReportOptions = {}): string {
  return buildHtmlReport(records, opts).html;
}

export function buildHtmlReport(records: readonly TraceRecord[], opts: HtmlReportOptions = {}): { html: string; summary: HtmlReportSummary } {
  const sorted = sortByTime(records);
  const st = spaceTime(sorted, opts.lanes);
  const balances = balanceViews(sorted, st.index, opts.initialBalance);
  const title = opts.title ?? 'peerlab trace';
  const { css, js } = loadAssets();
  const summary: HtmlReportSummary = {
    nodes: st.index.nodes.length,
    delivered: st.arrows.length,
    dropped: st.drops.length,
    lost: st.lost.length,
    events: st.marks.length,
    bytes: st.arrows.reduce((n, a) => n + (a.bytes ?? 0), 0),
  };
  const g = geometry(st);
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>\n${css}\n${typeStyles(st)}</style>`,
    '</head><body>',
    `<h1>${esc(title)}</h1>`,
    `<p class="summary">${esc(summaryLine(st, summary))}</p>`,
    opts.problems?.length ? `<p class="problems">${esc(problemLine(opts.problems))}</p>` : '',
    controls(st),
    diagram(st, g),
    '<div id="tip" hidden></div>',
    balanceCharts(st, balances, PALETTE),
    `<script type="application/json" id="trace-data">${json(clientData(st, g, balances))}</script>`,
    `<script>\n${js}\n</script>`,
    '</body></html>',
    '',
  ].join('\n');
  return { html, summary };
}

interface Geometry {
  gap: number;
  width: number;
  height: number;
  k0: number;
  kl0: number;
  x(lane: number): number;
  y(time: number): number;
}

function geometry(st: SpaceTime): Geometry {
  const lanes = Math.max(1, st.lanes.length);
  const gap = Math.round(Math.min(220, Math.max(110, 900 / lanes)));
  const span = Math.max(1, st.t1 - st.t0);
  // Roomy enough that a burst is not a smear, bounded so the first view is not endless.
  const target = Math.min(20_000, Math.max(600, st.arrows.length * 6 + st.marks.length));
  const k0 = target / span;
  const kl0 = target / Math.max(1, st.maxLamport);
  return {
    gap, k0, kl0,
    width: LEFT + gap * lanes + 20,
    height: TOP + BOTTOM + span * k0,
    x: (lane) => LEFT + gap * lane + gap / 2,
    y: (time) => TOP + (time - st.t0) * k0,
  };
}

function summaryLine(st: SpaceTime, s: HtmlReportSummary): string {
  const span = st.t1 - st.t0;
  const start = st.arrows.length + st.marks.length > 0 ? new Date(st.t0).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : 'empty trace';
  const parts = [
    start,
    `${(span / 1000).toFixed(2)} s`,
    `${s.nodes} node${s.nodes === 1 ? '' : 's'}`,
    `${s.delivered} messages delivered`,
    `${s.dropped} dropped`,
    `${s.lost} not delivered`,
    `${st.marks.filter((m) => m.type === 'txn-accepted' && m.origin).length} transactions made`,
    `${st.marks.length} events`,
  ];
  if (st.lanes.some((l) => l.external)) parts.push(`${st.lanes.filter((l) => l.external).length} peers outside the trace (dashed lanes)`);
  return parts.join(' · ');
}

function problemLine(problems: readonly TraceProblem[]): string {
  const first = problems.slice(0, 3).map((p) => `line ${p.line}: ${p.message}`).join('; ');
  return `${problems.length} line${problems.length === 1 ? '' : 's'} of the trace skipped (${first}${problems.length > 3 ? '; ...' : ''})`;
}

function typeStyles(st: SpaceTime): string {
  const out: string[] = [];
  st.types.forEach((_t, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    out.push(`.m${i}{stroke:${c}}.arrow.m${i}{marker-end:url(#ah${i})}.sw.m${i}{background:${c}}#labels .m${i}{fill:${c}}.hide-m${i} .m${i}{display:none}`);
  });
  for (const c of CATEGORIES) out.push(`.hide-c-${c.id} .c-${c.id}{display:none}`);
  return out.join('\n') + '\n';
}

function controls(st: SpaceTime): string {
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
    '<g id="labels"></g>',
    '</svg></div>',
    '</div>',
    '<p class="note">Time runs down. Hover an arrow, cross or dot for details; Ctrl + wheel zooms; the Lamport axis places each send at the sender\'s clock and each delivery at the receiver\'s clock after it.</p>',
  ].join('\n');
}

function clientData(st: SpaceTime, g: Geometry, b: BalanceViews): unknown {
  const typeIndex = new Map(st.types.map((t, i) => [t.name, i]));
  const t = (time: number): number => time - st.t0;
  const span = Math.max(1, st.t1 - st.t0);
  return {
    top: TOP, bottom: BOTTOM, left: LEFT, gap: g.gap,
    t0: 0, t1: span, maxLamport: Math.max(1, st.maxLamport),
    k0: g.k0, kl0: g.kl0, kMin: 200 / span, klMin: 200 / Math.max(1, st.maxLamport),
    lanes: st.lanes.map((l) => ({ name: l.name, external: l.external })),
    types: st.types.map((x) => x.name),
    arrows: st.arrows.map((a) => [a.from, a.to, t(a.sent), t(a.delivered), a.lamport, a.lamportRecv, typeIndex.get(a.type), a.bytes ?? -1]),
    drops: st.drops.map((d) => [d.from, d.to, t(d.sent), t(d.time), d.lamport, typeIndex.get(d.type), d.side === 'sender' ? 0 : 1, d.reason]),
    lost: st.lost.map((l) => [l.from, l.to, t(l.sent), l.lamport, typeIndex.get(l.type)]),
    marks: st.marks.map((m) => [m.lane, t(m.time), m.lamport, m.category, m.origin ? 1 : 0, m.type, m.summary, m.label]),
    says: st.says.map((s) => [t(s.time), s.lamport]),
    balances: {
      ...CHART,
      accounts: b.accounts,
      views: b.views.map((v) => ({ node: v.node, series: v.accounts.map((s) => s.points.map((p) => [t(p.time), formatUnits(p.units, b.scale)])) })),
    },
  };
}
