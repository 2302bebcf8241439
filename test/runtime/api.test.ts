/** The API table (src/runtime/api.ts): every row is a real member of a node, and each row is offered at every door it lists. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STEP_KINDS } from '../../src/playbooks/steps.ts';
import { Recorder } from '../../src/repl/recorder.ts';
import { API, ROBOT_ACTIONS, apiMethod, isPeerKind, stepMethod } from '../../src/runtime/api.ts';
import { CONTROL_METHODS, ControlClient, PATH_ARGS, startControlServer } from '../../src/runtime/control/index.ts';
import { Node } from '../../src/runtime/node.ts';
import { runCli } from '../cli/spawn.ts';
import { startNodes, stopAll, until } from '../helpers.ts';
import { Harness } from '../repl/harness.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peerlab-api-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the API table', () => {
  it('names real members of a node, each once: methods are functions, properties are there', () => {
    const node = new Node({ memory: true });
    expect(new Set(API.map((m) => m.name)).size).toBe(API.length);
    for (const m of API) {
      const parts = m.name.split('.');
      const owner = parts.slice(0, -1).reduce<Record<string, unknown>>((o, p) => o[p] as Record<string, unknown>, node as unknown as Record<string, unknown>);
      const last = parts[parts.length - 1]!;
      if (m.property) expect(last in owner, m.name).toBe(true);
      else expect(typeof owner[last], m.name).toBe('function');
      expect(m.signature.startsWith(`node.${m.name}`), m.name).toBe(true);
      const firstOptional = m.params.findIndex((p) => p.optional);
      if (firstOptional >= 0) expect(m.params.slice(firstOptional).every((p) => p.optional), `${m.name}: optional parameters come last`).toBe(true);
    }
  });

  it('gives every playbook step a unique key and place, and steps set only parameters the method has', () => {
    const steps = API.flatMap((m) => (m.exposed.step ? [{ m, step: m.exposed.step }] : []));
    expect(new Set(steps.map((s) => s.step.key)).size).toBe(steps.length);
    expect(new Set(steps.map((s) => s.step.order)).size).toBe(steps.length);
    for (const { m, step } of steps) {
      for (const name of Object.keys(step.args)) expect(m.params.map((p) => p.name), `${m.name} step sets ${name}`).toContain(name);
      expect(stepMethod(step.key)).toBe(m);
      expect(STEP_KINDS.filter((k) => k === step.key)).toHaveLength(1);
    }
  });

  it('lets robots call only methods of the table that take a peer first', () => {
    for (const kind of Object.keys(ROBOT_ACTIONS)) {
      const m = apiMethod(kind);
      expect(m, kind).toBeDefined();
      expect(isPeerKind(m!.params[0]!.kind), kind).toBe(true);
    }
  });

  it('gives the control socket what it exposes, with the file paths made absolute by the caller', () => {
    expect(CONTROL_METHODS).toEqual(API.filter((m) => m.exposed.control).map((m) => m.name));
    expect(PATH_ARGS).toEqual({ exportCsv: [0], sendFile: [1], sendWithFile: [2] });
    expect(CONTROL_METHODS).not.toContain('on'); // a callback cannot travel over a socket
  });
});

/** The test: four methods written only in their implementation and the table, still offered everywhere. */
describe('one row, every door', () => {
  const FOUR = ['sendWithFile', 'sendCustom', 'requestBalance', 'clearAndRebuild'];

  it('REPL: help(node.x) explains each and Tab completes it', async () => {
    const nodes = await startNodes(1);
    cleanup.push(() => stopAll(nodes));
    const h = await Harness.start(nodes);
    cleanup.push(() => h.close());
    for (const name of FOUR) {
      const m = apiMethod(name)!;
      const text = await h.run(`help(node.${name})`);
      expect(text.startsWith(m.signature), text).toBe(true);
      expect(text).toContain(m.description);
      expect(text).toContain(`example: ${m.example}`);
      expect((await h.complete(`node.${name.slice(0, -2)}`))[0]).toContain(`node.${name}`);
    }
    expect(await h.run('help(node.sendWithFile)')).toMatch(/^node\.sendWithFile\(to, amount, path, fields\?\)\n {2}A transaction that references a file/);
  });

  it('control socket: each is allowed, and sendWithFile sends a file named relative to the caller', async () => {
    const [a, b] = (await startNodes(2)) as [Node, Node];
    cleanup.push(() => stopAll([a, b]));
    await a.join(b.advertised);
    const server = await startControlServer(a);
    cleanup.push(() => server.stop());
    const dir = await tempDir();
    await writeFile(join(dir, 'invoice.txt'), 'March: 5.00\n');
    const client = await ControlClient.connect(server.path, { cwd: dir });
    cleanup.push(() => client.close());
    expect((await client.describe()).methods).toEqual(expect.arrayContaining(FOUR));
    const r = await client.call<{ transaction: { amount: string }; file: { name: string } }>('sendWithFile', [b.name, '5', 'invoice.txt']);
    expect(r.transaction.amount).toBe('5.00');
    expect(r.file.name).toBe('invoice.txt');
    await until(async () => (await b.inbox()).some((f) => f.name === 'invoice.txt'), 'bob has the file');
  });

  it('recorder: each call becomes its playbook step, and peerlab check accepts the playbook', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'invoice.txt'), 'March: 5.00\n');
    let t = 0;
    const rec = new Recorder({
      file: join(dir, 'session.yaml'), cwd: dir, date: null, now: () => t,
      nodes: [{ name: 'alice', addresses: ['127.0.0.1:5001'] }, { name: 'bob', addresses: ['127.0.0.1:5002'] }],
    });
    const calls: [string, unknown[]][] = [
      ['sendWithFile', ['bob', 5, 'invoice.txt', { Memo: 'March' }]],
      ['sendCustom', ['bob', '2.50', { Name: 'Connor' }]],
      ['requestBalance', ['127.0.0.1:5002']],
      ['clearAndRebuild', []],
    ];
    for (const [method, args] of calls) {
      rec.begin({ node: 'alice', method, args })?.({ ok: true, value: undefined });
      t += 10;
    }
    await rec.write();
    const text = await readFile(join(dir, 'session.yaml'), 'utf8');
    expect(text).toContain('  - sendWithFile: { from: alice, to: bob, amount: 5, path: invoice.txt, fields: { Memo: March } }\n');
    expect(text).toContain('  - sendCustom: { from: alice, to: bob, amount: "2.50", fields: { Name: Connor } }\n');
    expect(text).toContain('  - requestBalance: { from: alice, to: bob }\n');
    expect(text).toContain('  - clearAndRebuild: alice\n');
    const check = await runCli(['check', join(dir, 'session.yaml')]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
  });
});
