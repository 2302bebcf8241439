/**
 * The balances section of the HTML report: one small step chart per node, showing the balance that
 * node shows for every account over the run (its own view, which lags and may briefly disagree
 * with the others'), on a shared scale so the views compare at a glance.
 */
import { formatUnits, type BalanceViews } from './balances.ts';
import { esc } from './html-text.ts';
import type { SpaceTime } from './space-time.ts';

/** Chart size in px; the page script reads it too (hover). */
export const CHART = { w: 440, h: 170, padL: 56, padR: 10, padT: 8, padB: 20 };

export function balanceCharts(st: SpaceTime, b: BalanceViews, palette: readonly string[]): string {
  const { w, h, padL, padR, padT, padB } = CHART;
  const span = Math.max(1, st.t1 - st.t0);
  let lo = b.initial;
  let hi = b.initial;
  for (const v of b.views) for (const s of v.accounts) for (const p of s.points) {
    if (p.units < lo) lo = p.units;
    if (p.units > hi) hi = p.units;
  }
  if (hi === lo) {
    hi += 10n ** BigInt(b.scale);
    lo -= 10n ** BigInt(b.scale);
  }
  const div = 10 ** b.scale;
  const loN = Number(lo) / div;
  const hiN = Number(hi) / div;
  const pad = (hiN - loN) * 0.08;
  const y0 = loN - pad;
  const y1 = hiN + pad;
  const X = (time: number): number => padL + ((time - st.t0) / span) * (w - padL - padR);
  const Y = (units: bigint): number => padT + (1 - (Number(units) / div - y0) / (y1 - y0)) * (h - padT - padB);
  const f = (n: number): string => String(Math.round(n * 10) / 10);
  const step = niceStep((y1 - y0) / 4);
  const ticks: number[] = [];
  for (let t = Math.ceil(y0 / step) * step; t <= y1; t += step) ticks.push(t);
  const digits = Math.max(0, Math.min(b.scale, -Math.floor(Math.log10(step))));
  const colour = (a: number): string => palette[a % palette.length]!;
  const initialNote = {
    option: `initial balance ${formatUnits(b.initial, b.scale)}`,
    trace: `initial balance ${formatUnits(b.initial, b.scale)} (from the trace)`,
    default: `initial balance assumed ${formatUnits(b.initial, b.scale)} (the default; pass --initial-balance if the run used another)`,
  }[b.initialFrom];
  const charts = b.views.map((v, vi) => {
    const grid = ticks
      .map((t) => {
        const y = f(padT + (1 - (t - y0) / (y1 - y0)) * (h - padT - padB));
        return `<line class="gl" x1="${padL}" x2="${w - padR}" y1="${y}" y2="${y}"/><text x="${padL - 4}" y="${y}" dy="3" text-anchor="end">${t.toFixed(digits)}</text>`;
      })
      .join('');
    const series = v.accounts
      .map((s, ai) => {
        const pts: string[] = [];
        s.points.forEach((p, i) => {
          if (i > 0) pts.push(`${f(X(p.time))},${f(Y(s.points[i - 1]!.units))}`);
          pts.push(`${f(X(p.time))},${f(Y(p.units))}`);
        });
        const last = s.points[s.points.length - 1]!;
        return `<polyline class="series" data-account="${esc(s.account)}" stroke="${colour(ai)}" points="${pts.join(' ')}"><title>${esc(`${s.account} as ${v.node} sees it: ${formatUnits(last.units, b.scale)} at the end`)}</title></polyline>`;
      })
      .join('');
    const total = v.accounts.reduce((n, s) => n + s.points[s.points.length - 1]!.units, 0n);
    const legend = v.accounts
      .map((s, ai) => `<span><i class="sw" style="background:${colour(ai)}"></i>${esc(s.account)} ${esc(formatUnits(s.points[s.points.length - 1]!.units, b.scale))}</span>`)
      .join('');
    return [
      `<div class="chart" data-node="${esc(v.node)}"><h3>${esc(v.node)}'s view <span class="note">· ${v.transactions} valid transactions · total ${esc(formatUnits(total, b.scale))}</span></h3>`,
      `<svg width="${w}" height="${h}" data-view="${vi}">${grid}`,
      `<line class="axis" x1="${padL}" x2="${w - padR}" y1="${h - padB}" y2="${h - padB}"/><line class="axis" x1="${padL}" x2="${padL}" y1="${padT}" y2="${h - padB}"/>`,
      `<text x="${padL}" y="${h - 6}">+0 s</text><text x="${w - padR}" y="${h - 6}" text-anchor="end">+${(span / 1000).toFixed(2)} s</text>`,
      `${series}<line class="cursor" y1="${padT}" y2="${h - padB}" visibility="hidden"/></svg>`,
      `<div class="legend">${legend}</div></div>`,
    ].join('');
  });
  return [
    '<section id="balances"><h2>Balances over time</h2>',
    `<p class="note">Each chart is one node's view: the balance it shows for every account, from the transactions it held as valid at each moment (accepted, minus any voided); ${esc(initialNote)}. Hover a chart to read the values.</p>`,
    `<div class="charts">${charts.join('\n') || '<p class="note">No nodes in the trace.</p>'}</div>`,
    '</section>',
  ].join('\n');
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
