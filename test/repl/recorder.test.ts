/** Recorder: session calls -> playbook YAML (DESIGN.md §2.3), checked by the real loader. */
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { duration, flow, Recorder, scalar, type KnownPeer } from '../../src/repl/recorder.ts';

const A = 'A'.repeat(43);
const B = 'B'.repeat(43);
const C = 'C'.repeat(43);

function recorder(extra: Partial<ConstructorParameters<typeof Recorder>[0]> = {}): { rec: Recorder; clock: { t: number } } {
  const clock = { t: 1000 };
  const rec = new Recorder({
    file: '/work/pb/session.yaml',
    cwd: '/work',
    date: null,
    command: 'peerlab',
    nodes: [
      { name: 'alice', addresses: ['127.0.0.1:5001'], id: A },
      { name: 'bob', addresses: ['127.0.0.1:5002'], id: B, faults: { drop: 0.1 } },
    ],
    now: () => clock.t,
    ...extra,
  });
  return { rec, clock };
}

/** One call: begins at the current time, ends `ms` later. */
function call(rec: Recorder, clock: { t: number }, node: string, method: string, args: unknown[], ms = 10, outcome: { ok: true; value?: unknown } | { ok: false; error: unknown } = { ok: true }): void {
  const end = rec.begin({ node, method, args });
  clock.t += ms;
  if (end) end(outcome.ok ? { ok: true, value: outcome.value } : outcome);
}

function load(text: string): ReturnType<typeof loadPlaybook> {
  return loadPlaybook(text, '/work/pb/session.yaml');
}

describe('Recorder', () => {
  it('writes steps in order with waits between them, and the loader accepts the playbook', () => {
    const { rec, clock } = recorder({ setupJoins: [['bob', 'alice']], settings: { heartbeat: { interval: 200, timeout: 2000 }, initialBalance: '1000.00', seed: 42 } });
    clock.t += 1500;
    call(rec, clock, 'alice', 'send', ['bob', 25.5], 20);
    call(rec, clock, 'alice', 'peers', []); // a read: left out
    clock.t += 30; // shorter than a wait is worth
    call(rec, clock, 'bob', 'sendCustom', ['alice', '10.00', { Name: 'Connor' }]);
    clock.t += 2000;
    call(rec, clock, 'alice', 'sync', []);
    call(rec, clock, 'alice', 'exportCsv', ['pb/out/a.csv']);
    rec.stop();
    const text = rec.toYaml();
    expect(text).toBe(
      [
        '# Recorded by peerlab repl.',
        '# Replay: peerlab play pb/session.yaml',
        'name: "REPL session of alice, bob"',
        'seed: 42',
        'settings:',
        '  heartbeat: { interval: "200ms", timeout: "2000ms" }',
        '  network: { initialBalance: "1000.00" }',
        'nodes:',
        '  alice: {}',
        '  bob: { faults: { drop: 0.1 } }',
        'steps:',
        '  - join: { node: bob, peer: alice }',
        '  - waitFor: { peers: 1, within: "5s" }',
        '  - wait: "1.5s"',
        '  - send: { from: alice, to: bob, amount: 25.5 }',
        '  - sendCustom: { from: bob, to: alice, amount: "10.00", fields: { Name: Connor } }',
        '  - wait: "2s"',
        '  - sync: alice',
        '  - export: { node: alice, path: out/a.csv }',
        '',
      ].join('\n'),
    );
    const { playbook, errors } = load(text);
    expect(errors).toEqual([]);
    expect(playbook!.steps.map((s) => s.action.kind)).toEqual(['join', 'waitFor', 'wait', 'send', 'sendCustom', 'wait', 'sync', 'export']);
    expect(playbook!.steps[2]!.action).toEqual({ kind: 'wait', ms: 1500 });
    // And it plans: the same actions, in the same order, at the recorded times.
    const plan = planPlaybook(playbook!);
    expect(plan.sequence.length).toBe(8);
  });

  it('covers every action of the API', () => {
    const { rec, clock } = recorder({ nodes: [
      { name: 'alice', addresses: ['127.0.0.1:5001'], id: A },
      { name: 'bob', addresses: ['127.0.0.1:5002'], id: B },
      { name: 'carol', addresses: ['127.0.0.1:5003'], id: C },
    ] });
    call(rec, clock, 'alice', 'join', ['127.0.0.1:5002']);
    call(rec, clock, 'alice', 'addPeer', ['carol']);
    call(rec, clock, 'alice', 'removePeer', [C.slice(0, 6)]);
    call(rec, clock, 'alice', 'discover', [['127.0.0.1:5003']]);
    call(rec, clock, 'alice', 'discover', []);
    call(rec, clock, 'alice', 'ping', ['bob']);
    call(rec, clock, 'alice', 'requestBalance', ['127.0.0.1:5002']);
    call(rec, clock, 'alice', 'sendFile', ['bob', '/work/pb/fixtures/hello.txt']);
    call(rec, clock, 'alice', 'sendWithFile', ['bob', 3, 'pb/fixtures/hello.txt', { Memo: 'x' }]);
    call(rec, clock, 'alice', 'faults.set', [{ drop: 0.3, dropIn: 0.1, delay: 20, jitter: '5ms', duplicate: 0.05 }]);
    call(rec, clock, 'alice', 'faults.partition', [['127.0.0.1:5003', 'bob']]);
    call(rec, clock, 'alice', 'faults.heal', []);
    call(rec, clock, 'alice', 'faults.reset', []);
    call(rec, clock, 'alice', 'robot.start', [{ every: 100, maxAmount: 5, seed: 9, actions: ['send', 'ping'] }]);
    clock.t += 1000;
    call(rec, clock, 'alice', 'robot.stop', []);
    call(rec, clock, 'bob', 'clearAndRebuild', []);
    call(rec, clock, 'bob', 'log', ['note', 'hello: world']);
    call(rec, clock, 'carol', 'leave', []);
    call(rec, clock, 'carol', 'restart', []);
    call(rec, clock, 'bob', 'crash', []);
    call(rec, clock, 'alice', 'misbehave.doubleSpend', [['bob', '127.0.0.1:5003'], 7]);
    rec.stop();
    const text = rec.toYaml();
    const { playbook, errors } = load(text);
    expect(errors).toEqual([]);
    expect(playbook!.steps.map((s) => s.action.kind).filter((k) => k !== 'wait')).toEqual([
      'join', 'addPeer', 'removePeer', 'discover', 'discover', 'ping', 'requestBalance', 'sendFile', 'sendWithFile',
      'faults', 'cut', 'heal', 'faults', 'heal', 'robot', 'clearAndRebuild', 'say', 'leave', 'restart', 'crash', 'doubleSpend',
    ]);
    expect(text).toContain('- doubleSpend: { node: alice, to: [bob, carol], amount: 7 }');
    // alice's own links only (DESIGN.md §2.3): bob and carol keep talking to each other.
    expect(text).toContain('- cut: { node: alice, peers: [carol, bob] }');
    expect(text).toContain('- heal: { node: alice }\n');
    expect(text).toContain('- faults: { node: alice, reset: true }\n  - heal: { node: alice }\n');
    expect(text).toContain('- faults: { node: alice, drop: 0.3, dropIn: 0.1, duplicate: 0.05, delay: "20ms", jitter: "5ms" }');
    expect(text).toContain('- robot: { nodes: [alice], every: "100ms", for: "1.01s", maxAmount: 5, background: true, actions: [send, ping], seed: 9 }');
    expect(text).toContain('- sendFile: { from: alice, to: bob, path: fixtures/hello.txt }');
    expect(text).toContain('- say: "bob: [note] hello: world"');
    // The robot runs in the background: the next step waits from the robot's start (1010 ms to stop + 10 ms).
    const robot = playbook!.steps.findIndex((s) => s.action.kind === 'robot');
    expect(playbook!.steps[robot + 1]!.action).toEqual({ kind: 'wait', ms: 1020 });
  });

  it('names peers outside the session after themselves, as extra playbook nodes', () => {
    const out: KnownPeer = { name: 'dave.local', addr: '10.0.0.9:7000', id: 'D'.repeat(43) };
    const { rec, clock } = recorder({ lookup: (_n, ref) => (ref === 'dave.local' ? out : undefined) });
    call(rec, clock, 'alice', 'join', ['10.0.0.9:7000'], 10, { ok: true, value: { name: out.name, addr: out.addr, id: out.id } });
    call(rec, clock, 'alice', 'send', ['dave.local', 1]);
    call(rec, clock, 'bob', 'send', ['10.0.0.9:7000', 2]);
    call(rec, clock, 'alice', 'send', ['nobody', 2]); // unknown: a comment
    call(rec, clock, 'alice', 'join', ['10.0.0.10:1']); // unknown address: kept as an address
    rec.stop();
    const text = rec.toYaml();
    const { playbook, errors } = load(text);
    expect(errors).toEqual([]);
    expect(playbook!.nodes.map((n) => n.name)).toEqual(['alice', 'bob', 'dave-local']);
    expect(text).toContain('# dave.local (10.0.0.9:7000) was not part of the session');
    expect(text).toContain('- join: { node: alice, peer: dave-local }');
    expect(text).toContain('- send: { from: bob, to: dave-local, amount: 2 }');
    expect(text).toContain("# alice: node.send('nobody', 2) is not replayable: no playbook node for \"nobody\"");
    expect(text).toContain('- join: { node: alice, peer: "10.0.0.10:1" }');
  });

  it('keeps failed calls as comments, skips calls made after stop, and never writes an empty step list', () => {
    const { rec, clock } = recorder();
    call(rec, clock, 'alice', 'send', ['bob', -1], 5, { ok: false, error: new Error('amount must be positive') });
    rec.stop();
    call(rec, clock, 'alice', 'send', ['bob', 1]);
    const text = rec.toYaml();
    expect(text).toContain("# alice: node.send('bob', -1) failed in the session: amount must be positive");
    expect(text).toContain('- say: the recorded session made no node actions');
    expect(load(text).errors).toEqual([]);
    expect(rec.actions).toBe(1);
  });

  it('calls that make no step (comments) take no time from the waits around them', () => {
    const { rec, clock } = recorder();
    call(rec, clock, 'alice', 'send', ['bob', 1], 0);
    clock.t += 1000;
    call(rec, clock, 'alice', 'heartbeat.set', [{ interval: 100 }], 0);
    clock.t += 1000;
    call(rec, clock, 'alice', 'send', ['bob', 2], 0);
    rec.stop();
    const text = rec.toYaml();
    expect(text).toContain('# alice: node.heartbeat.set({"interval":100}) is not replayable: a playbook sets the heartbeat once, under settings.heartbeat');
    expect(text).toContain('  - wait: "2s"\n  - send: { from: alice, to: bob, amount: 2 }');
  });

  it('a robot with one node in the playbook is a comment (a playbook robot needs someone to act on)', () => {
    const clock = { t: 0 };
    const rec = new Recorder({ file: '/tmp/x.yaml', date: null, nodes: [{ name: 'solo', addresses: [], id: A }], now: () => clock.t });
    call(rec, clock, 'solo', 'robot.start', [{ every: '1s' }]);
    rec.stop();
    expect(rec.toYaml()).toMatch(/# solo: node\.robot\.start\(.*\) is not replayable: a playbook robot needs another node/);
  });

  it('durations and scalars', () => {
    expect(duration(0)).toBe('0ms');
    expect(duration(999.4)).toBe('999ms');
    expect(duration(999.6)).toBe('1s');
    expect(duration(1500)).toBe('1.5s');
    expect(duration(120_000)).toBe('2m');
    expect(duration(61_234)).toBe('61.23s');
    for (const [v, want] of [['alice', 'alice'], ['yes', '"yes"'], ['25.50', '"25.50"'], ['a b', 'a b'], ['a: b', '"a: b"'], ['', '""'], [3, '3'], [true, 'true'], [null, 'null']] as const) {
      expect(scalar(v)).toBe(want);
    }
    expect(flow({ a: [1, 'x y'], 'b c': {} })).toBe('{ a: [1, x y], "b c": {} }');
  });
});
