import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatErrors, type PlaybookError } from '../../src/playbooks/errors.ts';
import { loadPlaybook, loadPlaybookFile } from '../../src/playbooks/load.ts';
import type { Step, StepAction } from '../../src/playbooks/playbook.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => join(here, 'fixtures', name);

/** Loads text that must be invalid; returns `line:col path: message` strings for compact asserts. */
function problems(text: string): string[] {
  const r = loadPlaybook(text, 'p.yaml');
  expect(r.playbook).toBeUndefined();
  return r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`);
}

function valid(text: string) {
  const r = loadPlaybook(text, '/pb/p.yaml');
  expect(formatErrors(r.errors)).toBe('');
  return r.playbook!;
}

const NODES = 'name: t\nnodes:\n  alice: {}\n  bob: {}\n  carol: {}\nsteps:\n';

function action(step: Step | undefined): StepAction {
  return step!.action;
}

describe('loading the DESIGN §2.3 example', () => {
  it('loads with zero errors and normalises values', async () => {
    const r = await loadPlaybookFile(fixture('design-example.yaml'));
    expect(r.errors).toEqual([]);
    const pb = r.playbook!;
    expect(pb.name).toBe('Three nodes, one flaky');
    expect(pb.seed).toBe(42);
    expect(pb.isolation).toBe('in-process');
    expect(pb.settings).toEqual({
      heartbeat: { intervalMs: 200, timeoutMs: 2000 },
      network: { initialBalance: 100000n, scale: 2 },
      files: { maxBytes: 256 * 1024 * 1024 },
      speed: 1,
      simulation: {},
    });
    expect(pb.nodes.map((n) => [n.name, n.port, n.host, n.faults])).toEqual([
      ['alice', 5001, '127.0.0.1', {}],
      ['bob', 5002, '127.0.0.1', {}],
      ['carol', 5003, '127.0.0.1', { drop: 0.3 }],
    ]);
    expect(pb.nodes[2]!.pos).toEqual({ line: 11, column: 3 });
    expect(pb.steps).toHaveLength(14);
    expect(pb.steps[0]).toMatchObject({ path: 'steps[0]', pos: { line: 13, column: 5 }, mayFail: false });
    expect(action(pb.steps[0])).toEqual({ kind: 'join', node: 'bob', peer: { node: 'alice' } });
    expect(action(pb.steps[2])).toEqual({ kind: 'send', from: 'alice', to: 'bob', amount: 2550n });
    expect(action(pb.steps[3])).toEqual({ kind: 'sendCustom', from: 'bob', to: 'carol', amount: 20000n, fields: { Name: 'Connor' } });
    expect(action(pb.steps[4])).toMatchObject({ kind: 'sendFile', path: { text: 'fixtures/hello.txt', resolved: fixture('fixtures/hello.txt') } });
    expect(action(pb.steps[5])).toMatchObject({ kind: 'robot', nodes: ['alice', 'bob', 'carol'], everyMs: 100, forMs: 5000, maxAmount: 5000n, background: false });
    expect(action(pb.steps[8])).toEqual({ kind: 'partition', groups: [['alice'], ['bob', 'carol']] });
    expect(action(pb.steps[10])).toEqual({ kind: 'sync', nodes: ['alice', 'bob', 'carol'] });
    expect(action(pb.steps[11])).toEqual({
      kind: 'waitFor',
      withinMs: 10_000,
      conditions: [{ path: 'steps[11].waitFor.converged', kind: 'converged', nodes: ['alice', 'bob', 'carol'] }],
    });
    expect(action(pb.steps[12])).toEqual({
      kind: 'expect',
      conditions: [
        { path: 'steps[12].expect.converged', kind: 'converged', nodes: ['alice', 'bob', 'carol'] },
        { path: 'steps[12].expect.totalBalance', kind: 'totalBalance', amount: 300000n },
        { path: 'steps[12].expect.noNegativeBalances', kind: 'noNegativeBalances' },
      ],
    });
  });

  it('resolves relative paths against the playbook folder', () => {
    const pb = valid(`${NODES}  - export: { node: alice, path: out/a.csv }\n`);
    expect(pb.baseDir).toBe(resolve('/pb'));
    expect(action(pb.steps[0])).toEqual({ kind: 'export', node: 'alice', path: { text: 'out/a.csv', resolved: resolve('/pb/out/a.csv') } });
  });
});

describe('broken playbooks report exact positions', () => {
  async function load(name: string): Promise<readonly PlaybookError[]> {
    const r = await loadPlaybookFile(fixture(`broken/${name}`));
    expect(r.playbook).toBeUndefined();
    return r.errors;
  }

  it('misspelled step: one error, with the nearest step name', async () => {
    const errors = await load('misspelled-step.yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'UNKNOWN_KEY',
      line: 7,
      column: 5,
      path: 'steps[1].sendFiel',
      suggestion: 'sendFile',
      message: "unknown step 'sendFiel'; did you mean 'sendFile'?",
    });
  });

  it('wrong type', async () => {
    const errors = await load('wrong-type.yaml');
    expect(errors.map((e) => [e.line, e.column, e.path, e.message])).toEqual([
      [9, 15, 'steps[0].send.amount', 'must be an amount like 25.50, got a list'],
    ]);
  });

  it('unknown node, with a suggestion', async () => {
    const errors = await load('unknown-node.yaml');
    expect(errors.map((e) => [e.code, e.line, e.column, e.path, e.message])).toEqual([
      ['UNKNOWN_NODE', 8, 12, 'steps[1].crash', "unknown node 'carl'; did you mean 'carol'?"],
    ]);
  });

  it('bad duration', async () => {
    const errors = await load('bad-duration.yaml');
    expect(errors.map((e) => [e.code, e.line, e.column, e.path, e.message])).toEqual([
      ['BAD_DURATION', 7, 11, 'steps[1].wait', 'must be a duration like 200ms, 2s or 1m, got "5 secs"'],
    ]);
  });

  it('YAML syntax error', async () => {
    const errors = await load('yaml-syntax.yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'YAML', line: 7, column: 3, path: '' });
    expect(errors[0]!.message).toMatch(/Flow map/);
  });

  it('two errors in one file: both, in document order', async () => {
    const errors = await load('two-errors.yaml');
    expect(formatErrors(errors)).toBe(
      [
        `${fixture('broken/two-errors.yaml')}:7:43: steps[1].send.amount: amount 10.005 has more than 2 decimal places`,
        `${fixture('broken/two-errors.yaml')}:9:11: steps[3].sync: unknown node 'everyone' (nodes are alice, bob or all)`,
      ].join('\n'),
    );
  });
});

describe('error reporting', () => {
  it('reports every problem at once, without oneOf noise', () => {
    const errors = problems(
      [
        'name: x',
        'seed: -1',
        'isolation: proces',
        'settings:',
        '  heartbeat: { interval: 2s, timeout: 1s }',
        '  files: { maxBytes: 12 parsecs }',
        'nodes:',
        '  alice: { port: 5001 }',
        '  bob: { port: 5001, faults: { drop: 1.5 } }',
        '  all: {}',
        'steps:',
        '  - { send: { from: alice, to: bob, amount: 1 }, sync: all }',
        '  - { name: nothing }',
        '  - send',
        '  - send: { from: alice, to: alice }',
        '  - { send: { from: alice, to: bob, amount: 1 }, mayFial: true }',
        '  - sendCustom: { from: alice, to: bob, amount: 1, fields: { amount: 3 } }',
        '  - partition: [[alice, bob], [bob]]',
        '  - expect: {}',
        '  - faults: { node: all }',
        '  - parallel:',
        '      - { at: 1s, say: hi }',
        '  - robot: { nodes: [alice, alice], every: 0ms, for: 1h, maxAmount: 5, actions: [send, snd] }',
        '  - join: { node: alice, peer: "nonsense" }',
      ].join('\n'),
    );
    expect(errors).toEqual([
      '2:7 seed: must be a whole number between 0 and 4294967295, got -1',
      "3:12 isolation: must be 'in-process' or 'process', got \"proces\"; did you mean 'process'?",
      '5:39 settings.heartbeat.timeout: timeout (1s) must be longer than interval (2s)',
      '6:22 settings.files.maxBytes: must be a size like 4096, 10MB or 256MiB, got "12 parsecs"',
      "9:16 nodes.bob.port: port 5001 is already used by node 'alice'",
      '9:38 nodes.bob.faults.drop: must be a probability between 0 and 1, got 1.5',
      "10:3 nodes.all: 'all' is reserved (it means every node); choose another node name",
      "12:50 steps[0].sync: a step has exactly one action, but 'sync' follows 'send': put it in a step of its own",
      '13:5 steps[1]: a step needs one action: join, addPeer, removePeer, leave, discover, send, sendCustom, sendFile, sendWithFile, ping, requestBalance, sync, robot, faults, partition, cut, heal, crash, restart, clearAndRebuild, doubleSpend, wait, waitFor, expect, export, say, parallel, deliver, drop, diskFull, clockJump, hostile',
      '14:5 steps[2]: must be a mapping with one action, like send: { from: alice, to: bob, amount: 10 }, got "send"',
      "15:5 steps[3].send: missing 'amount' (send needs from, to, amount)",
      "15:30 steps[3].send.to: from and to are the same node ('alice')",
      "16:50 steps[4].mayFial: unknown key 'mayFial' in a step; did you mean 'mayFail'?",
      "17:62 steps[5].sendCustom.fields.amount: 'amount' is reserved by the ledger; choose another field name",
      "18:32 steps[6].partition[1][0]: 'bob' is already in group steps[6].partition[0]: a node belongs to one group",
      '19:5 steps[7].expect: expect needs at least one condition: converged, sameOrder, balances, totalBalance, noNegativeBalances, transactions, peers, peerState, fileReceived, logged',
      '20:5 steps[8].faults: faults needs at least one of drop, dropIn, delay, jitter, duplicate, reset',
      '22:11 steps[9].parallel[0].at: at is only for top-level steps: the steps of a parallel group all start with the group',
      '23:29 steps[10].robot.nodes[1]: "alice" is listed twice',
      '23:44 steps[10].robot.every: must be longer than 0, got "0ms"',
      "23:88 steps[10].robot.actions[1]: must be one of 'send', 'sendCustom', 'ping', 'requestBalance', 'sync', got \"snd\"; did you mean 'send'?",
      "24:32 steps[11].join.peer: unknown node 'nonsense' (nodes are alice, bob, or host:port)",
    ]);
  });

  it('formats file:line:col: path: message lines', () => {
    const r = loadPlaybook(`${NODES}  - wait: soon\n`, 'lesson.yaml');
    expect(formatErrors(r.errors)).toBe('lesson.yaml:7:11: steps[0].wait: must be a duration like 200ms, 2s or 1m, got "soon"');
  });

  it('points at the document for a missing top-level key and an empty file', () => {
    expect(problems('name: x\nnodes: { a: {} }\n')).toEqual(["1:1 : missing 'steps' (a playbook needs name, nodes, steps)"]);
    expect(problems('')).toEqual(["1:1 : must be a mapping, got nothing"]);
  });

  it('suggests keys inside step bodies and settings', () => {
    expect(problems(`${NODES}  - send: { from: alice, to: bob, amout: 5, amount: 5 }\n`)).toEqual([
      "7:35 steps[0].send.amout: unknown key 'amout'; did you mean 'amount'?",
    ]);
    expect(problems(`settings: { hartbeat: { interval: 1s } }\n${NODES}  - heal: {}\n`)).toEqual([
      "1:13 settings.hartbeat: unknown key 'hartbeat'; did you mean 'heartbeat'?",
    ]);
  });

  it('reports a misspelt required key once, as a suggestion', () => {
    expect(problems(`${NODES}  - send: { form: alice, to: bob, amount: 1 }\n`)).toEqual([
      "7:13 steps[0].send.form: unknown key 'form'; did you mean 'from'?",
    ]);
    expect(problems(`${NODES}  - expect: { peerState: [{ node: alice, peer: bob }] }\n`)).toEqual([
      "7:27 steps[0].expect.peerState[0]: missing 'state' (peerState needs node, peer, state)",
    ]);
  });

  it('checks amounts at the network scale', () => {
    const text = `settings: { network: { scale: 0 } }\n${NODES}  - send: { from: alice, to: bob, amount: 2.5 }\n`;
    expect(problems(text)).toEqual(['8:43 steps[0].send.amount: amount 2.5 has more than 0 decimal places']);
    expect(problems(`${NODES}  - send: { from: alice, to: bob, amount: 0 }\n`)).toEqual([
      '7:43 steps[0].send.amount: amount must be greater than zero, got 0',
    ]);
  });

  it('checks node names inside conditions, including mapping keys', () => {
    expect(problems(`${NODES}  - expect: { balances: { alice: 1, carl: 2 }, peerState: { node: alice, peer: bobb, state: removed } }\n`)).toEqual([
      "7:37 steps[0].expect.balances.carl: unknown node 'carl'; did you mean 'carol'?",
      "7:80 steps[0].expect.peerState.peer: unknown node 'bobb'; did you mean 'bob'?",
    ]);
  });

  it('refuses a robot on a playbook with a single node', () => {
    expect(problems('name: x\nnodes: { a: {} }\nsteps:\n  - robot: { nodes: [a], every: 1s, for: 2s, maxAmount: 1 }\n')).toEqual([
      '4:21 steps[0].robot.nodes: a robot needs another node to act on: the playbook has only one node',
    ]);
  });

  it('refuses a robot expansion too large to plan', () => {
    expect(problems(`${NODES}  - robot: { nodes: all, every: 1ms, for: 1h, maxAmount: 1 }\n`)).toEqual([
      '7:33 steps[0].robot.every: this robot would plan 10800000 actions (at most 100000): use a longer every or a shorter for',
    ]);
  });

  it('reports a missing file to send only when loading from disk', async () => {
    const text = `${NODES}  - sendFile: { from: alice, to: bob, path: nowhere.txt }\n`;
    expect(loadPlaybook(text, fixture('x.yaml')).errors).toEqual([]);
    const r = loadPlaybook(text, fixture('x.yaml'), { checkFiles: true });
    expect(formatErrors(r.errors)).toBe(
      `${fixture('x.yaml')}:7:45: steps[0].sendFile.path: file not found: nowhere.txt (paths are relative to the playbook's folder)`,
    );
    // ... unless an export writes it first.
    const exported = `${NODES}  - export: { node: alice, path: nowhere.txt }\n  - sendFile: { from: alice, to: bob, path: nowhere.txt }\n`;
    expect(loadPlaybook(exported, fixture('x.yaml'), { checkFiles: true }).errors).toEqual([]);
  });

  it('reports an unreadable file as one IO error', async () => {
    const r = await loadPlaybookFile(fixture('does-not-exist.yaml'));
    expect(r.errors).toHaveLength(1);
    expect(formatErrors(r.errors)).toBe(`${fixture('does-not-exist.yaml')}: cannot read playbook: no such file`);
  });

  it('reports duplicate keys as YAML errors', () => {
    expect(problems('name: a\nname: b\nnodes: { a: {} }\nsteps: [ { heal: {} } ]\n')).toEqual(['2:1 : Map keys must be unique']);
  });
});

describe('normalised step shapes', () => {
  it('accepts addresses as peers and expands all', () => {
    const pb = valid(
      `${NODES}  - join: { node: alice, peer: "10.0.0.1:80" }\n  - discover: { node: bob, peers: [alice, "localhost:5001"] }\n  - faults: { node: all, peer: bob, delay: 50ms, jitter: 10ms, duplicate: 0.1 }\n  - robot: { nodes: all, every: 1s, for: 3s, maxAmount: 1.5, actions: { send: 3, ping: 1 }, background: true, seed: 9 }\n`,
    );
    expect(action(pb.steps[0])).toEqual({ kind: 'join', node: 'alice', peer: { address: '10.0.0.1:80' } });
    expect(action(pb.steps[1])).toEqual({ kind: 'discover', node: 'bob', peers: [{ node: 'alice' }, { address: '127.0.0.1:5001' }] });
    expect(action(pb.steps[2])).toEqual({
      kind: 'faults',
      nodes: ['alice', 'carol'],
      peer: 'bob',
      faults: { delayMs: 50, jitterMs: 10, duplicate: 0.1 },
    });
    expect(action(pb.steps[3])).toEqual({
      kind: 'robot',
      nodes: ['alice', 'bob', 'carol'],
      everyMs: 1000,
      forMs: 3000,
      maxAmount: 150n,
      weights: { send: 3, sendCustom: 0, ping: 1, requestBalance: 0, sync: 0 },
      background: true,
      seed: 9,
    });
  });

  it('completes a partition with the nodes no group names', () => {
    const pb = valid(`${NODES}  - partition: [[bob]]\n`);
    expect(action(pb.steps[0])).toEqual({ kind: 'partition', groups: [['bob'], ['alice', 'carol']] });
  });

  it('keeps modifiers and nested steps', () => {
    const pb = valid(
      `${NODES}  - { at: 1.5s, name: late, mayFail: true, ping: { from: alice, to: bob } }\n  - parallel:\n      - sync: carol\n      - wait: 200ms\n`,
    );
    expect(pb.steps[0]).toMatchObject({ at: 1500, name: 'late', mayFail: true, action: { kind: 'ping', from: 'alice', to: 'bob' } });
    const par = action(pb.steps[1]);
    expect(par.kind).toBe('parallel');
    if (par.kind !== 'parallel') return;
    expect(par.steps.map((s) => [s.path, s.pos.line, s.action])).toEqual([
      ['steps[1].parallel[0]', 9, { kind: 'sync', nodes: ['carol'] }],
      ['steps[1].parallel[1]', 10, { kind: 'wait', ms: 200 }],
    ]);
  });

  it('expands counts for every node and reads all condition kinds', () => {
    const sha = 'AB'.repeat(32);
    const pb = valid(
      `${NODES}  - waitFor: { transactions: 3, peers: { alice: 2 }, fileReceived: [{ node: bob, sha256: ${sha} }], logged: { node: all, type: fork-detected }, balances: { bob: 0 }, within: 0s }\n`,
    );
    const a = action(pb.steps[0]);
    expect(a).toMatchObject({ kind: 'waitFor', withinMs: 0 });
    if (a.kind !== 'waitFor') return;
    expect(a.conditions).toEqual([
      { path: 'steps[0].waitFor.transactions', kind: 'transactions', counts: [{ node: 'alice', count: 3 }, { node: 'bob', count: 3 }, { node: 'carol', count: 3 }] },
      { path: 'steps[0].waitFor.peers', kind: 'peers', counts: [{ node: 'alice', count: 2 }] },
      { path: 'steps[0].waitFor.fileReceived[0]', kind: 'fileReceived', node: 'bob', sha256: 'ab'.repeat(32) },
      { path: 'steps[0].waitFor.logged', kind: 'logged', nodes: ['alice', 'bob', 'carol'], type: 'fork-detected' },
      { path: 'steps[0].waitFor.balances', kind: 'balances', balances: [{ node: 'bob', amount: 0n }] },
    ]);
  });

  it('accepts a node with no settings and fault settings on nodes', () => {
    const pb = valid('name: x\nnodes:\n  a:\n  b: { host: 0.0.0.0, data: ./b, seed: 3, faults: { dropIn: 0.2, delay: 1s } }\nsteps:\n  - heal:\n');
    expect(pb.nodes.map((n) => ({ ...n, pos: undefined }))).toEqual([
      { name: 'a', host: '127.0.0.1', faults: {}, pos: undefined },
      { name: 'b', host: '0.0.0.0', data: { text: './b', resolved: resolve('/pb/b') }, seed: 3, faults: { dropIn: 0.2, delayMs: 1000 }, pos: undefined },
    ]);
  });
});

describe('robustness', () => {
  it('never throws on mangled input, and every error has a position', async () => {
    const { readFileSync } = await import('node:fs');
    const { Prng } = await import('../../src/runtime/prng.ts');
    const text = readFileSync(fixture('design-example.yaml'), 'utf8');
    const prng = new Prng(7);
    const junk = ['', ':', '{', '}', '[', ']', '-', ' ', '\n', 'all', '0', '-1', 'x', '"', '*a', '&a ', '!!int ', '? '];
    for (let i = 0; i < 400; i++) {
      let t = text;
      for (let k = 0; k <= prng.int(3); k++) {
        const at = prng.int(t.length);
        t = t.slice(0, at) + prng.pick(junk) + t.slice(at + prng.int(4));
      }
      const r = loadPlaybook(t, 'f.yaml');
      expect(r.playbook !== undefined || r.errors.length > 0).toBe(true);
      for (const e of r.errors) {
        expect(e.line).toBeGreaterThanOrEqual(1);
        expect(e.column).toBeGreaterThanOrEqual(1);
        expect(e.message).not.toBe('');
      }
    }
  });
});
