import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatEvent } from '../../src/repl/event-line.ts';
import { findHelp, HELP, helpFor, helpOverview } from '../../src/repl/help.ts';
import { LiveOutput } from '../../src/repl/live-output.ts';
import { NameBook } from '../../src/repl/names.ts';
import { colourLevel, makePaint, stripAnsi } from '../../src/repl/paint.ts';
import { progressLine, ProgressFilter } from '../../src/repl/progress.ts';
import { formatError, renderValue } from '../../src/repl/render.ts';
import { renderTable } from '../../src/repl/table.ts';
import { PeerlabError } from '../../src/runtime/errors.ts';
import type { PeerlabEvent } from '../../src/runtime/events.ts';

const plain = makePaint(0);
const ctx = { paint: plain, names: new NameBook(), width: 100, colors: false };

describe('colour', () => {
  it('only on a terminal, never with NO_COLOR, FORCE_COLOR wins', () => {
    expect(colourLevel({ isTTY: true }, {})).toBeGreaterThan(0);
    expect(colourLevel({ isTTY: false }, {})).toBe(0);
    expect(colourLevel(undefined, {})).toBe(0);
    expect(colourLevel({ isTTY: true }, { NO_COLOR: '1' })).toBe(0);
    expect(colourLevel({ isTTY: true }, { TERM: 'dumb' })).toBe(0);
    expect(colourLevel({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(1);
    expect(colourLevel({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(0);
    expect(makePaint(1).red('x')).not.toBe('x');
    expect(makePaint(0).red('x')).toBe('x');
  });
});

describe('tables', () => {
  it('align columns under a ruled header and cut what does not fit', () => {
    const t = renderTable([{ header: 'name' }, { header: 'amount', align: 'right' }], [['alice', '1.00'], ['bob', '1000.00']], { paint: plain });
    expect(t.split('\n')).toEqual(['name    amount', '─────  ───────', 'alice     1.00', 'bob    1000.00']);
    const narrow = renderTable([{ header: 'text' }], [['x'.repeat(60)]], { paint: plain, maxWidth: 20 });
    expect(narrow.split('\n')[2]).toBe(`${'x'.repeat(19)}…`);
    const coloured = renderTable([{ header: 'a' }, { header: 'b' }], [[makePaint(1).green('ok'), 'z']], { paint: makePaint(1) });
    expect(stripAnsi(coloured).split('\n')[2]).toBe('ok  z');
  });

  it('transactions, peers and balances render as tables with names for ids', () => {
    const names = new NameBook();
    names.add('A'.repeat(43), 'alice');
    const c = { ...ctx, names };
    const txns = renderValue([{ index: 0, id: 'abcdef0123', from: 'alice', to: 'bob', amount: '25.50', lamport: 7, time: 0, status: 'valid', reason: null, fields: { Memo: 'x' } }], 'transactions', c);
    expect(txns).toMatch(/^#\s+id\s+from\s+to\s+amount/);
    expect(txns).toMatch(/0\s+abcdef01\s+alice\s+bob\s+25\.50\s+7/);
    expect(txns).toMatch(/Memo=x/);
    const peers = renderValue([{ name: 'bob', addr: '127.0.0.1:5002', id: 'B'.repeat(43), shortId: 'BBBBBBBB', state: 'alive', lastSeenMs: 1500, rttMs: 0.42 }], undefined, c);
    expect(peers).toMatch(/bob\s+127\.0\.0\.1:5002\s+BBBBBBBB\s+alive\s+1\.5 s ago\s+0\.4 ms/);
    expect(renderValue([{ account: 'A'.repeat(43), name: 'alice', balance: '1000.00' }], 'balances', c)).toMatch(/alice\s+1000\.00/);
  });
});

describe('errors', () => {
  it('are one line: message and code; never a stack', () => {
    const e = new PeerlabError('INSUFFICIENT_FUNDS', 'cannot send 5.00: spendable is 1.00');
    expect(formatError(e, plain)).toBe('✖ cannot send 5.00: spendable is 1.00 (INSUFFICIENT_FUNDS)');
    expect(formatError(new TypeError('x is not a function'), plain)).toBe('✖ TypeError: x is not a function');
    expect(formatError(new Error('two\n  lines'), plain, 'line 3: ')).toBe('✖ line 3: two lines');
    expect(formatError({ weird: true }, plain)).toBe('✖ thrown: { weird: true }');
    expect(formatError('text', plain)).toBe("✖ thrown: 'text'");
  });
});

describe('events and progress', () => {
  const ev = (type: string, data: Record<string, unknown>): PeerlabEvent => ({ type, node: 'alice', lamport: 3, time: Date.UTC(2024, 0, 1, 12, 0, 1, 5), data }) as PeerlabEvent;

  it('one line per event, by kind', () => {
    const names = new NameBook();
    names.add('B'.repeat(43), 'bob');
    expect(formatEvent(ev('peer-added', { peer: '127.0.0.1:5002', id: 'x', name: 'bob', via: 'join' }), plain, names)).toMatch(/^\d\d:\d\d:01\.005 alice peer-added bob 127\.0\.0\.1:5002 via join$/);
    expect(formatEvent(ev('txn-accepted', { txn: { from: 'A'.repeat(43), to: 'B'.repeat(43), amount: '2.00', seq: 1 } }), plain, names)).toMatch(/txn-accepted AAAAAAAA → bob 2\.00 #1$/);
    expect(formatEvent(ev('log', { level: 'note', message: 'hi' }), plain, names)).toMatch(/log \[note\] hi$/);
  });

  it('file events read like transaction events: name, size, who, short hash', () => {
    const names = new NameBook();
    names.add('B'.repeat(43), 'bob');
    names.add('C'.repeat(43), 'carol');
    names.addAddress('127.0.0.1:5002', 'bob');
    const sha = '3f2a9c1d' + '0'.repeat(56);
    const base = { transferId: 'a1b2c3d4-0000-0000-0000-000000000000', peer: '127.0.0.1:5002', peerId: 'B'.repeat(43), name: 'notes.pdf', size: 1536 * 1024, sha256: sha };
    const line = (type: string, data: Record<string, unknown>, node = 'alice'): string => formatEvent({ ...ev(type, data), node }, plain, names).replace(/^\S+ /, '');
    expect(line('file-offered', { ...base, direction: 'out' })).toBe('alice file-offered notes.pdf 1.5 MiB → bob sha256 3f2a9c1d');
    expect(line('file-offered', { ...base, peerId: 'C'.repeat(43), direction: 'in' }, 'bob')).toBe('bob file-offered notes.pdf 1.5 MiB ← carol sha256 3f2a9c1d');
    expect(line('file-sent', { ...base, ms: 42, retries: 0, resentBytes: 0 })).toBe('alice file-sent notes.pdf 1.5 MiB → bob sha256 3f2a9c1d in 42 ms');
    expect(line('file-sent', { ...base, ms: 900, retries: 2, resentBytes: 4096 })).toBe('alice file-sent notes.pdf 1.5 MiB → bob sha256 3f2a9c1d in 900 ms, 2 retries, 4.0 KiB sent again');
    expect(line('file-received', { ...base, peerId: 'C'.repeat(43), direction: 'in', file: 'received_file_3f2a9c1d.dat', path: '/x', ms: 50 }, 'bob')).toBe('bob file-received notes.pdf 1.5 MiB ← carol sha256 3f2a9c1d in 50 ms, stored as received_file_3f2a9c1d.dat');
    expect(line('file-failed', { ...base, direction: 'out', code: 'TIMEOUT', reason: 'no answer', attempts: 3 })).toBe('alice file-failed notes.pdf 1.5 MiB → bob sha256 3f2a9c1d TIMEOUT: no answer (3 attempts)');
    expect(line('file-retry', { ...base, attempt: 1, reason: 'connection reset', delayMs: 500 })).toBe('alice file-retry notes.pdf 1.5 MiB → bob sha256 3f2a9c1d attempt 1 failed (connection reset); again in 500 ms');
    const { sha256: _no, ...refused } = base;
    expect(line('file-refused', { ...refused, peerId: 'C'.repeat(43), reason: 'TOO_LARGE', limit: 1024, side: 'local' }, 'bob')).toBe('bob file-refused notes.pdf 1.5 MiB ← carol TOO_LARGE (limit 1.0 KiB)');
    expect(line('file-refused', { ...refused, peerId: undefined, reason: 'BUSY', side: 'remote', message: 'busy' })).toBe('alice file-refused notes.pdf 1.5 MiB → bob BUSY: busy');
  });

  it('faults-changed is one readable line, peers by name', () => {
    const names = new NameBook();
    names.addAddress('127.0.0.1:5002', 'bob');
    names.addAddress('127.0.0.1:5003', 'carol');
    const line = (faults: unknown): string => formatEvent(ev('faults-changed', { faults }), plain, names).replace(/^\S+ /, '');
    const none = { drop: 0, dropIn: 0, delay: 0, jitter: 0, duplicate: 0 };
    expect(line({ node: none, links: {}, partitioned: [] })).toBe('alice faults-changed no faults');
    expect(line({ node: { ...none, drop: 0.3, delay: 20, jitter: 80 }, links: { '127.0.0.1:5003': { dropIn: 0.1 } }, partitioned: ['127.0.0.1:5002', '127.0.0.1:5009'] })).toBe(
      'alice faults-changed drop 0.3, delay 20 ms ±80 ms; cut off from bob, 127.0.0.1:5009; to carol: dropIn 0.1',
    );
  });

  it('a progress bar; off a terminal only every quarter', () => {
    const line = progressLine('alice', { name: 'a.bin', peer: '127.0.0.1:5002', direction: 'out', bytes: 512 * 1024, total: 1024 * 1024, rate: 2 * 1024 * 1024 }, plain, 80);
    expect(line).toMatch(/^alice ⇡ a\.bin → 127\.0\.0\.1:5002 \[█+░+\]  50% 512 KiB\/1\.0 MiB 2\.0 MiB\/s$/);
    const f = new ProgressFilter(false);
    const p = (bytes: number): PeerlabEvent => ev('file-progress', { transferId: 't', bytes, total: 100, rate: 1 });
    expect([0, 10, 30, 40, 60, 99, 100].map((b) => f.wants(p(b)))).toEqual([true, false, true, false, true, true, true]);
  });

  it('text arriving while typing goes above the prompt, which is redrawn with the typed text', () => {
    const out = new PassThrough() as PassThrough & { columns: number };
    out.columns = 40;
    let written = '';
    out.on('data', (d: Buffer) => (written += d.toString()));
    const calls: boolean[] = [];
    const rl = { prevRows: 0, prompt: (keep?: boolean) => calls.push(keep === true) };
    const live = new LiveOutput(out, true);
    live.attach(rl);
    live.print('event one');
    expect(calls).toEqual([true]); // prompt(true): the line and cursor are kept
    expect(written).toContain('\u001b[0J'); // the prompt's rows cleared before printing
    expect(written).toContain('event one\n');
    written = '';
    live.print('progress 10%', 'k');
    live.print('progress 20%', 'k');
    expect(written).toMatch(/\u001b\[1A/); // the second replaced the first
    live.busy = true;
    live.print('while busy');
    expect(calls).toHaveLength(3); // no prompt while a command runs
  });

  it('progress lines of several transfers redraw in place together, until something else is printed', () => {
    const out = new PassThrough() as PassThrough & { columns: number };
    out.columns = 40;
    let written = '';
    out.on('data', (d: Buffer) => (written += d.toString()));
    const live = new LiveOutput(out, true);
    live.attach({ prevRows: 0, prompt: () => undefined });
    live.print('alice 10%', 'a');
    live.print('bob 5%', 'b');
    written = '';
    live.print('alice 60%', 'a');
    // Both lines are redrawn: up two rows, cleared, alice's new line, then bob's.
    expect(written).toMatch(/\u001b\[2A[\s\S]*\u001b\[0Jalice 60%\nbob 5%\n/);
    written = '';
    live.print('bob 100%', 'b');
    expect(written).toMatch(/\u001b\[2A[\s\S]*alice 60%\nbob 100%\n/);
    live.print('an event');
    written = '';
    live.print('carol 1%', 'c');
    expect(written).not.toMatch(/\u001b\[\d+A/); // the block ended with the event: a new line
  });
});

describe('help', () => {
  it('lists every function of DESIGN.md §2.2 with an example, and every dot-command', () => {
    const api = [
      'peers', 'addPeer', 'removePeer', 'leave', 'discover', 'join', 'send', 'sendCustom', 'sync', 'transactions', 'formatTransactions',
      'transaction', 'exportCsv', 'sendFile', 'sendWithFile', 'ping', 'requestBalance', 'details', 'robot.start', 'robot.stop',
      'clearAndRebuild', 'log', 'logs', 'clearLogs', 'faults.set', 'faults.partition', 'faults.heal', 'faults.reset',
      'heartbeat.interval', 'heartbeat.timeout', 'heartbeat.set', 'help', 'pending', 'forks', 'stats',
    ];
    for (const name of api) {
      const h = HELP.find((x) => x.name === name);
      expect(h, name).toBeDefined();
      expect(h!.example.length, name).toBeGreaterThan(3);
    }
    for (const cmd of ['.peers', '.txns', '.send', '.details', '.robot', '.sync', '.export', '.clearlogs', '.record', '.exit']) expect(HELP.some((x) => x.name === cmd), cmd).toBe(true);
    const text = helpOverview({ paint: plain, width: 200, available: (n) => n !== 'inbox' });
    expect(text).toContain('node.inbox()');
    expect(text).toMatch(/not in this build yet/);
  });

  it('finds one function by identity path, own name or text', () => {
    const nameOf = (): undefined => undefined;
    expect(findHelp('node.send', nameOf).map((h) => h.name)).toEqual(['send']);
    expect(findHelp('set', nameOf).map((h) => h.name)).toEqual(['faults.set', 'heartbeat.set']);
    expect(findHelp('.send', nameOf).map((h) => h.name)).toEqual(['.send']);
    expect(findHelp(function sync() {}, nameOf).map((h) => h.name)).toEqual(['sync']);
    // A function known by its path is looked up exactly: node.start is not robot.start.
    expect(findHelp(function start() {}, () => 'start')).toEqual([]);
    expect(helpFor('nothing-like-it', { paint: plain, width: 80 }, nameOf).text).toMatch(/no help for "nothing-like-it"/);
  });
});
