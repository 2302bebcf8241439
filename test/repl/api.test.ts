/**
 * Every row of DESIGN.md §2.2, typed into a REPL (streams, terminal: false) against three real
 * nodes on 127.0.0.1, with what it prints.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../src/runtime/node.ts';
import { Harness, startNamed } from './harness.ts';

let nodes: Node[];
let alice: Node;
let bob: Node;
let carol: Node;
let h: Harness;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-repl-api-'));
  nodes = await startNamed(['alice', 'bob', 'carol']);
  [alice, bob, carol] = nodes as [Node, Node, Node];
  h = await Harness.start(nodes);
});

afterAll(async () => {
  await h?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await rm(dir, { recursive: true, force: true });
});

const noStack = (s: string): void => expect(s).not.toMatch(/^\s+at /m);

describe('the node API from the REPL', () => {
  it('join / peers / discover: the network forms, peers show as a table', async () => {
    expect(await h.run('node.peers()')).toMatch(/no peers yet/);
    const joined = await h.run(`await node.join('${bob.advertised}')`);
    expect(joined).toMatch(/name\s+address\s+id\s+state/);
    expect(joined).toContain('bob');
    // Without `await`: the promise is awaited for you before the next line runs.
    await h.run(`nodes.carol.join('${alice.advertised}')`);
    expect(await h.run('node.peers().length')).toBe('2\n');
    expect(await h.run('await node.discover()')).not.toMatch(/✖/);
    await h.run('await nodes.bob.discover()');
    const table = await h.run('nodes.bob.peers()');
    expect(table).toMatch(/alice\s+127\.0\.0\.1:\d+\s+\S+\s+alive/);
  });

  it('peer(ref) is one peer by name, address or id prefix; an unknown reference lists the peers', async () => {
    expect(await h.run("node.peer('bob')")).toMatch(/name\s+address\s+id\s+state[\s\S]*bob\s+127\.0\.0\.1:\d+\s+\S+\s+alive/);
    expect(await h.run(`[node.peer('${bob.advertised}').name, node.peer('${bob.id.slice(0, 8)}').name]`)).toBe("[ 'bob', 'bob' ]\n");
    const err = await h.fail("node.peer('dave')");
    expect(err).toMatch(/no peer "dave" \(peers: (bob, carol|carol, bob)\) \(UNKNOWN_PEER\)/);
    noStack(err);
    expect(await h.run('help(node.peer)')).toMatch(/^node\.peer\(ref\)\n {2}The peer a reference names/);
  });

  it('removePeer bans until addPeer', async () => {
    expect(await h.run("node.removePeer('carol')")).toMatch(/removed 127\.0\.0\.1:\d+ \(banned until node\.addPeer/);
    expect(await h.run('node.peers().map(p => p.name)')).not.toContain('carol');
    expect(await h.run(`await node.addPeer('${carol.advertised}')`)).toContain('carol');
    expect(await h.run('node.peers().map(p => p.name).sort()')).toContain("'carol'");
  });

  it('send / sendCustom / transactions / transaction(i) / formatTransactions / sync', async () => {
    expect(await h.run("await node.send('bob', 25.50)")).toMatch(/sent 25\.50 alice → bob/);
    expect(await h.run("await nodes.bob.sendCustom('carol', 10, { Name: 'Connor', Memo: 'books' })")).toMatch(/sent 10\.00 bob → carol/);
    expect(await h.run("await nodes.carol.sync()")).toMatch(/learned \d+ transactions? from/);
    expect(await h.run('.sync bob')).toMatch(/learned \d+ transactions? from bob/);
    await h.run('await node.sync()');
    const txns = await h.run('node.transactions()');
    expect(txns).toMatch(/#\s+id\s+from\s+to\s+amount\s+lamport/);
    expect(txns).toMatch(/0\s+\w{8}\s+alice\s+bob\s+25\.50/);
    expect(txns).toMatch(/1\s+\w{8}\s+bob\s+carol\s+10\.00 .*Name=Connor/);
    const one = await h.run('node.transaction(1)');
    expect(one).toMatch(/index\s+1/);
    expect(one).toMatch(/fields\s+Memo=books Name=Connor|fields\s+Name=Connor Memo=books/);
    expect(await h.run('node.formatTransactions()')).toMatch(/^#0 L\d+ alice -> bob 25\.50$/m);
    expect(await h.run('.txns 1')).toMatch(/bob\s+carol\s+10\.00/);
    expect(await h.run('.send carol 2.25 Memo=lunch')).toMatch(/sent 2\.25 alice → carol/);
  });

  it('balances, requestBalance, pending, forks, stats, details', async () => {
    expect(await h.run('node.balances()')).toMatch(/alice\s+972\.25/);
    await h.run("await nodes.bob.sync()");
    expect(await h.run("await node.requestBalance('bob')")).toMatch(/bob shows 1015\.50/);
    expect(await h.run('node.pending()')).toMatch(/nothing pending/);
    expect(await h.run('node.forks()')).toMatch(/no forks/);
    expect(await h.run('node.stats()')).toMatch(/messages\s+in \d+/);
    const d = await h.run('node.details()');
    expect(d).toMatch(/^alice\s+127\.0\.0\.1:\d+/);
    expect(d).toMatch(/peers \(2\)/);
    expect(d).toMatch(/balances/);
    expect(d).toMatch(/balance\s+972\.25/);
    expect(await h.run('.details')).toMatch(/peers \(2\)/);
    expect(await h.run('.peers')).toMatch(/bob/);
  });

  it('ping is a round-trip time in ms', async () => {
    expect(await h.run("await node.ping('bob')")).toMatch(/^\d+(\.\d+)? ms\n$/);
  });

  it('exportCsv / .export write the ledger', async () => {
    const file = join(dir, 'ledger.csv');
    expect(await h.run(`await node.exportCsv(${JSON.stringify(file)})`)).toMatch(/exported 3 rows to/);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toMatch(/^index,id,sender,receiver,amount,lamport,timestamp/);
    const second = join(dir, 'second.csv');
    expect(await h.run(`.export ${second}`)).toMatch(/exported/);
    expect(existsSync(second)).toBe(true);
  });

  it('sendFile / sendWithFile / inbox, with a progress bar from file-progress events', async () => {
    const file = join(dir, 'notes.bin');
    await writeFile(file, Buffer.alloc(300_000, 7));
    h.session.showEvents = true;
    const out = await h.run(`await node.sendFile('bob', ${JSON.stringify(file)})`);
    h.session.showEvents = false;
    expect(out).toMatch(/file delivered notes\.bin 293 KiB to bob/);
    expect(out).toMatch(/alice ⇡ notes\.bin → bob \[[█░]+\] 100%/);
    expect(out).toMatch(/bob ⇣ notes\.bin ← /);
    expect(await h.run('await nodes.bob.inbox()')).toMatch(/notes\.bin\s+alice\s+293 KiB/);
    const paid = await h.run(`await node.sendWithFile('carol', 1, ${JSON.stringify(file)}, { Memo: 'invoice' })`);
    expect(paid).toMatch(/sent 1\.00 alice → carol/);
    expect(paid).toMatch(/file delivered/);
  });

  it('faults: set, partition, heal, reset, get', async () => {
    expect(await h.run("node.faults.set({ drop: 0.5, delay: '5ms' })")).toMatch(/faults: drop 0\.5, delay 5/);
    expect(await h.run(`node.faults.partition(['${carol.advertised}'])`)).toMatch(/partitioned from 127\.0\.0\.1:\d+/);
    expect(await h.run('node.faults.heal()')).not.toMatch(/partitioned/);
    expect(await h.run('node.faults.reset()')).toMatch(/faults: none/);
    expect(await h.run('node.faults.get()')).toMatch(/faults: none/);
  });

  it('heartbeat: readable and settable', async () => {
    expect(await h.run('node.heartbeat.interval')).toBe('100\n');
    await h.run("node.heartbeat.interval = '120ms'");
    expect(alice.heartbeat.interval).toBe(120);
    expect(await h.run("node.heartbeat.set({ timeout: '3s' })")).toMatch(/heartbeat: interval 120 ms, timeout 3000 ms/);
  });

  it('robot: start and stop (from code and as .robot)', async () => {
    expect(await h.run("node.robot.start({ every: '20ms', maxAmount: 1, seed: 4, actions: ['send', 'ping'] })")).toMatch(/robot running, every 20 ms/);
    expect(await h.run('node.robot.stop()')).toMatch(/robot stopped/);
    expect(await h.run('.robot start 20ms 1 seed=5 for=100ms')).toMatch(/robot running/);
    expect(await h.run('await node.robot.done()')).toMatch(/robot stopped, every 20 ms, max 1, seed 5/);
    expect(await h.run('.robot stop')).toMatch(/robot stopped/);
  });

  it('log / logs / clearLogs / .clearlogs', async () => {
    expect(await h.run("node.log('note', 'hello from the REPL')")).toMatch(/alice log \[note\] hello from the REPL/);
    expect(await h.run("node.logs('log')")).toMatch(/\[note\] hello from the REPL/);
    expect(await h.run('node.clearLogs()')).toMatch(/cleared \d+ log entr/);
    expect(await h.run("node.logs('log')")).toMatch(/the log is empty/);
    await h.run("node.log('note', 'again')");
    expect(await h.run('.clearlogs')).toMatch(/cleared 1 log entry/);
  });

  it('clearAndRebuild restores the ledger from peers', async () => {
    await h.run('await nodes.bob.sync()');
    const before = bob.transactions().length;
    expect(await h.run('await nodes.bob.clearAndRebuild()')).toMatch(/cleared/);
    expect(bob.transactions().length).toBe(before);
  });

  it('leave tells the peers and stops the node; .use switches node', async () => {
    expect(await h.run('.use carol')).toMatch(/node is now carol/);
    expect(await h.run('node.name')).toBe("'carol'\n");
    expect(await h.run('await node.leave()')).toMatch(/left: told 2 peers, node stopped/);
    expect(carol.running).toBe(false);
    const err = await h.fail('node.peers()');
    expect(err).toMatch(/✖ node carol has stopped \(NOT_RUNNING\)/);
    await h.run('.use alice');
  });

  it('help(), help(node.send), help("faults.set"), .help', async () => {
    const all = await h.run('help()');
    for (const group of ['Peers', 'Ledger', 'Files', 'Faults', 'Heartbeat', 'Robot', 'Details, logs and events', 'REPL commands']) expect(all).toContain(group);
    for (const sig of ['node.send(to, amount)', 'node.sendWithFile(to, amount, path, fields?)', 'node.robot.start({ every, maxAmount, actions, seed })', '.record <file> | .record stop']) expect(all).toContain(sig);
    const one = await h.run('help(node.send)');
    expect(one).toMatch(/^node\.send\(to, amount\)/);
    expect(one).toMatch(/example: await node\.send\('bob', 25\.50\)/);
    expect(await h.run('help(node.faults.set)')).toMatch(/^node\.faults\.set\(/);
    expect(await h.run("help('requestBalance')")).toMatch(/^node\.requestBalance\(addr\)/);
    expect(await h.run('help(nodes.bob.sync)')).toMatch(/^node\.sync\(peer\?\)/);
    expect(await h.run('.help')).toContain('.txns [n]');
  });

  it('a failing line is one clear line, never a stack trace', async () => {
    for (const [line, want] of [
      ["await node.send('bob', 'abc')", /✖ amount must be .* \(BAD_AMOUNT\)/],
      ["node.send('bob', 1e9)", /✖ .*\(INSUFFICIENT_FUNDS\)/],
      ["await node.send('nobody', 1)", /✖ no peer "nobody".*\(UNKNOWN_PEER\)/],
      ['node.nope()', /✖ TypeError: node\.nope is not a function/],
      ['undefinedThing', /✖ ReferenceError: undefinedThing is not defined/],
      ["throw new Error('plain')", /✖ plain/],
      ['1 +* 2', /✖ SyntaxError: /],
      ['.send bob', /✖ usage: \.send <to> <amount>/],
    ] as const) {
      const out = await h.fail(line);
      expect(out, line).toMatch(want);
      expect(out.trim().split('\n'), line).toHaveLength(1);
      noStack(out);
    }
  });
});
