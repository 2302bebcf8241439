/** The REPL around the API: scripts, events, completion, recording, the writer. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import type { Node } from '../../src/runtime/node.ts';
import { until } from '../helpers.ts';
import { Harness, startNamed } from './harness.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function setup(names: string[], opts: Parameters<typeof Harness.start>[1] = {}): Promise<{ nodes: Node[]; h: Harness }> {
  const nodes = await startNamed(names);
  cleanup.push(() => Promise.all(nodes.map((n) => n.stop())));
  const h = await Harness.start(nodes, opts);
  cleanup.push(() => h.close());
  return { nodes, h };
}

describe('script mode', () => {
  it('runs each line after the previous one has settled, awaits and plain promises alike', async () => {
    const { nodes, h } = await setup(['alice', 'bob'], { script: true });
    const [, bob] = nodes as [Node, Node];
    // A promise without await is still settled before the next line.
    await h.session.feed(`node.join('${bob.advertised}')`);
    await h.session.feed('count = node.peers().length');
    await h.session.feed('await new Promise((r) => setImmediate(r)); order = [count]');
    await h.session.feed('order.push(2); order');
    expect(h.out).toContain('[ 1, 2 ]');
    expect(h.session.failures).toBe(0);
  });

  it('a failing line prints one line with its number to stderr and is counted; the rest still run', async () => {
    const { h } = await setup(['alice'], { script: true });
    await h.session.feed('x = 1');
    await h.session.feed("await node.send('nobody', 'abc')");
    await h.session.feed('.nosuch');
    await h.session.feed('x + 1');
    expect(h.out).toContain('2\n');
    const lines = h.err.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^✖ line 2: /);
    expect(lines[1]).toMatch(/^✖ line 3: unknown command \.nosuch/);
    expect(h.session.failures).toBe(2);
  });

  it('multi-line input is buffered until complete; an unfinished one at the end of input fails', async () => {
    const { h } = await setup(['alice'], { script: true });
    await h.session.feed('f = (a) => {');
    await h.session.feed('  return a * 2');
    await h.session.feed('}');
    await h.session.feed('f(21)');
    expect(h.out).toContain('42');
    const { Readable } = await import('node:stream');
    await h.session.feedStream(Readable.from(['g = {\n']));
    expect(h.err).toMatch(/unfinished expression/);
    expect(h.session.failures).toBe(1);
  });
});

describe('events', () => {
  it('are printed with the node and kind; pings and drops stay silent; .events off hides them', async () => {
    const { nodes, h } = await setup(['alice', 'bob'], { showEvents: true });
    const [alice, bob] = nodes as [Node, Node];
    const added = alice.events.waitFor('peer-added', () => true, 5000);
    await h.run(`await node.join('${bob.advertised}')`);
    await added;
    expect(h.out).toMatch(/\d\d:\d\d:\d\d\.\d{3} alice peer-added bob 127\.0\.0\.1:\d+ via \w+/);
    const before = h.out.length;
    await h.run("await node.ping('bob')");
    await h.run("node.faults.set({ drop: 1 }); node.faults.reset()");
    const after = h.out.slice(before);
    expect(after).not.toMatch(/ ping|message-dropped/);
    await h.run('.events off');
    const quiet = h.out.length;
    const sent = bob.events.waitFor('txn-accepted', () => true, 5000);
    await h.run("await node.send('bob', 1)");
    await sent;
    expect(h.out.slice(quiet)).not.toMatch(/txn-accepted/);
  });
});

describe('completion', () => {
  it('completes the node API, namespaces, local node names and peer names in string arguments', async () => {
    const { nodes, h } = await setup(['alice', 'bob', 'carol']);
    const [, bob] = nodes as [Node, Node];
    await h.run(`await node.join('${bob.advertised}')`);
    const [sends, on] = await h.complete('node.se');
    expect(on).toBe('node.se');
    expect(sends).toEqual(['node.send', 'node.sendCustom', 'node.sendFile', 'node.sendWithFile']);
    expect((await h.complete('node.faults.'))[0]).toEqual(['node.faults.get', 'node.faults.heal', 'node.faults.partition', 'node.faults.reset', 'node.faults.set']);
    expect((await h.complete('node.'))[0]).not.toContain('node.membership');
    expect((await h.complete('nodes.'))[0]).toEqual(['nodes.alice', 'nodes.bob', 'nodes.carol']);
    expect(await h.complete("node.send('b")).toEqual([['bob'], 'b']);
    expect((await h.complete("node.ping('127."))[0]).toEqual([bob.advertised]);
    expect(await h.complete('.send c')).toEqual([['carol'], 'c']);
    expect(await h.complete('.use b')).toEqual([['bob'], 'b']);
    expect((await h.complete('.pe'))[0]).toContain('peers');
    expect((await h.complete('Math.ma'))[0]).toContain('Math.max');
  });
});

describe('recording', () => {
  it('--record writes the actions of a session as a playbook that loads without errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-rec-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'session.yaml');
    const nodes = await startNamed(['alice', 'bob', 'carol']);
    cleanup.push(() => Promise.all(nodes.map((n) => n.stop())));
    const [alice, bob, carol] = nodes as [Node, Node, Node];
    await bob.join(alice.advertised);
    await carol.join(alice.advertised);
    const h = await Harness.start(nodes, {
      recordFile: file,
      setupJoins: [['bob', 'alice'], ['carol', 'alice']],
      recorderSettings: { heartbeat: { interval: 100, timeout: 1000 }, initialBalance: '1000.00', seed: 7 },
    });
    await h.run("await node.send('bob', 25.50)");
    await h.run('node.peers()'); // a read: not recorded
    await h.run("await nodes.bob.sendCustom('carol', 3, { Name: 'Connor' })");
    await h.run("await node.send('bob', 'oops')"); // failed: a comment
    await h.run('await nodes.carol.sync()');
    await h.run(`node.faults.set({ drop: 0.2, peer: '${carol.advertised}' })`);
    await h.run('node.faults.reset()');
    await h.run(".robot start 20ms 2 seed=3");
    await h.run('.robot stop');
    await h.run(`await node.exportCsv(${JSON.stringify(join(dir, 'out.csv'))})`);
    await h.run("node.log('note', 'done')");
    await h.close();
    const text = readFileSync(file, 'utf8');
    const { playbook, errors } = loadPlaybook(text, file);
    expect(errors).toEqual([]);
    expect(playbook!.nodes.map((n) => n.name)).toEqual(['alice', 'bob', 'carol']);
    const kinds = playbook!.steps.map((s) => s.action.kind).filter((k) => k !== 'wait');
    expect(kinds).toEqual(['join', 'join', 'waitFor', 'send', 'sendCustom', 'sync', 'faults', 'faults', 'heal', 'robot', 'export', 'say']);
    expect(text).toContain("# alice: node.send('bob', 'oops') failed in the session");
    expect(text).toMatch(/- faults: \{ node: alice, drop: 0\.2, peer: carol \}/);
    expect(text).toMatch(/- robot: \{ nodes: \[alice\], every: "20ms", for: "\d+ms", maxAmount: "2", background: true, seed: 3 \}/);
    expect(text).toContain('- export: { node: alice, path: out.csv }');
  });

  it('.record FILE / .record stop, with a peer outside the session made a playbook node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-rec-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'solo.yaml');
    const nodes = await startNamed(['solo', 'outside']);
    cleanup.push(() => Promise.all(nodes.map((n) => n.stop())));
    const [solo, outside] = nodes as [Node, Node];
    const h = await Harness.start([solo]);
    cleanup.push(() => h.close());
    expect(await h.run(`.record ${file}`)).toMatch(/recording node actions to/);
    await h.run(`await node.join('${outside.advertised}')`);
    await h.run("await node.send('outside', 5)");
    await h.run("await node.ping('outside')");
    expect(await h.run('.record stop')).toMatch(/recorded 3 actions to .*solo\.yaml/);
    await h.run("await node.send('outside', 1)"); // after stop: not recorded
    const text = readFileSync(file, 'utf8');
    const { playbook, errors } = loadPlaybook(text, file);
    expect(errors).toEqual([]);
    expect(playbook!.nodes.map((n) => n.name)).toEqual(['solo', 'outside']);
    expect(playbook!.steps.map((s) => s.action)).toEqual([
      { kind: 'join', node: 'solo', peer: { node: 'outside' } },
      { kind: 'send', from: 'solo', to: 'outside', amount: 500n },
      { kind: 'ping', from: 'solo', to: 'outside' },
    ]);
    expect(text).toMatch(/# outside \(127\.0\.0\.1:\d+\) was not part of the session/);
  });
});

describe('the writer', () => {
  it('shows `node` and `nodes` as summaries rather than internals', async () => {
    const { h } = await setup(['alice', 'bob']);
    expect(await h.run('node')).toMatch(/^alice 127\.0\.0\.1:\d+ id \S+: running, 0 peers\. help\(\) lists what it can do\.\n$/);
    const table = await h.run('nodes');
    expect(table).toMatch(/node\s+address\s+id\s+data\s+control socket/);
    expect(table).toMatch(/alice \*\s+127\.0\.0\.1/);
    expect(await h.run('.nodes')).toMatch(/bob\s+127\.0\.0\.1/);
  });
});

describe('attached (a remote node over the control socket)', () => {
  it('the same REPL drives a node through its socket: tables, sends, events, help', async () => {
    const { startControlServer, ControlClient } = await import('../../src/runtime/control/index.ts');
    const { remoteNode } = await import('../../src/repl/remote-node.ts');
    const nodes = await startNamed(['alice', 'bob']);
    cleanup.push(() => Promise.all(nodes.map((n) => n.stop())));
    const [alice, bob] = nodes as [Node, Node];
    const server = await startControlServer(alice);
    cleanup.push(() => server.stop());
    const client = await ControlClient.connect(server.path);
    cleanup.push(() => client.close());
    const d = await client.describe();
    const h = await Harness.start([{ name: d.name, target: remoteNode(client, d), local: false, id: d.id, addresses: [d.address], controlSocket: d.controlSocket }], { showEvents: true });
    cleanup.push(() => h.close());
    expect(await h.run('node')).toMatch(/^alice 127\.0\.0\.1:\d+ id \S+: attached over .*control\.sock/);
    const added = bob.events.waitFor('peer-added', () => true, 5000);
    expect(await h.run(`node.join('${bob.advertised}')`)).toMatch(/bob\s+127\.0\.0\.1:\d+/);
    await added;
    expect(await h.run('node.peers()')).toMatch(/name\s+address[\s\S]*bob\s+127\.0\.0\.1:\d+\s+\S+\s+alive/);
    expect(await h.run("node.send('bob', 2)")).toMatch(/sent 2\.00 alice → bob/);
    expect(await h.run('node.heartbeat.get()')).toMatch(/heartbeat: interval 100 ms, timeout 1000 ms/);
    expect(await h.run('help(node.send)')).toMatch(/^node\.send\(to, amount\)/);
    expect((await h.complete('node.faults.'))[0]).toContain('node.faults.set');
    const err = await h.fail("node.send('bob', 'x')");
    expect(err).toMatch(/✖ amount must be .*\(BAD_AMOUNT\)/);
    // Events stream over the socket and are printed like local ones.
    await until(() => /alice txn-accepted alice → bob 2\.00/.test(h.out), 'the txn event over the socket', 5000);
    expect(alice.running).toBe(true);
  });
});
