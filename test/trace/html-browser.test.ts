/**
 * Issue 7 acceptance: the HTML of a small real run, opened in headless Chromium, has a lane per
 * node and an arrow per delivered message of the trace, and loads nothing from the network.
 *
 * The browser comes from npm (test/support/browser.ts), or from PEERLAB_CHROMIUM. Setting up is
 * done by the first test that needs it, so a browser that cannot start fails every test here with
 * the support module's message (what to install or set) instead of leaving them skipped.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/runtime/node.ts';
import { TraceWriter, type TraceRecord } from '../../src/runtime/trace.ts';
import { writeHtmlReport } from '../../src/trace/html-report.ts';
import { readTrace } from '../../src/trace/read-trace.ts';
import { until } from '../helpers.ts';
import { launchBrowser } from '../support/browser.ts';

const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'trace');

let dir = '';
let records: TraceRecord[] = [];
let rawLines: Array<{ kind: string; msgId?: string }> = [];
let htmlPath = '';
let browser: Browser | undefined;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

let ready: Promise<void> | undefined;
/** The run, its report, and the page open in the browser: made once, by the first test. */
function setUp(): Promise<void> {
  ready ??= prepare();
  return ready;
}

async function prepare(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-browser-'));
  // A small real run: three nodes on UDP loopback share one trace file, join, and run robots briefly.
  const tracePath = join(dir, 'run.jsonl');
  const trace = new TraceWriter(tracePath);
  const names = ['alice', 'bob', 'carol'];
  const nodes = names.map((name, i) => new Node({ name, memory: true, seed: 70 + i, trace, heartbeat: { interval: 100, timeout: 1000 } }));
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await nodes[1]!.join(nodes[0]!.address);
    await nodes[2]!.join(nodes[0]!.address);
    await until(() => nodes.every((n) => n.peers().length === 2), 'every node knows the other two');
    nodes.forEach((n, i) => n.robot.start({ every: '20ms', maxAmount: 5, seed: i + 1 }));
    await new Promise((r) => setTimeout(r, 600));
    nodes.forEach((n) => n.robot.stop());
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await trace.close();
  }
  rawLines = (await readFile(tracePath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; msgId?: string });
  const read = await readTrace(tracePath);
  expect(read.problems).toEqual([]);
  records = read.records;

  await mkdir(OUT, { recursive: true });
  htmlPath = join(OUT, 'robot-run.html');
  await writeHtmlReport(records, htmlPath, { title: 'three nodes, robots (browser test)' });

  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await ctx.newPage();
  const self = pathToFileURL(htmlPath).href;
  // Every request is seen here; anything but the page itself is noted and refused.
  await ctx.route('**/*', (route) => (route.request().url() === self ? route.continue() : route.abort()));
  ctx.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(self);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
}

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('HTML report in headless Chromium', () => {
  it('the trace holds message ids, and the page has a lane per node and an arrow per delivered message', async () => {
    await setUp();
    const delivered = rawLines.filter((l) => l.kind === 'deliver');
    expect(delivered.length).toBeGreaterThan(50);
    expect(delivered.every((l) => typeof l.msgId === 'string' && l.msgId.length > 0)).toBe(true);
    expect(rawLines.some((l) => l.kind === 'send')).toBe(true);

    const lanes = await page.locator('#lanes > g.lane').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
    expect(lanes.sort()).toEqual(['alice', 'bob', 'carol']);
    const arrows = await page.locator('line.arrow').evaluateAll((els) => els.map((e) => e.getAttribute('data-msg')));
    expect(arrows.length).toBe(delivered.length);
    expect([...arrows].sort()).toEqual(delivered.map((l) => l.msgId).sort());
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('loaded nothing but the file itself', async () => {
    await setUp();
    expect(requests).toEqual([pathToFileURL(htmlPath).href]);
  }, 60_000);

  it('shows details on hover, filters by kind, and zooms', async () => {
    await setUp();
    // The longest arrow: the one least likely to have a neighbour at its midpoint.
    const longest = await page.locator('line.arrow').evaluateAll((els) => {
      const len = (e: { getAttribute(name: string): string | null }): number => Math.abs(Number(e.getAttribute('y2')) - Number(e.getAttribute('y1')));
      return els.reduce((best, e, i) => (len(e) > len(els[best]!) ? i : best), 0);
    });
    const arrow = page.locator('line.arrow').nth(longest);
    await arrow.scrollIntoViewIfNeeded();
    const box = (await arrow.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.locator('#tip').isVisible()).toBe(true);
    expect(await page.locator('#tip').innerText()).toMatch(/→[\s\S]*sent \+[\d.]+ s at L\d+ · delivered \+[\d.]+ s at L\d+[\s\S]*id [0-9a-f-]{36}/);
    await page.mouse.move(1, 1);

    const visible = (): Promise<number> => page.evaluate("[...document.querySelectorAll('line.arrow')].filter((e) => getComputedStyle(e).display !== 'none').length");
    const total = await visible();
    const kindBox = page.locator('#filter-messages input[data-filter]').first(); // the most frequent message type
    const ofType = await page.locator(`line.arrow.${await kindBox.getAttribute('data-filter')}`).count();
    expect(ofType).toBeGreaterThan(0);
    await kindBox.uncheck();
    expect(await visible()).toBe(total - ofType);
    await kindBox.check();
    expect(await visible()).toBe(total);

    const height = async (): Promise<number> => Number(await page.locator('#diagram').getAttribute('height'));
    const before = await height();
    await page.click('#zoom-in');
    expect(await height()).toBeGreaterThan(before * 1.5);
    await page.click('#zoom-fit');
    await page.screenshot({ path: join(OUT, 'space-time.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
