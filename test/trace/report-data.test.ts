/**
 * What the HTML report embeds for busy runs (issue 13, item 10): the overview's bins, and the
 * transaction paths as rows that point at the diagram's elements.
 */
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../src/runtime/trace.ts';
import { renderHtmlReport } from '../../src/trace/html-report.ts';
import { overview } from '../../src/trace/overview.ts';
import { spaceTime } from '../../src/trace/space-time.ts';
import { ADDR, drop, event, message, send, smallRun, txn } from './records.ts';

function data(html: string): Record<string, any> {
  return JSON.parse(/<script type="application\/json" id="trace-data">(.*?)<\/script>/s.exec(html)![1]!) as Record<string, any>;
}

const sum = (rows: number[][]): number => rows.flat().reduce((a, b) => a + b, 0);

describe('overview bins', () => {
  it('count each message at both ends, drops on the side that lost them, transactions made, per lane', () => {
    const st = spaceTime(smallRun());
    const ov = overview(st, 10);
    expect(ov.bins).toBe(10);
    // The run spans 41 ms: bins of 4.1 ms. alice=0, bob=1, carol=2.
    expect(ov.time.span).toBe(41);
    expect(sum(ov.time.messages)).toBe(2 * st.arrows.length);
    expect(ov.time.messages.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([3, 4, 1]);
    // hello bob→alice sent at 10 ms (bin 2) and delivered at 12 ms (bin 2); the digest reaches carol at 41 ms: the last bin.
    expect(ov.time.messages[1]![2]).toBe(1);
    expect(ov.time.messages[2]![9]).toBe(1);
    // m3 lost at its sender carol (20 ms, bin 4), m4 at its receiver carol (23 ms, bin 5), m6 sent by alice never arrived (31 ms, bin 7).
    expect(ov.time.drops[2]![4]).toBe(1);
    expect(ov.time.drops[2]![5]).toBe(1);
    expect(ov.time.drops[0]![7]).toBe(1);
    expect(sum(ov.time.drops)).toBe(3);
    expect(ov.time.txns[0]![7]).toBe(1);
    expect(sum(ov.time.txns)).toBe(1);
    expect(ov.time.max).toBe(1);
    // The Lamport axis: the same counts, placed by Lamport time (up to L10).
    expect(ov.lamport.span).toBe(10);
    expect(sum(ov.lamport.messages)).toBe(2 * st.arrows.length);
    expect(ov.lamport.messages[2]![9]).toBe(1); // the digest's delivery at carol, L10
  });

  it('are embedded in the page, and stay small for thousands of messages', () => {
    const many: TraceRecord[] = [];
    for (let i = 0; i < 3000; i++) many.push(...message({ id: `k${i}`, type: 'txn', from: i % 2 ? 'alice' : 'bob', to: 'carol', at: i, lamport: 2 * i, recvAt: i + 1, lamportRecv: 2 * i + 1 }));
    const d = data(renderHtmlReport(many));
    expect(d.overview.bins).toBe(200);
    expect(d.overview.time.messages).toHaveLength(3);
    expect(sum(d.overview.time.messages)).toBe(6000);
    expect(JSON.stringify(d.overview).length).toBeLessThan(20_000);
  });
});

describe('transaction rows in the page', () => {
  const t1 = { id: 't1', from: 'alice', to: 'bob', amount: '25.50' };
  const records: TraceRecord[] = [
    ...['alice', 'bob', 'carol'].map((n) => event(n, 'node-started', 0, 0, { address: ADDR[n], id: n })),
    ...message({ id: 'hello', type: 'hello', from: 'bob', to: 'alice', at: 5, lamport: 1, recvAt: 6, lamportRecv: 2 }),
    txn('alice', 'txn-accepted', 30, 6, t1),
    ...message({ id: 'push', type: 'txn', from: 'alice', to: 'bob', at: 31, lamport: 7, recvAt: 33, lamportRecv: 8 }),
    txn('bob', 'txn-accepted', 34, 9, t1),
    send({ id: 'cut', type: 'txn', from: 'alice', to: 'carol', at: 31, lamport: 8 }),
    drop({ id: 'cut', type: 'txn', from: 'alice', to: 'carol', at: 31, lamport: 8, side: 'sender', reason: 'partition' }),
    event('bob', 'log', 3000, 10),
  ];
  const html = renderHtmlReport(records);
  const d = data(html);

  it('give each node its entry, pointing at the arrow that brought it or the drop that blocked it', () => {
    expect(d.txns).toHaveLength(1);
    const [id, authorLane, author, to, amount, seq, lamport, made, nodes] = d.txns[0];
    expect([id, authorLane, author, to, amount, seq, lamport, made]).toEqual(['t1', 0, 'alice', 'bob', '25.50', 1, 6, 30]);
    expect(nodes[0]).toEqual([1, 30, 6, 0, -1, -1, 0, 'accepted', 1]);
    const [hadFlag, at, lam, hops, arrow, fromLane, fitting, status, isAuthor] = nodes[1];
    expect([hadFlag, at, lam, hops, fromLane, fitting, status, isAuthor]).toEqual([1, 34, 9, 1, 0, 1, 'accepted', 0]);
    // The arrow index is the element's: the second line.arrow is the push.
    const arrows = [...html.matchAll(/<line class="arrow[^"]*" data-msg="([^"]+)"/g)].map((m) => m[1]);
    expect(arrows[arrow]).toBe('push');
    const [missedFlag, kind, blockedAt, dropIndex, lostIndex, detail] = nodes[2];
    expect([missedFlag, kind, blockedAt, lostIndex]).toEqual([0, 'partition', 31, -1]);
    const drops = [...html.matchAll(/<g class="drop[^"]*" data-msg="([^"]+)"/g)].map((m) => m[1]);
    expect(drops[dropIndex]).toBe('cut');
    expect(detail).toMatch(/^cut off by a partition: the txn alice sent carol at \+0\.031 s/);
  });

  it('let a click on a transaction event find its path (the last column of a mark)', () => {
    const txnMarks = d.marks.filter((m: unknown[]) => String(m[5]).startsWith('txn-'));
    expect(txnMarks.map((m: unknown[]) => m.at(-1))).toEqual([0, 0]);
    expect(d.marks.filter((m: unknown[]) => m[5] === 'node-started').map((m: unknown[]) => m.at(-1))).toEqual([-1, -1, -1]);
  });

  it('come with the panel that lists them and the overview strip', () => {
    for (const id of ['overview', 'range', 'txn-panel', 'txn-list', 'txn-detail', 'txn-missed-only', 'path']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('<span class="note" id="txn-count">1 made</span>');
  });
});
