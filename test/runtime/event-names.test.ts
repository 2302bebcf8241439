/**
 * Every event the lessons name exists (issue 13 item 6): each event name that README.md,
 * playbooks/REFERENCE.md, the shipped playbooks and DESIGN.md §2.4 mention is an event of the
 * closed map (src/runtime/events.ts), the runtime emits it somewhere, and a run provokes it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/runtime/address.ts';
import { EVENT_TYPES } from '../../src/runtime/events.ts';
import { Identity } from '../../src/runtime/identity.ts';
import { canonicalBytes, signed, type TransactionBody } from '../../src/runtime/ledger/transaction.ts';
import { Node } from '../../src/runtime/node.ts';
import { AppendLog } from '../../src/runtime/store/append-log.ts';
import { knownTypes } from '../../src/runtime/wire/messages.ts';
import { toWire } from '../../src/runtime/wire/ledger.ts';
import { stopAll, until } from '../helpers.ts';
import { MemoryWorld } from './memory-world.ts';

/**
 * DESIGN.md §2.4's list, copied here: the design file lives outside this repository. It ends in
 * "..."; the README and the playbooks add the rest.
 */
const DESIGN_EVENTS = [
  'peer-added', 'peer-removed', 'peer-suspected', 'heartbeat-timeout', 'txn-accepted', 'txn-pending', 'txn-rejected', 'txn-voided',
  'fork-detected', 'sync-complete', 'file-offered', 'file-progress', 'file-received', 'message-dropped', 'message-rejected',
];

/** Words the documents use that look like event names and are not: message types are taken from the wire; these are prose. */
const NOT_EVENTS = new Set(['peer-to-peer', 'peer-list', 'node-wide', 'file-stream', 'file-transfer']);

const EVENTS = new Set<string>(EVENT_TYPES);
/** An event name starts with one of these (`peer-`, `txn-`, ...): other hyphenated words are not candidates. */
const FAMILIES = new Set(EVENT_TYPES.filter((t) => t.includes('-')).map((t) => t.split('-')[0]!));

interface Mention {
  name: string;
  where: string;
}

function mentions(file: string): Mention[] {
  const out: Mention[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    // Hyphenated words, not part of a path, a flag, a file name or a call.
    for (const m of line.matchAll(/(?<![-\w./:@$])([a-z]+(?:-[a-z]+)+)(?![-\w]|\.[a-z]|\()/g)) {
      if (FAMILIES.has(m[1]!.split('-')[0]!)) out.push({ name: m[1]!, where: `${file}:${i + 1}` });
    }
  });
  return out;
}

const DOCS = ['README.md', 'playbooks/REFERENCE.md', ...readdirSync('playbooks').filter((f) => f.endsWith('.yaml')).map((f) => join('playbooks', f))];
const MENTIONED = DOCS.flatMap(mentions);
const MESSAGE_TYPES = new Set(knownTypes());
const DOCUMENTED = [...new Set([...DESIGN_EVENTS, ...MENTIONED.map((m) => m.name).filter((n) => EVENTS.has(n))])].sort();

describe('event names in the documents', () => {
  it('finds the names the lessons use', () => {
    // The partition exercise says to watch sync-complete, the double-spend one fork-detected.
    expect(MENTIONED.filter((m) => m.where.startsWith('playbooks/partition-heal')).map((m) => m.name)).toContain('sync-complete');
    expect(MENTIONED.filter((m) => m.where.startsWith('playbooks/double-spend')).map((m) => m.name)).toContain('fork-detected');
  });

  it('each is an event of the closed map, a message type or a known word', () => {
    const unknown = MENTIONED.filter((m) => !EVENTS.has(m.name) && !MESSAGE_TYPES.has(m.name) && !NOT_EVENTS.has(m.name));
    expect(unknown.map((m) => `${m.where}: ${m.name} is no event the node can emit`)).toEqual([]);
    expect(DESIGN_EVENTS.filter((n) => !EVENTS.has(n))).toEqual([]);
  });

  it('each documented event is emitted somewhere in the runtime', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const text = sources('src/runtime').filter((f) => !f.endsWith('events.ts')).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(DOCUMENTED.filter((n) => !new RegExp(`emit\\(\\s*'${n}'`).test(text))).toEqual([]);
  });
});

// ---- a run that provokes every documented event ----------------------------------------------

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

describe('a run provokes every documented event', () => {
  it(`emits ${DOCUMENTED.length} of them`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-events-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const w = new MemoryWorld();
    const hb = { interval: 100, timeout: 800 };
    const [m, a, b, c] = (await w.startNodes(4, { heartbeat: hb }, 'mabc')) as [Node, Node, Node, Node];
    const x = new Node({ name: 'x', dataDir: join(dir, 'x'), seed: 9, heartbeat: hb, ...w.transports() });
    const nodes = [m, a, b, c, x];
    cleanup.push(() => stopAll(nodes));
    const seen = new Set<string>();
    for (const n of nodes) n.on('*', (e) => seen.add(e.type));

    // x's own log holds a payment it never signed (a forger edited it): peers reject it (txn-rejected).
    await x.start();
    await x.stop();
    const body: TransactionBody = { from: x.id, to: a.id, amount: '1.00', seq: 1, prev: null, claims: [], lamport: 1, time: 1 };
    const bytes = canonicalBytes(body);
    const log = new AppendLog(join(dir, 'x', 'ledger.log'));
    await log.open();
    await log.append(toWire(signed(body, bytes, Identity.generate().sign(bytes).toString('base64url'))));
    await log.close();
    // ... and ends in a torn write, as a kill during a write leaves it: dropped at start (log-recovered).
    await appendFile(join(dir, 'x', 'ledger.log'), '{"torn');
    await x.restart();

    // peer-added, and sync-complete for each join.
    for (const n of [a, b, c]) await n.join(m.address);
    await until(() => [m, a, b, c].every((n) => n.peers().length === 3), 'a full mesh');
    // txn-accepted; txn-pending (c hears seq 2 before seq 1) and message-dropped (c deafened to b and m).
    c.faults.set({ peer: 'b', dropIn: 1 });
    c.faults.set({ peer: 'm', dropIn: 1 });
    a.faults.set({ peer: 'c', delay: '300ms' });
    await a.send('b', 5);
    a.faults.set({ peer: 'c', delay: '0ms' });
    await a.send('b', 6);
    await until(() => c.transactions().length === 2, 'c has both of a\'s payments', 5000);
    c.faults.reset();
    a.faults.reset();
    // fork-detected and txn-voided.
    await m.misbehave.doubleSpend(['a', 'b'], 100);
    // sync-complete: b misses a payment while cut off (c's push, and any forward of a's or m's), and a sync brings it.
    const txnDrops = (): number => b.logs('message-dropped').filter((e) => (e.data as { msgType: string }).msgType === 'txn').length;
    const drops0 = txnDrops();
    b.faults.partition(['m', 'a', 'c']);
    const paid = (await c.send('a', 1)).id;
    const has = (n: Node): boolean => n.logs('txn-accepted').some((e) => (e.data as { id: string }).id === paid);
    // a and m forward (if at all) as soon as they have stored it; memory delivery is a microtask, so by the next poll every copy meant for b is dropped.
    await until(() => has(a) && has(m) && txnDrops() >= drops0 + 1, 'the payment (and any forward) to b is dropped');
    b.faults.heal();
    await b.sync();
    // file-offered, file-progress, file-received.
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'notes\n'.repeat(1000));
    await a.sendFile('b', file);
    // message-rejected: a datagram that is not a message.
    const stranger = w.datagrams.transport('127.0.0.1', 9);
    await stranger.start();
    stranger.send(parseAddress(a.address), Buffer.from('not json'));
    // txn-rejected: a pulls x's forged payment.
    await a.join(x.address);
    // peer-suspected, heartbeat-timeout, peer-removed: c crashes.
    await c.crash();
    await until(() => DOCUMENTED.every((n) => seen.has(n)), `every documented event (missing: ${DOCUMENTED.filter((n) => !seen.has(n)).join(', ')})`, 10_000).catch(() => undefined);
    expect(DOCUMENTED.filter((n) => !seen.has(n))).toEqual([]);
  }, 30_000);
});
