/**
 * The live view under test: real nodes of this process on UDP loopback, the view's server on
 * 127.0.0.1, and its page in the headless Chromium from npm (test/support/browser.ts). `act`
 * drives a form the way a person does (fields typed, a file picked, the button pressed, a
 * confirmation answered) and returns the one line the form shows.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { Node, type NodeOptions } from '../../src/runtime/node.ts';
import { FolderRule } from '../../src/ui/folder-rule.ts';
import { LiveHub, localLiveNode } from '../../src/ui/live-source.ts';
import { LiveView, type LiveViewOptions } from '../../src/ui/server.ts';
import { launchBrowser } from '../support/browser.ts';

/** The page's own global, inside page.evaluate callbacks (tests are typechecked without the DOM library). */
declare const document: any;

export const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

export interface Rig {
  nodes: Node[];
  byName: Record<string, Node>;
  hub: LiveHub;
  view: LiveView;
  /** Adds a node of this process to the view (not joined). */
  add(name: string, opts?: NodeOptions): Promise<Node>;
  stop(): Promise<void>;
}

/** `n` nodes (alice, bob, ...), the first `joined` of them joined to alice; the view over all. */
export async function startRig(n: number, o: { joined?: number; view?: Partial<LiveViewOptions>; node?: NodeOptions } = {}): Promise<Rig> {
  const nodes: Node[] = [];
  const live = new Map<Node, ReturnType<typeof localLiveNode>>();
  const hub = new LiveHub(() => nodes.map((x) => live.get(x)!));
  const make = async (name: string, i: number, extra: NodeOptions = {}): Promise<Node> => {
    const node = new Node({ name, memory: true, seed: 500 + i, heartbeat: { interval: 250, timeout: 5000 }, trace: hub.trace, ...o.node, ...extra });
    node.on('*', hub.listen);
    nodes.push(node);
    live.set(node, localLiveNode(node));
    await node.start();
    return node;
  };
  await Promise.all(NAMES.slice(0, n).map((name, i) => make(name, i)));
  const joined = Math.min(o.joined ?? n, n);
  await Promise.all(nodes.slice(1, joined).map((x) => x.join(nodes[0]!.address, { timeout: '10s' })));
  await until(() => nodes.slice(0, joined).every((x) => x.peers().length >= joined - 1), 'the joined nodes know each other', 10_000);
  const view = await LiveView.start({ source: hub, folders: FolderRule.workingFolder(), ...o.view });
  const byName: Record<string, Node> = {};
  for (const x of nodes) byName[x.name] = x;
  return {
    nodes,
    byName,
    hub,
    view,
    add: async (name, extra) => {
      const node = await make(name, nodes.length, extra);
      byName[name] = node;
      return node;
    },
    stop: async () => {
      await view.stop();
      await Promise.all(nodes.map((x) => x.stop()));
    },
  };
}

let shared: Promise<Browser> | undefined;
/** One Chromium per test file. */
export function browser(): Promise<Browser> {
  shared ??= launchBrowser();
  return shared;
}

export async function closeBrowser(): Promise<void> {
  if (shared) await (await shared).close();
  shared = undefined;
}

export interface OpenedPage {
  page: Page;
  /** Requests that went anywhere but the view's own server. */
  foreign: string[];
  /** Errors the page threw or logged. */
  errors: string[];
}

/**
 * For a test file on one rig of `n` nodes and its page: started before the file's tests (handed
 * over through `use`), stopped after them with the browser.
 */
export function useLivePage(n: number, use: (rig: Rig, page: Page) => void): void {
  let rig: Rig | undefined;
  beforeAll(async () => {
    rig = await startRig(n);
    const { page } = await openPage(rig.view, NAMES.slice(0, n));
    use(rig, page);
  }, 60_000);
  afterAll(async () => {
    await closeBrowser();
    await rig?.stop();
  });
}

/** Opens the view's address (a LiveView, or the address a command printed) and waits until the page lists every node. */
export async function openPage(view: LiveView | string, names: readonly string[], width = 1500): Promise<OpenedPage> {
  const url = typeof view === 'string' ? view : view.url;
  const ctx = await (await browser()).newContext({ viewport: { width, height: 1100 }, acceptDownloads: true });
  const page = await ctx.newPage();
  const origin = new URL(url).origin;
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  // A refused request (a 400 the test asks for) is logged by Chromium itself; anything else counts.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction((want) => want.every((n) => document.querySelector(`#nodes tr[data-node="${n}"]`)), [...names], { timeout: 15_000 });
  return { page, foreign, errors };
}

export type FieldValue = string | number | { file: string } | { fields: Record<string, string> } | { slider: number };

/**
 * Fills the form of `method` (`values` by field name: the caller `from`/`node` too), presses its
 * button (and "Yes" in the confirmation when `confirm`), and returns the line it shows.
 */
export async function act(page: Page, method: string, values: Record<string, FieldValue>, o: { confirm?: boolean } = {}): Promise<string> {
  const form = page.locator(`form[data-method="${method}"]`);
  // A fresh form each time, as a person clears what they typed before: sliders unset, fields empty.
  await form.evaluate((f) => {
    const d = f.closest('details');
    if (d) d.open = true;
    f.querySelectorAll('button.small[title="leave unchanged"]').forEach((b: { click(): void }) => b.click());
    (f as unknown as { reset(): void }).reset();
    const out = f.querySelector('output.result');
    if (out) out.textContent = '';
  });
  for (const [name, v] of Object.entries(values)) {
    const input = form.locator(`[name="${name}"]`);
    if (typeof v === 'object' && 'file' in v) await form.locator(`[data-upload-for="${name}"]`).setInputFiles(v.file);
    else if (typeof v === 'object' && 'slider' in v) {
      await input.evaluate((e, x) => {
        (e as unknown as { value: string }).value = String(x);
        e.dispatchEvent(new Event('input', { bubbles: true }));
      }, v.slider);
    } else if (typeof v === 'object' && 'fields' in v) {
      const rows = form.locator(`[data-fields="${name}"]`);
      let i = 0;
      for (const [k, x] of Object.entries(v.fields)) {
        if (i > 0) await rows.locator('button.small').click();
        await rows.locator('[data-key]').nth(i).fill(k);
        await rows.locator('[data-value]').nth(i).fill(x);
        i++;
      }
    } else if ((await input.evaluate((e) => e.tagName)) === 'SELECT') await input.selectOption(String(v));
    else await input.fill(String(v));
  }
  await form.locator('button.run').click();
  if (o.confirm) await page.locator('#confirm-yes').click();
  const out = form.locator('output.result');
  await page.waitForFunction((el) => !!el && el.textContent !== '' && !el.textContent!.startsWith('…'), await out.elementHandle(), { timeout: 30_000 });
  return ((await out.evaluate((e) => e.firstChild?.textContent ?? '')) ?? '').trim();
}

/** Polls `cond` until it holds (bounded); every check is a real observation, never a sleep-and-hope. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the page's text at `selector` matches `pattern`. */
export async function pageShows(page: Page, selector: string, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction(
    ([sel, src, flags]) => Array.from(document.querySelectorAll(sel) as ArrayLike<{ textContent: string | null }>).some((e) => new RegExp(src, flags).test(e.textContent ?? '')),
    [selector, pattern.source, pattern.flags] as const,
    { timeout: timeoutMs },
  );
}
