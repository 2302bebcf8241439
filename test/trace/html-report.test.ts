import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../src/runtime/trace.ts';
import { balanceViews, formatUnits } from '../../src/trace/balances.ts';
import { buildHtmlReport, renderHtmlReport, writeHtmlReport } from '../../src/trace/html-report.ts';
import { spaceTime } from '../../src/trace/space-time.ts';
import { TraceIndex } from '../../src/trace/trace-index.ts';
import { runCli } from '../cli/spawn.ts';
import { event, message, smallRun, txn } from './records.ts';

/** Start tags of elements with this tag and class, with their attributes. */
function elements(html: string, tag: string, cls: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const m of html.matchAll(new RegExp(`<${tag}\\s([^>]*)>`, 'g'))) {
    const attrs: Record<string, string> = {};
    for (const a of m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    if ((attrs.class ?? '').split(' ').includes(cls)) out.push(attrs);
  }
  return out;
}

describe('HTML report structure (no browser)', () => {
  const records = smallRun();
  const html = renderHtmlReport(records, { title: 'small <run>' });

  it('has a lane per node and an arrow per delivered message, paired by message id', () => {
    const lanes = elements(html, 'g', 'lane');
    expect(lanes.map((l) => l['data-node'])).toEqual(['alice', 'bob', 'carol']);
    const arrows = elements(html, 'line', 'arrow');
    const delivered = records.filter((r) => r.kind === 'deliver').map((r) => (r as { msgId: string }).msgId);
    expect(arrows.map((a) => a['data-msg'])).toEqual(delivered);
    expect(arrows.map((a) => a['data-type'])).toEqual(['hello', 'hello', 'txn', 'digest']);
    // bob (second lane) -> alice (first lane): the arrow starts right of where it ends, and goes down in time.
    const hello = arrows[0]!;
    expect(Number(hello.x1)).toBeGreaterThan(Number(hello.x2));
    expect(Number(hello.y2)).toBeGreaterThan(Number(hello.y1));
  });

  it('marks drops (on the side that lost them), messages that never arrived, transactions and events', () => {
    const drops = elements(html, 'g', 'drop');
    expect(drops.map((d) => `${d['data-msg']}:${d['data-side']}`)).toEqual(['m3:sender', 'm4:receiver']);
    expect(elements(html, 'path', 'lost').map((l) => l['data-msg'])).toEqual(['m6']);
    const marks = elements(html, 'circle', 'mark');
    expect(marks.filter((m) => m.class!.includes('origin')).map((m) => m['data-type'])).toEqual(['txn-accepted']);
    expect(marks.map((m) => m['data-type']).sort()).toEqual(['node-started', 'node-started', 'node-started', 'peer-added', 'txn-accepted', 'txn-accepted']);
  });

  it('has a filter checkbox per message kind and per event category, and zoom and axis controls', () => {
    const filters = [...html.matchAll(/data-filter="([^"]+)"/g)].map((m) => m[1]);
    expect(filters).toEqual(['m0', 'm1', 'm2', 'm3', 'c-txn', 'c-peer', 'c-node']);
    expect(html).toMatch(/<span class="sw m0"><\/span>hello <span class="note">2<\/span>/);
    expect(html).toMatch(/<span class="sw m1"><\/span>ping <span class="note">2<\/span>/);
    expect(html).toContain('.hide-m1 .m1{display:none}');
    for (const id of ['zoom-in', 'zoom-out', 'zoom-fit', 'show-labels']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('name="axis" value="lamport"');
  });

  it('is self-contained: nothing to fetch, no external URL, no way out of the script block', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|\ssrc=|@import|url\((?!#)|https?:\/\/(?!www\.w3\.org\/2000\/svg')/i);
    expect(html).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket|EventSource|import\(/);
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html).toContain('<title>small &#60;run&#62;</title>');
  });

  it('escapes what the trace says, in markup and in the embedded data', () => {
    const nasty = '</script><img src=x onerror=alert(1)>';
    const evil = [...records, event('alice', 'log', 50, 11, { level: 'info', message: nasty }), event('bob', 'say', 51, 0, { text: nasty })];
    const out = renderHtmlReport(evil);
    expect(out).not.toContain('<img');
    expect(out.match(/<\/script>/g)).toHaveLength(2);
    const data = /<script type="application\/json" id="trace-data">(.*?)<\/script>/s.exec(out)![1]!;
    expect(JSON.stringify(JSON.parse(data))).toContain(nasty);
  });

  it('orders lanes as asked (the playbook order), the rest by name with numbers in order', () => {
    const lanes = (html: string): string[] => elements(html, 'g', 'lane').map((l) => l['data-node']!);
    expect(lanes(renderHtmlReport(records, { lanes: ['carol', 'alice'] }))).toEqual(['carol', 'alice', 'bob']);
    const named = ['n10', 'n2', 'n1'].map((n, i) => event(n, 'node-started', i, 0));
    expect(lanes(renderHtmlReport(named))).toEqual(['n1', 'n2', 'n10']);
  });

  it('draws peers outside the trace as extra dashed lanes, not as nodes', () => {
    const rec: TraceRecord = { kind: 'deliver', time: 5, node: 'alice', nodeId: 'a', msgId: 'x1', type: 'hello', from: '10.9.9.9:7', to: '127.0.0.1:5001', lamport: 1, lamportRecv: 2 };
    const out = renderHtmlReport([rec]);
    expect(elements(out, 'g', 'lane').map((l) => `${l['data-node']}${l.class!.includes('external') ? ' (external)' : ''}`)).toEqual(['alice', '10.9.9.9:7 (external)']);
    expect(elements(out, 'line', 'arrow')).toHaveLength(1);
  });

  it('summarises what it drew, and writes the file (creating its folder)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-html-'));
    try {
      const path = join(dir, 'deep', 'er', 'r.html');
      const summary = await writeHtmlReport(records, path, { title: 't' });
      expect(summary).toEqual({ nodes: 3, delivered: 4, dropped: 2, lost: 1, events: 6, bytes: 400 });
      expect(await readFile(path, 'utf8')).toBe(buildHtmlReport(records, { title: 't' }).html);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('copes with an empty trace', () => {
    const out = renderHtmlReport([]);
    expect(elements(out, 'g', 'lane')).toEqual([]);
    expect(out).toContain('empty trace');
  });

  it('stays compact for thousands of messages (one element per arrow, labels drawn by the page on screen only)', () => {
    const many: TraceRecord[] = [];
    for (let i = 0; i < 5000; i++) {
      const [from, to] = i % 2 ? ['alice', 'bob'] : ['bob', 'carol'];
      many.push(...message({ id: `k${i}`, type: i % 3 ? 'txn' : 'ping', from: from!, to: to!, at: i, lamport: 2 * i, recvAt: i + 1, lamportRecv: 2 * i + 1 }));
    }
    const t = performance.now();
    const out = renderHtmlReport(many);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(elements(out, 'line', 'arrow')).toHaveLength(5000);
    expect(out.match(/<text\b/g)?.length ?? 0).toBeLessThan(20);
    expect(out.length / 5000).toBeLessThan(300);
  });
});

describe('balances over time (each node its own view)', () => {
  it('follows accepted and voided transactions exactly, per node', () => {
    const records = [
      ...smallRun(),
      txn('carol', 'txn-accepted', 60, 20, { id: 't1', from: 'AAAAAAAA', to: 'BBBBBBBB', amount: '25.50' }), // short ids, before names are known
      txn('alice', 'txn-accepted', 70, 21, { id: 't2', from: 'bob', to: 'carol', amount: '0.1' }),
      txn('alice', 'txn-accepted', 71, 22, { id: 't3', from: 'bob', to: 'carol', amount: '0.2' }),
      txn('alice', 'txn-voided', 80, 23, { id: 't2', from: 'bob', to: 'carol', amount: '0.1' }),
      txn('alice', 'txn-voided', 81, 24, { id: 't2', from: 'bob', to: 'carol', amount: '0.1' }), // twice: no effect
    ];
    const b = balanceViews(records, new TraceIndex(records));
    expect(b.initialFrom).toBe('default');
    expect(b.scale).toBe(2);
    expect(b.accounts).toEqual(['alice', 'bob', 'carol']);
    const final = (node: string): Record<string, string> =>
      Object.fromEntries(b.views.find((v) => v.node === node)!.accounts.map((s) => [s.account, formatUnits(s.points.at(-1)!.units, b.scale)]));
    expect(final('alice')).toEqual({ alice: '974.50', bob: '1025.30', carol: '1000.20' });
    expect(final('bob')).toEqual({ alice: '974.50', bob: '1025.50', carol: '1000.00' });
    expect(final('carol')).toEqual({ alice: '974.50', bob: '1025.50', carol: '1000.00' });
    const aliceBob = b.views[0]!.accounts[1]!.points.map((p) => [p.time - records[0]!.time, formatUnits(p.units, 2)]);
    // A step line from the start of the trace to its end (81 ms).
    expect(aliceBob).toEqual([[0, '1000.00'], [30, '1025.50'], [70, '1025.40'], [71, '1025.20'], [80, '1025.30'], [81, '1025.30']]);
  });

  it('takes the initial balance from the caller, else from the trace', () => {
    const records = [event('alice', 'node-started', 0, 0, { address: 'a:1', id: 'x', initialBalance: '50' }), txn('alice', 'txn-accepted', 1, 1, { id: 't', from: 'alice', to: 'bob', amount: '7' })];
    const fromTrace = balanceViews(records, new TraceIndex(records));
    expect([fromTrace.initialFrom, fromTrace.initial]).toEqual(['trace', 50n]);
    expect(fromTrace.views[0]!.accounts.map((s) => formatUnits(s.points.at(-1)!.units, 0))).toEqual(['43', '57']);
    const given = balanceViews(records, new TraceIndex(records), '10.5');
    expect([given.initialFrom, given.scale, formatUnits(given.initial, given.scale)]).toEqual(['option', 1, '10.5']);
  });

  it('marks a transaction made by its sender as the origin', () => {
    const st = spaceTime(smallRun());
    expect(st.marks.filter((m) => m.origin).map((m) => `${st.lanes[m.lane]!.name}: ${m.label}`)).toEqual(['alice: 25.50 → bob']);
  });
});

describe('peerlab report (command)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerlab-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the page and says what it drew; exit 0', async () => {
    const trace = join(dir, 'run.jsonl');
    await writeFile(trace, smallRun().map((r) => JSON.stringify(r)).join('\n') + '\n{oops\n');
    const out = join(dir, 'out', 'run.html');
    const r = await runCli(['report', trace, '--html', out]);
    expect(r.stderr.startsWith(`peerlab report: ${trace}:20: not JSON (`)).toBe(true);
    expect(r.stderr.endsWith('); line skipped\n')).toBe(true);
    expect(r.stdout).toBe(`wrote ${out}: 3 nodes, 4 messages delivered, 2 dropped, 1 not delivered, 6 events\n`);
    expect(r.code).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('<title>peerlab trace: run.jsonl</title>');
    expect(html).toContain('1 line of the trace skipped (line 20: not JSON');
  });

  it('exits 2 with one clear line for an unreadable trace, a missing --html, or an empty trace', async () => {
    const missing = await runCli(['report', join(dir, 'nope.jsonl'), '--html', join(dir, 'x.html')]);
    expect([missing.code, missing.stderr]).toEqual([2, `peerlab report: cannot read ${join(dir, 'nope.jsonl')}: no such file\n`]);
    const usage = await runCli(['report', join(dir, 'run.jsonl')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("peerlab report: required option '--html <out>' not specified\n");
    await writeFile(join(dir, 'empty.jsonl'), '');
    const empty = await runCli(['report', join(dir, 'empty.jsonl'), '--html', join(dir, 'e.html')]);
    expect([empty.code, empty.stderr]).toEqual([2, `peerlab report: ${join(dir, 'empty.jsonl')} is empty\n`]);
  });
});
