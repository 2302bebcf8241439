/**
 * `peerlab report TRACE --html OUT` and `play --html OUT` (issue 7): one self-contained HTML file
 * with the space-time diagram of a run, an overview strip to brush through a busy run, the path
 * of each transaction (txn-paths.ts), and each node's balances over time. Everything is inline
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
import { balanceCharts } from './balance-charts.ts';
import { balanceViews } from './balances.ts';
import { BOTTOM, controls, LEFT, PALETTE, TOP, typeStyles, workspace, type Geometry } from './diagram-markup.ts';
import { esc, json } from './html-text.ts';
import { overview } from './overview.ts';
import { clientData } from './report-data.ts';
import { sortByTime, type TraceProblem } from './read-trace.ts';
import { spaceTime, type SpaceTime } from './space-time.ts';
import { txnPaths } from './txn-paths.ts';

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

/**
 * The page script, one concept per file, run in this order inside one function scope (they share
 * the diagram's state); `start()` in report.js runs last.
 */
const SCRIPTS = ['report.js', 'labels.js', 'hover.js', 'overview.js', 'txn-view.js', 'balances.js'];

let assets: { css: string; js: string } | undefined;

function loadAssets(): { css: string; js: string } {
  const read = (name: string): string => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
  assets ??= {
    css: read('report.css'),
    js: ["(function () {\n'use strict';", ...SCRIPTS.map(read), 'start();\n})();'].join('\n'),
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
  const paths = txnPaths(sorted, st.index);
  const data = clientData(st, { top: TOP, bottom: BOTTOM, left: LEFT, gap: g.gap, k0: g.k0, kl0: g.kl0 }, balances, overview(st), paths);
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
    workspace(st, g),
    '<div id="tip" hidden></div>',
    balanceCharts(st, balances, PALETTE),
    `<script type="application/json" id="trace-data">${json(data)}</script>`,
    `<script>\n${js}\n</script>`,
    '</body></html>',
    '',
  ].join('\n');
  return { html, summary };
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




