/**
 * Live view (DESIGN.md §4, issue 14): does the page stay smooth with 16 nodes and robots running?
 *
 * 16 real Nodes in a worker process (bench/workers/live-view.ts), full mesh on UDP loopback,
 * heartbeat 1 s, with the live view over them; the page open in headless Chromium from npm
 * (test/support/browser.ts), 1600 x 1000. In the page, a PerformanceObserver sums long tasks (main
 * thread busy > 50 ms) and a requestAnimationFrame loop records frame times. Two windows of the
 * same length: first the nodes idle (heartbeats only: the limit, what the page costs at rest), then
 * a robot on every node acting every 100 ms (sends, pings, balance requests, syncs).
 *
 * - long-task share: time inside long tasks / window, with robots, next to the idle page's.
 * - frame time: p95 of the gaps between animation frames, with robots, next to the idle page's
 *   (a 60 Hz display draws every 16.7 ms).
 * The messages the nodes sent per second while measured are in the details.
 */
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/support/browser.ts';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { percentile, round1, startRpcWorker } from './lib.ts';

/** The page's own globals, inside page.evaluate callbacks (typechecked without the DOM library). */
declare const window: any;
declare const document: any;

const NAME = 'live-view';
const NODES = 16;

interface Window {
  ms: number;
  longTaskMs: number;
  longTasks: number;
  frames: number[];
  messagesPerSecond: number;
}

/** Installed before the page's own script: counts long tasks and frame gaps from `mark()` on. */
const PROBE = `
window.__probe = { longMs: 0, long: 0, frames: [], last: 0, on: false };
new PerformanceObserver(function (list) {
  if (!window.__probe.on) return;
  list.getEntries().forEach(function (e) { window.__probe.longMs += e.duration; window.__probe.long++; });
}).observe({ type: 'longtask', buffered: false });
(function tick(t) {
  var p = window.__probe;
  if (p.on && p.last) p.frames.push(t - p.last);
  p.last = t;
  requestAnimationFrame(tick);
})(0);
`;

async function measure(page: Page, ms: number, counts: () => Promise<{ messagesOut: number }>): Promise<Window> {
  const before = await counts();
  await page.evaluate(() => {
    const p = window.__probe as { longMs: number; long: number; frames: number[]; last: number; on: boolean };
    Object.assign(p, { longMs: 0, long: 0, frames: [], last: 0, on: true });
  });
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const r = await page.evaluate(() => {
    const p = window.__probe as { longMs: number; long: number; frames: number[]; on: boolean };
    p.on = false;
    return { longMs: p.longMs, long: p.long, frames: p.frames.slice() };
  });
  const elapsed = Date.now() - t0;
  const after = await counts();
  return { ms: elapsed, longTaskMs: r.longMs, longTasks: r.long, frames: r.frames, messagesPerSecond: ((after.messagesOut - before.messagesOut) * 1000) / elapsed };
}

function summary(w: Window): Record<string, unknown> {
  return {
    windowMs: w.ms, longTasks: w.longTasks, longTaskMs: Math.round(w.longTaskMs), frames: w.frames.length,
    fps: round1((w.frames.length * 1000) / w.ms), frameP50Ms: round1(percentile(w.frames, 0.5)), frameP95Ms: round1(percentile(w.frames, 0.95)),
    frameP99Ms: round1(percentile(w.frames, 0.99)), frameMaxMs: round1(Math.max(0, ...w.frames)), messagesPerSecond: Math.round(w.messagesPerSecond),
  };
}

export const liveView: Benchmark = {
  name: NAME,
  description: '16 in-process nodes with robots every 100 ms, the live view open in Chromium: long-task share and frame time, next to the idle page',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const windowMs = opts.quick ? 8000 : 20_000;
    const { rpc, proc, ready } = await startRpcWorker(NAME, 'live-view.ts', ['--nodes', String(NODES), '--interval', '1000'], { timeoutMs: 120_000 });
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
      await page.addInitScript(PROBE);
      await page.goto(String(ready.url));
      await page.waitForFunction((n) => document.querySelectorAll('#nodes tbody tr').length === n, NODES, { timeout: 30_000 });
      const counts = () => rpc.call<{ messagesOut: number }>('counts');
      await new Promise((r) => setTimeout(r, 2000));
      opts.log(`${NAME}: idle page, ${windowMs / 1000} s`);
      const idle = await measure(page, windowMs, counts);
      await rpc.call('robots', { on: true, every: 100 });
      await new Promise((r) => setTimeout(r, 3000));
      opts.log(`${NAME}: robots on every node, ${windowMs / 1000} s`);
      const busy = await measure(page, windowMs, counts);
      await rpc.call('robots', { on: false });
      opts.log(`${NAME}: idle ${JSON.stringify(summary(idle))}; robots ${JSON.stringify(summary(busy))}`);
      const share = (w: Window): number => (100 * w.longTaskMs) / w.ms;
      return [
        makeFigure(NAME, {
          name: `long-task share of the page, ${NODES} nodes with robots`,
          value: round1(share(busy)),
          unit: '%',
          limit: { name: 'the same page with the nodes idle', value: round1(share(idle)), unit: '%' },
          ratio: false,
          details: { robots: summary(busy), idle: summary(idle), mesh: ready.mesh },
        }),
        makeFigure(NAME, {
          name: `p95 frame time of the page, ${NODES} nodes with robots`,
          value: round1(percentile(busy.frames, 0.95)),
          unit: 'ms',
          limit: { name: 'the same page with the nodes idle', value: round1(percentile(idle.frames, 0.95)), unit: 'ms' },
          details: { p50Ms: round1(percentile(busy.frames, 0.5)), p99Ms: round1(percentile(busy.frames, 0.99)), fps: round1((busy.frames.length * 1000) / busy.ms), at60Hz: 16.7 },
        }),
      ];
    } finally {
      await browser.close();
      await proc.finish(30_000);
    }
  },
};
