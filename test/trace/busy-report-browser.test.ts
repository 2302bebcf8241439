/**
 * Issue 13, item 10: the report of a busy robot run, in headless Chromium. A robots playbook of
 * about ten seconds (fixtures/busy-robots.yaml: five nodes, one lossy, then a partition that cuts
 * eve off and a crash of dan) is played with the real CLI on simulated time (one trace, the same on
 * every run and under any load), which writes the trace and the page.
 * The overview draws the whole run and brushing it sets the range the diagram shows; the labels on
 * screen never overlap; picking a transaction shows its path, with hop counts and why eve never
 * had it. Screenshots go to test-output/trace/ (busy-overview.png, txn-path.png).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readTrace } from '../../src/trace/read-trace.ts';
import { TraceIndex } from '../../src/trace/trace-index.ts';
import { txnPaths, type TxnPath } from '../../src/trace/txn-paths.ts';
import { runCli } from '../cli/spawn.ts';
import { launchBrowser } from '../support/browser.ts';

const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'trace');
const PLAYBOOK = join(import.meta.dirname, 'fixtures', 'busy-robots.yaml');

let dir = '';
let htmlPath = '';
let paths: TxnPath[] = [];
let t0 = 0;
let browser: Browser | undefined;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

let ready: Promise<void> | undefined;
function setUp(): Promise<void> {
  ready ??= prepare();
  return ready;
}

async function prepare(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-busy-'));
  const tracePath = join(dir, 'busy.jsonl');
  await mkdir(OUT, { recursive: true });
  htmlPath = join(OUT, 'busy-run.html');
  // On simulated time: one trace, the same on every run and under any load (a real run's density varies).
  const run = await runCli(['play', PLAYBOOK, '--sim', '--trace', tracePath, '--html', htmlPath], { timeoutMs: 90_000 });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const trace = await readTrace(tracePath);
  const index = new TraceIndex(trace.records);
  t0 = index.t0;
  paths = txnPaths(trace.records, index);

  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await ctx.newPage();
  const self = pathToFileURL(htmlPath).href;
  await ctx.route('**/*', (route) => (route.request().url() === self ? route.continue() : route.abort()));
  ctx.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(self);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
}

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Page-side code is given as text: this project's TypeScript has no DOM types.
/** Two animation frames: whatever the page queued (labels, the overview frame) is drawn. */
const settle = (): Promise<unknown> => page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
/** A value from the page's embedded data, e.g. `data('t1')`. */
const data = <T>(path: string): Promise<T> => page.evaluate(`JSON.parse(document.getElementById('trace-data').textContent).${path}`);

/** The range the diagram shows, as the page reports it (ms from the start of the run). */
async function shown(): Promise<[number, number]> {
  await settle();
  return [Number(await page.locator('#overview').getAttribute('data-from')), Number(await page.locator('#overview').getAttribute('data-to'))];
}

/** Drags on the overview between two fractions of its height. */
async function brush(from: number, to: number): Promise<void> {
  const box = (await page.locator('#overview').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * from);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * to, { steps: 6 });
  await page.mouse.up();
}

/** Every text on screen in the diagram (labels, narration, axis), and the pairs that overlap. */
function overlaps(): Promise<{ texts: number; says: number; overlapping: string[] }> {
  return page.evaluate(`(() => {
    const view = document.getElementById('scroll').getBoundingClientRect();
    const shown = [...document.querySelectorAll('#labels text, #says text, #axis text')]
      .filter((t) => getComputedStyle(t).display !== 'none')
      .map((t) => ({ r: t.getBoundingClientRect(), text: t.textContent, say: t.closest('#says') !== null }))
      .filter((x) => x.r.width > 0 && x.r.bottom > view.top && x.r.top < view.bottom);
    const overlapping = [];
    for (let i = 0; i < shown.length; i++) {
      for (let j = i + 1; j < shown.length; j++) {
        const a = shown[i].r, b = shown[j].r;
        // Half a pixel of slack for anti-aliasing.
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) overlapping.push('"' + shown[i].text + '" / "' + shown[j].text + '"');
      }
    }
    return { texts: shown.length, says: shown.filter((x) => x.say).length, overlapping };
  })()`);
}

describe('the report of a busy robot run, in headless Chromium', () => {
  it('overview: a column per lane over the whole run, as busy as the embedded bins say, with drops and transactions marked', async () => {
    await setUp();
    const span = await data<number>('t1');
    expect(span).toBeGreaterThan(6000);
    expect(paths.length).toBeGreaterThan(100);
    expect(await page.locator('#overview rect.ov-lane').count()).toBe(5);
    const ov = await data<Record<'messages' | 'drops' | 'txns', number[][]>>('overview.time');
    const nonZero = (rows: number[][]): number => rows.flat().filter((n) => n > 0).length;
    const bins = { m: nonZero(ov.messages), d: nonZero(ov.drops), t: nonZero(ov.txns) };
    expect(bins.m).toBeGreaterThan(300);
    expect(await page.locator('#overview rect.ov-m').count()).toBe(bins.m);
    expect(await page.locator('#overview rect.ov-d').count()).toBe(bins.d);
    expect(await page.locator('#overview rect.ov-t').count()).toBe(bins.t);
    expect(bins.d).toBeGreaterThan(0);
    expect(await page.locator('#overview line.ov-say').count()).toBe(3);
    // The frame starts at the top of the run.
    const [from, to] = await shown();
    expect(from).toBe(0);
    expect(to).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('brushing the overview sets the range the diagram shows; the frame drags; a double-click shows the whole run', async () => {
    await setUp();
    const span = await data<number>('t1');
    const box = (await page.locator('#overview').boundingBox())!;
    // The strip maps its height, less 6 px at each end, onto the whole run.
    const at = (f: number): number => ((box.height * f - 6) / (box.height - 12)) * span;
    await brush(0.3, 0.45);
    const [from, to] = await shown();
    expect(Math.abs(from - at(0.3))).toBeLessThan(span * 0.01);
    expect(Math.abs(to - at(0.45))).toBeLessThan(span * 0.01);
    expect(await page.locator('#range').innerText()).toBe(`showing +${(from / 1000).toFixed(2)} to +${(to / 1000).toFixed(2)} s of ${(span / 1000).toFixed(2)} s`);
    // The diagram shows that range: the first and last axis ticks on screen lie inside it.
    const ticks = await page.evaluate<string[]>(`(() => {
      const view = document.getElementById('scroll').getBoundingClientRect();
      return [...document.querySelectorAll('#axis text')].filter((t) => {
        const r = t.getBoundingClientRect();
        return r.top >= view.top && r.bottom <= view.bottom;
      }).map((t) => t.textContent);
    })()`);
    const ms = (tick: string): number => (tick.endsWith(' s') ? Number(tick.slice(1, -2)) * 1000 : Number(tick.slice(1, -3)));
    expect(ticks.length).toBeGreaterThan(3);
    expect(ms(ticks[0]!)).toBeGreaterThanOrEqual(from - 1);
    expect(ms(ticks.at(-1)!)).toBeLessThanOrEqual(to + 1);
    await page.screenshot({ path: join(OUT, 'busy-overview.png') });

    // Drag the frame down by 60 px: the same length of run, later.
    const frame = (await page.locator('#overview .ov-frame').boundingBox())!;
    await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2);
    await page.mouse.down();
    await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2 + 60, { steps: 4 });
    await page.mouse.up();
    const [from2, to2] = await shown();
    expect(Math.abs(from2 - from - (60 / (box.height - 12)) * span)).toBeLessThan(span * 0.01);
    expect(Math.abs(to2 - from2 - (to - from))).toBeLessThan(span * 0.005);

    await page.locator('#overview').dblclick();
    const [all0, all1] = await shown();
    expect([all0, Math.round(all1)]).toEqual([0, span]);
    await page.screenshot({ path: join(OUT, 'busy-whole-run.png') });
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('labels on screen never overlap: the first view, the whole run, a brushed range, the Lamport axis', async () => {
    await setUp();
    const seen: number[] = []; // texts on screen at each check
    const check = async (what: string): Promise<void> => {
      const o = await overlaps();
      expect(o.overlapping, what).toEqual([]);
      seen.push(o.texts);
    };
    await page.click('#zoom-fit');
    await settle();
    await check('whole run');
    await brush(0.2, 0.26);
    await settle();
    await check('brushed');
    await page.click('#zoom-out');
    await settle();
    await check('zoomed out');
    await page.check('input[name="axis"][value="lamport"]');
    await settle();
    await check('Lamport axis');
    await brush(0.5, 0.52);
    await settle();
    await check('Lamport, brushed');
    // The start, with the first narration line among the labels.
    await page.check('input[name="axis"][value="time"]');
    await brush(0, 0.08);
    await settle();
    await check('start');
    expect((await overlaps()).says).toBeGreaterThan(0);
    expect(Math.min(...seen)).toBeGreaterThan(20);
    expect(Math.max(...seen)).toBeGreaterThan(100);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('picking a transaction shows its path: first-had times, hops from the author, and why eve never had it', async () => {
    await setUp();
    // A transaction made after the partition that every node but eve had, as computed from the
    // trace; one that took two hops to some node if there is one.
    const fits = paths.flatMap((p, i) => (p.nodes.every((n) => (n.node === 'eve' ? !n.had && n.blocked.kind === 'partition' : n.had)) ? [i] : []));
    expect(fits.length).toBeGreaterThan(0);
    const i = fits.find((j) => paths[j]!.nodes.some((n) => n.had && n.hops === 2)) ?? fits[0]!;
    const p = paths[i]!;
    await page.check('#txn-missed-only');
    expect(await page.locator('#txn-list li:not(.partial) button').first().isVisible()).toBe(false);
    await page.locator(`#txn-list button[data-txn="${i}"]`).click();
    await settle();

    const rows = await page.locator('#txn-detail tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ node: tr.getAttribute('data-node'), hops: tr.querySelector('.hops')?.textContent ?? null, text: (tr as unknown as { innerText: string }).innerText })),
    );
    expect(rows.map((r) => r.node)).toEqual(['ann', 'ben', 'cat', 'dan', 'eve']);
    for (const n of p.nodes) {
      const row = rows.find((r) => r.node === n.node)!;
      if (n.had) {
        expect(row.hops).toBe(n.hops === undefined ? '?' : String(n.hops));
        expect(row.text).toContain(`+${((n.at - t0) / 1000).toFixed(3)} s · L${n.lamport}`);
        if (n.author) expect(row.text).toContain('made it');
        else if (n.via) expect(row.text).toContain(`from ${n.via.from} in ${n.via.type}`);
      } else {
        expect(row.hops).toBeNull();
        expect(row.text).toContain(`never had it: partition — ${n.blocked.detail}`);
      }
    }
    const hops = p.nodes.flatMap((n) => (n.had && n.hops !== undefined ? [n.hops] : []));
    expect(hops).toContain(0);
    expect(Math.max(...hops)).toBeGreaterThanOrEqual(1);

    // The diagram: everything else dimmed, the carriers bold, a ring per node, eve's in red.
    expect(await page.locator('#diagram.picked').count()).toBe(1);
    expect(await page.locator('#arrows .arrow.on-path').count()).toBe(p.nodes.filter((n) => n.had && n.via).length);
    expect(await page.locator('#path circle.ring').count()).toBe(5);
    expect(await page.locator('#path circle.ring.never').getAttribute('data-node')).toBe('eve');
    const notes = await page.locator('#labels text.hop, #labels text.why').allTextContents();
    expect(notes).toContain('never: partition');
    expect(notes).toContain('author');
    expect(notes.filter((n) => n.startsWith('hop ')).length).toBe(3);
    // The view shows the transaction's life.
    const [from, to] = await shown();
    expect(from).toBeLessThanOrEqual(p.made - t0);
    expect(to).toBeGreaterThanOrEqual(Math.max(...p.nodes.map((n) => (n.had ? n.at : p.made))) - t0);
    expect((await overlaps()).overlapping).toEqual([]);
    // The picked one stays in sight in the list, under its detail.
    const list = (await page.locator('#txn-list').boundingBox())!;
    const active = (await page.locator('#txn-list button.active').boundingBox())!;
    expect(active.y).toBeGreaterThanOrEqual(list.y - 1);
    expect(active.y + active.height).toBeLessThanOrEqual(list.y + list.height + 1);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(OUT, 'txn-path.png') });

    await page.click('#txn-clear');
    expect(await page.locator('#diagram.picked').count()).toBe(0);
    expect(await page.locator('#path circle').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('clicking a transaction dot in the diagram picks that transaction', async () => {
    await setUp();
    // A dot of a transaction made, on screen, with no other dot within reach of the pointer: in
    // a narrower time range if the first is too crowded for one.
    let target: { x: number; y: number; txn: number } | null = null;
    for (const [from, to] of [[0.2, 0.23], [0.2, 0.21], [0.2, 0.203], [0.5, 0.503], [0.8, 0.803]] as const) {
      await brush(from, to);
      await settle();
      target = await page.evaluate<{ x: number; y: number; txn: number } | null>(`(() => {
        const D = JSON.parse(document.getElementById('trace-data').textContent);
        const view = document.getElementById('scroll').getBoundingClientRect();
        const centres = [...document.querySelectorAll('#marks > .mark')].map((m) => {
          const r = m.getBoundingClientRect();
          return [r.left + r.width / 2, r.top + r.height / 2];
        });
        for (let i = 0; i < centres.length; i++) {
          const [x, y] = centres[i];
          if (D.marks[i][4] !== 1 || y < view.top + 10 || y > view.bottom - 10) continue;
          if (centres.some((c, j) => j !== i && Math.hypot(c[0] - x, c[1] - y) < 9)) continue;
          return { x, y, txn: D.marks[i][8] };
        }
        return null;
      })()`);
      if (target) break;
    }
    expect(target).not.toBeNull();
    await page.mouse.click(target!.x, target!.y);
    expect(await page.locator('#txn-list button.active').getAttribute('data-txn')).toBe(String(target!.txn));
    expect(await page.locator('#txn-detail').isVisible()).toBe(true);
    expect(await page.locator('#txn-detail h3').innerText()).toContain(paths[target!.txn]!.amount);
    await page.click('#txn-clear');
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('loaded nothing but the file itself', async () => {
    await setUp();
    expect(requests).toEqual([pathToFileURL(htmlPath).href]);
  }, 180_000);
});
