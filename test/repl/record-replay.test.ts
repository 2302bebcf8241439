/**
 * A recording replays what happened (issue 13 item 2): for every node action a REPL recording can
 * hold, a session against real local nodes (127.0.0.1, real UDP/TCP) is recorded, the recording is
 * played by the real loader, planner and runner on fresh nodes, and the effect of the action —
 * peers, bans, ledgers, balances, files, faults and cuts, by node name — is read back from both
 * worlds and compared.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessCluster } from '../../src/playbooks/cluster.ts';
import { formatErrors } from '../../src/playbooks/errors.ts';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { Runner, type RunEvent, type RunResult } from '../../src/playbooks/runner.ts';
import { meshLocalNodes } from '../../src/repl/local-nodes.ts';
import type { Node } from '../../src/runtime/node.ts';
import { Harness, startNamed } from './harness.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-record-replay-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The nodes of one world (the recorded session, or the replay), driven by name. */
interface World {
  readonly names: string[];
  call<T = unknown>(node: string, method: string, ...args: unknown[]): Promise<T>;
  address(node: string): string;
  running(node: string): boolean;
}

function invoke(target: object, method: string, args: unknown[]): unknown {
  const parts = method.split('.');
  let obj: unknown = target;
  for (const p of parts.slice(0, -1)) obj = (obj as Record<string, unknown>)[p];
  return ((obj as Record<string, unknown>)[parts.at(-1)!] as (...a: unknown[]) => unknown).apply(obj, args);
}

function sessionWorld(nodes: Node[]): World {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return {
    names: nodes.map((n) => n.name),
    call: async <T,>(node: string, method: string, ...args: unknown[]) => (await invoke(byName.get(node)!, method, args)) as T,
    address: (node) => byName.get(node)!.advertised,
    running: (node) => byName.get(node)!.running,
  };
}

function clusterWorld(cluster: InProcessCluster): World {
  return {
    names: cluster.all().map((h) => h.name),
    call: (node, method, ...args) => cluster.get(node).call(method, ...args),
    address: (node) => cluster.get(node).address,
    running: (node) => cluster.get(node).running,
  };
}

/** Waits (bounded, re-checking every 25 ms) until `cond` holds in a world. */
async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---- effects, by node name --------------------------------------------------------------------

const running = (w: World): string[] => w.names.filter((n) => w.running(n));

async function peers(w: World): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const n of running(w)) out[n] = (await w.call<Array<{ name: string }>>(n, 'peers')).map((p) => p.name).sort();
  return out;
}

async function ledgers(w: World): Promise<Record<string, { txns: string[]; balances: Record<string, string> }>> {
  const out: Record<string, { txns: string[]; balances: Record<string, string> }> = {};
  for (const n of running(w)) {
    const txns = await w.call<Array<{ from: string; to: string; amount: string; status: string; fields?: unknown; file?: { name: string } }>>(n, 'transactions');
    const balances = await w.call<Array<{ name: string; balance: string }>>(n, 'balances');
    out[n] = {
      txns: txns.map((t) => `${t.from} → ${t.to} ${t.amount} ${t.status}${t.fields ? ` ${JSON.stringify(t.fields)}` : ''}${t.file ? ` file ${t.file.name}` : ''}`).sort(),
      balances: Object.fromEntries(balances.map((b) => [b.name, b.balance])),
    };
  }
  return out;
}

async function faults(w: World): Promise<Record<string, unknown>> {
  const name = new Map(w.names.map((n) => [w.address(n), n]));
  const out: Record<string, unknown> = {};
  for (const n of running(w)) {
    const f = await w.call<{ node: unknown; links: Record<string, unknown>; partitioned: string[] }>(n, 'faults.get');
    out[n] = {
      node: f.node,
      links: Object.fromEntries(Object.entries(f.links).map(([a, v]) => [name.get(a) ?? a, v])),
      cut: f.partitioned.map((a) => name.get(a) ?? a).sort(),
    };
  }
  return out;
}

const txnCount = async (w: World, n: string): Promise<number> => (await w.call<unknown[]>(n, 'transactions')).length;
const allHave = (count: number) => async (w: World) => until(`${count} transactions everywhere`, async () => (await Promise.all(running(w).map((n) => txnCount(w, n)))).every((c) => c === count));

// ---- record, replay, compare -----------------------------------------------------------------

interface Case<E> {
  names: string[];
  /** Join the nodes to the first before recording (as `peerlab repl --nodes K` does). */
  mesh?: boolean;
  /** REPL lines; `{alice}` is replaced by alice's address. */
  lines: string[];
  /** Waits, in each world, until the action's effect has settled. */
  settle?: (w: World) => Promise<void>;
  effect: (w: World) => Promise<E>;
}

interface Outcome<E> {
  session: E;
  replay: E;
  yaml: string;
  result: RunResult;
  events: RunEvent[];
}

let seq = 0;

async function recordAndReplay<E>(c: Case<E>): Promise<Outcome<E>> {
  const file = join(dir, `session-${++seq}.yaml`);
  const nodes = await startNamed(c.names);
  let session: E;
  try {
    const setupJoins = c.mesh ? await meshLocalNodes(nodes) : [];
    const h = await Harness.start(nodes, {
      recordFile: file,
      setupJoins,
      recorderSettings: { heartbeat: { interval: 100, timeout: 1000 }, initialBalance: nodes[0]!.config.params.initialBalance },
    });
    const w = sessionWorld(nodes);
    for (const raw of c.lines) {
      const line = raw.replace(/\{(\w+)\}/g, (_m, n: string) => JSON.stringify(w.address(n)));
      await h.run(line);
      expect(h.session.failures, `${line} failed in the session: ${h.out}${h.err}`).toBe(0);
    }
    await c.settle?.(w);
    session = await c.effect(w);
    await h.close();
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
  const yaml = await readFile(file, 'utf8');
  const { playbook, errors } = await loadPlaybookFile(file);
  expect(formatErrors(errors), yaml).toBe('');
  const plan = planPlaybook(playbook!);
  const cluster = new InProcessCluster(plan, undefined);
  const events: RunEvent[] = [];
  try {
    await cluster.start();
    const result = await new Runner(plan, cluster, (e) => events.push(e)).run();
    const w = clusterWorld(cluster);
    await c.settle?.(w);
    const replay = await c.effect(w);
    return { session, replay, yaml, result, events };
  } finally {
    await cluster.stop();
  }
}

async function same<E>(c: Case<E>): Promise<Outcome<E>> {
  const o = await recordAndReplay(c);
  expect(o.result.steps.filter((s) => s.status !== 'ok'), o.yaml).toEqual([]);
  expect(o.replay, `the replay's effect differs from the session's; the recording:\n${o.yaml}`).toEqual(o.session);
  return o;
}

describe('record a REPL session, replay it with play, compare the effect', () => {
  it('join', async () => {
    const o = await same({ names: ['alice', 'bob', 'carol'], lines: ['await nodes.bob.join({alice})'], effect: peers });
    expect(o.session).toEqual({ alice: ['bob'], bob: ['alice'], carol: [] });
    expect(o.yaml).toContain('- join: { node: bob, peer: alice }');
  }, 60_000);

  it('addPeer', async () => {
    const o = await same({ names: ['alice', 'bob'], lines: ['await nodes.alice.addPeer({bob})'], effect: peers });
    expect(o.session).toEqual({ alice: ['bob'], bob: ['alice'] });
  }, 60_000);

  it('discover', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      lines: ['await nodes.bob.join({alice})', 'await nodes.carol.addPeer({alice})', 'await nodes.carol.discover()'],
      settle: (w) => until('carol and bob to know each other', async () => (await peers(w)).bob!.includes('carol')),
      effect: async (w) => (await peers(w)).carol,
    });
    expect(o.session).toEqual(['alice', 'bob']);
    expect(o.yaml).toContain('- discover: { node: carol }');
  }, 60_000);

  it('removePeer (a ban)', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      mesh: true,
      lines: ["nodes.alice.removePeer('bob')"],
      effect: async (w) => ({
        peers: (await peers(w)).alice,
        banned: (await w.call<{ banned: { addrs: string[] } }>('alice', 'details')).banned.addrs.map((a) => w.names.find((n) => w.address(n) === a) ?? a),
      }),
    });
    expect(o.session).toEqual({ peers: ['carol'], banned: ['bob'] });
  }, 60_000);

  it('leave', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      mesh: true,
      lines: ['await nodes.carol.leave()'],
      settle: (w) => until('alice and bob to drop carol', async () => Object.values(await peers(w)).every((p) => !p.includes('carol'))),
      effect: async (w) => ({ running: running(w), peers: await peers(w) }),
    });
    expect(o.session).toEqual({ running: ['alice', 'bob'], peers: { alice: ['bob'], bob: ['alice'] } });
  }, 60_000);

  it('crash and restart: the same node, its ledger back from its data, its peer greeted again', async () => {
    const o = await same({
      names: ['alice', 'bob'],
      mesh: true,
      lines: [
        "await nodes.alice.send('bob', 3)",
        'while (nodes.bob.transactions().length < 1) await new Promise((r) => setTimeout(r, 10))',
        'await nodes.bob.crash()',
        'await nodes.bob.restart()',
      ],
      // In the replay the crash may come before bob has stored the payment: anti-entropy brings it back.
      settle: async (w) => {
        await until('bob and alice to know each other again', async () => (await peers(w)).bob!.includes('alice') && (await peers(w)).alice!.includes('bob'));
        await allHave(1)(w);
      },
      effect: async (w) => ({ running: running(w), ledger: await ledgers(w) }),
    });
    expect(o.session.running).toEqual(['alice', 'bob']);
    expect(o.session.ledger.bob!.txns).toEqual(['alice → bob 3.00 valid']);
    expect(o.yaml).toContain('- crash: bob\n');
    expect(o.yaml).toContain('- restart: bob\n');
  }, 60_000);

  it('misbehave.doubleSpend: the same fork, detected and voided everywhere', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      mesh: true,
      lines: ["await nodes.alice.misbehave.doubleSpend(['bob', 'carol'], 50)"],
      settle: async (w) => {
        await allHave(2)(w);
        await until('every node sees the fork', async () => (await Promise.all(running(w).map((n) => w.call<unknown[]>(n, 'forks')))).every((f) => f.length === 1));
      },
      effect: ledgers,
    });
    expect(o.session.carol!.txns).toEqual(['alice → bob 50.00 void', 'alice → carol 50.00 void']);
    expect(o.yaml).toContain('- doubleSpend: { node: alice, to: [bob, carol], amount: 50 }');
  }, 60_000);

  it('send, sendCustom and sync', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      mesh: true,
      lines: ["await nodes.alice.send('bob', 25.5)", "await nodes.bob.sendCustom('carol', '3.25', { Memo: 'books' })", 'await nodes.carol.sync()'],
      settle: allHave(2),
      effect: ledgers,
    });
    expect(o.session.carol!.txns).toEqual(['alice → bob 25.50 valid', 'bob → carol 3.25 valid {"Memo":"books"}']);
    expect(o.yaml).toContain('- sync: carol');
  }, 60_000);

  it('ping and requestBalance', async () => {
    const o = await same({
      names: ['alice', 'bob'],
      mesh: true,
      lines: ["await nodes.alice.ping('bob')", "await nodes.alice.requestBalance('bob')"],
      effect: async (w) => running(w),
    });
    // Their effect is the round trip itself: the replay makes the same calls, and they succeed.
    expect(o.result.steps.map((s) => `${s.kind} ${s.status}`).filter((s) => /ping|requestBalance/.test(s))).toEqual(['ping ok', 'requestBalance ok']);
  }, 60_000);

  it('sendFile and sendWithFile', async () => {
    const a = join(dir, 'hello.txt');
    const b = join(dir, 'invoice.txt');
    await writeFile(a, 'hello, bob\n');
    await writeFile(b, 'one invoice\n');
    const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
    const o = await same({
      names: ['alice', 'bob'],
      mesh: true,
      lines: [`await nodes.alice.sendFile('bob', ${JSON.stringify(a)})`, `await nodes.alice.sendWithFile('bob', 2, ${JSON.stringify(b)}, { Memo: 'paid' })`],
      settle: allHave(1),
      effect: async (w) => ({
        inbox: (await w.call<Array<{ name: string; sha256: string; fromName: string }>>('bob', 'inbox')).map((f) => `${f.name} ${f.sha256} from ${f.fromName}`).sort(),
        ledger: await ledgers(w),
      }),
    });
    expect(o.session.inbox).toEqual([`hello.txt ${sha('hello, bob\n')} from alice`, `invoice.txt ${sha('one invoice\n')} from alice`]);
  }, 60_000);

  it('exportCsv', async () => {
    const csv = join(dir, 'ledger.csv');
    const o = await same({
      names: ['alice', 'bob'],
      mesh: true,
      lines: ["await nodes.alice.send('bob', 7)", `await nodes.alice.exportCsv(${JSON.stringify(csv)})`],
      effect: async () => {
        const [header, ...rows] = (await readFile(csv, 'utf8')).trim().split('\n');
        return { header, rows: rows.length, amounts: rows.map((r) => r.split(',')[4]) };
      },
    });
    expect(o.session.rows).toBe(1);
    expect(o.yaml).toContain('- export: { node: alice, path: ledger.csv }');
  }, 60_000);

  it('clearAndRebuild', async () => {
    const o = await same({
      names: ['alice', 'bob'],
      mesh: true,
      lines: ["await nodes.alice.send('bob', 4)", 'await new Promise((r) => setTimeout(r, 300))', 'await nodes.bob.clearAndRebuild()'],
      settle: allHave(1),
      effect: ledgers,
    });
    expect(o.session.bob!.txns).toEqual(['alice → bob 4.00 valid']);
  }, 60_000);

  it('faults.set, node-wide and per link', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      lines: ["nodes.alice.faults.set({ drop: 0.2, delay: '5ms', duplicate: 0.1 })", "nodes.bob.faults.set({ peer: {carol}, dropIn: 0.1, jitter: '3ms' })"],
      effect: faults,
    });
    expect(o.session).toMatchObject({ alice: { node: { drop: 0.2, delay: 5, duplicate: 0.1 } }, bob: { links: { carol: { dropIn: 0.1, jitter: 3 } } } });
  }, 60_000);

  it('faults.partition: one node cuts its own links, the others keep theirs', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      lines: ['nodes.carol.faults.partition([{bob}])', 'nodes.alice.faults.partition([{bob}, {carol}])'],
      effect: faults,
    });
    expect(Object.fromEntries(Object.entries(o.session).map(([n, f]) => [n, (f as { cut: string[] }).cut]))).toEqual({ alice: ['bob', 'carol'], bob: [], carol: ['bob'] });
  }, 60_000);

  it('faults.partition by name and id prefix replays as the same cut', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      mesh: true,
      lines: ["nodes.carol.faults.partition(['bob'])", 'nodes.alice.faults.partition([nodes.carol.id.slice(0, 8)])'],
      effect: faults,
    });
    expect(Object.fromEntries(Object.entries(o.session).map(([n, f]) => [n, (f as { cut: string[] }).cut]))).toEqual({ alice: ['carol'], bob: [], carol: ['bob'] });
    expect(o.yaml).toContain('- cut: { node: carol, peers: [bob] }');
    expect(o.yaml).toContain('- cut: { node: alice, peers: [carol] }');
  }, 60_000);

  it('faults.heal heals that node only', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      lines: ['nodes.carol.faults.partition([{bob}])', 'nodes.alice.faults.partition([{bob}])', 'nodes.carol.faults.heal()'],
      effect: faults,
    });
    expect(o.session).toMatchObject({ alice: { cut: ['bob'] }, carol: { cut: [] } });
  }, 60_000);

  it('faults.reset clears node-wide and link faults and that node\'s cuts', async () => {
    const o = await same({
      names: ['alice', 'bob', 'carol'],
      lines: ['nodes.bob.faults.set({ drop: 0.3 })', "nodes.bob.faults.set({ peer: {alice}, delay: '9ms' })", 'nodes.bob.faults.partition([{carol}])', 'nodes.alice.faults.partition([{carol}])', 'nodes.bob.faults.reset()'],
      effect: faults,
    });
    expect(o.session).toMatchObject({ alice: { cut: ['carol'] }, bob: { node: { drop: 0, delay: 0 }, links: {}, cut: [] } });
  }, 60_000);

  it('robot.start and robot.stop: the robot acts from the same node, for about as long', async () => {
    const o = await same({
      names: ['alice', 'bob'],
      mesh: true,
      lines: ["nodes.alice.robot.start({ every: '50ms', maxAmount: 5, seed: 3, actions: ['send'] })", 'await new Promise((r) => setTimeout(r, 600))', 'nodes.alice.robot.stop()'],
      effect: async (w) => {
        const txns = await w.call<Array<{ from: string }>>('alice', 'transactions');
        return { senders: [...new Set(txns.map((t) => t.from))], some: txns.length > 0 };
      },
    });
    expect(o.session).toEqual({ senders: ['alice'], some: true });
    expect(o.yaml).toMatch(/- robot: \{ nodes: \[alice\], every: "50ms", for: "0?\.?\d+m?s", maxAmount: 5, background: true, actions: \[send\], seed: 3 \}/);
  }, 60_000);

  it('log becomes a say line with the same text', async () => {
    const o = await recordAndReplay({
      names: ['alice', 'bob'],
      lines: ["nodes.alice.log('note', 'partition starts now')"],
      effect: async (w) => (w.running('alice') ? 'running' : 'stopped'),
    });
    expect(o.events.filter((e) => e.type === 'say').map((e) => (e as { text: string }).text)).toEqual(['alice: [note] partition starts now']);
  }, 60_000);

  it('heartbeat.set is noted as not replayable (a playbook sets the heartbeat once, in settings)', async () => {
    const o = await recordAndReplay({ names: ['alice', 'bob'], lines: ["nodes.alice.heartbeat.set({ interval: '200ms' })"], effect: async () => null });
    expect(o.yaml).toMatch(/# alice: node\.heartbeat\.set\(.*\) is not replayable: a playbook sets the heartbeat once, under settings\.heartbeat/);
    expect(o.result.ok).toBe(true);
  }, 60_000);
});
