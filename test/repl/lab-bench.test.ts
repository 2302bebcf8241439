/**
 * The REPL as a lab bench (issue 13 item 5): misspellings get a did-you-mean as the playbook
 * checker gives one (methods, node names, dot-commands); help for namespaces and topics; `.help`
 * lists the dot-commands; `node.heartbeat` shows its values.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Node } from '../../src/runtime/node.ts';
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

describe('did you mean', () => {
  it('a misspelt method names the right one', async () => {
    const { h } = await setup(['alice', 'bob', 'carol']);
    expect(await h.fail("node.sned('x', 1)")).toMatch(/node\.sned is not a function; did you mean node\.send\?/);
    expect(await h.fail("await nodes.bob.sned('alice', 1)")).toMatch(/nodes\.bob\.sned is not a function; did you mean nodes\.bob\.send\?/);
    expect(await h.fail('node.faults.sett({ drop: 0.1 })')).toMatch(/did you mean node\.faults\.set\?/);
    expect(await h.fail('node.robot.strat()')).toMatch(/did you mean node\.robot\.start\?/);
    // Nothing near: the plain error, with where to look.
    expect(await h.fail('node.zzzzzz()')).toMatch(/node\.zzzzzz is not a function; help\(\) lists what node can do/);
  });

  it('a misspelt node name names the right one', async () => {
    const { h } = await setup(['alice', 'bob', 'carol']);
    expect(await h.fail('nodes.bbo')).toMatch(/no node bbo in this session; did you mean bob\? \(nodes: alice, bob, carol\)/);
    expect(await h.fail("nodes.bbo.send('alice', 1)")).toMatch(/did you mean bob\?/);
    expect(await h.fail('nodes.zed')).toMatch(/no node zed in this session \(nodes: alice, bob, carol\)/);
    // What is there, and what JavaScript asks of any object, still works.
    expect(await h.run("'bob' in nodes")).toContain('true');
    expect(await h.run('Object.keys(nodes)')).toContain("'alice', 'bob', 'carol'");
    expect(await h.run('nodes.bob.name')).toContain("'bob'");
    expect(await h.run('typeof nodes.toString')).toContain("'function'");
  });

  it('a misspelt dot-command names the right one', async () => {
    const { h } = await setup(['alice', 'bob']);
    expect(await h.fail('.sedn bob 5')).toMatch(/unknown command \.sedn; did you mean \.send\? \(\.help lists them\)/);
    expect(await h.fail('.peer')).toMatch(/did you mean \.peers\?/);
    expect(await h.fail('.qwertyuiop')).toMatch(/unknown command \.qwertyuiop \(\.help lists them\)/);
  });
});

describe('help', () => {
  it('help(node.faults) and help("faults"): the namespace, every method in full', async () => {
    const { h } = await setup(['alice']);
    for (const line of ['help(node.faults)', "help('faults')", "help('node.faults')"]) {
      const out = await h.run(line);
      expect(out, line).toMatch(/^Faults/);
      for (const m of ['set', 'partition', 'heal', 'reset', 'get']) expect(out, `${line} shows faults.${m}`).toContain(`node.faults.${m}(`);
      expect(out).toContain('example:');
      expect(out).not.toContain('node.send(');
    }
  });

  it('topics: help("ledger"), help(node.robot), help(node.heartbeat), help("commands"), and an unknown topic lists them', async () => {
    const { h } = await setup(['alice']);
    expect(await h.run("help('ledger')")).toMatch(/^Ledger[\s\S]*node\.send\(to, amount\)[\s\S]*node\.balances\(\)/);
    expect(await h.run('help(node.robot)')).toMatch(/^Robot[\s\S]*node\.robot\.start/);
    expect(await h.run('help(node.heartbeat)')).toMatch(/^Heartbeat[\s\S]*node\.heartbeat\.interval/);
    const commands = await h.run("help('commands')");
    expect(commands).toMatch(/^REPL commands[\s\S]*\.peers[\s\S]*\.record/);
    expect(await h.run('help(nodes)')).toMatch(/nodes\.<name>/);
    expect(await h.run("help('nope')")).toMatch(/no help for "nope"; topics: peers, ledger, files, faults, heartbeat, robot, logs, lifecycle, misbehave, commands/);
  });

  it('the overview names the topics', async () => {
    const { h } = await setup(['alice']);
    expect(await h.run('help()')).toMatch(/help\('faults'\).*one topic/);
  });

  it('.help lists the dot-commands only', async () => {
    const { h } = await setup(['alice']);
    const out = await h.run('.help');
    for (const c of ['.peers', '.txns', '.send', '.record', '.use', '.events', '.exit']) expect(out).toContain(c);
    expect(out).not.toContain('node.send(');
    expect(out).not.toContain('node.faults');
    expect(out).toMatch(/help\(\) lists the node API/);
  });
});

describe('node.heartbeat', () => {
  it('shows its values, not getters', async () => {
    const { h } = await setup(['alice']);
    const out = await h.run('node.heartbeat');
    expect(out).not.toMatch(/Getter|Setter|\[Function/);
    expect(out).toMatch(/interval: 100 ms/);
    expect(out).toMatch(/timeout: 1000 ms/);
    await h.run("node.heartbeat.interval = '200ms'");
    expect(await h.run('node.heartbeat')).toMatch(/interval: 200 ms/);
    expect(await h.run('node.heartbeat.interval')).toMatch(/^200\n/);
  });
});

describe('crash and restart from the REPL', () => {
  it('await nodes.bob.crash() says what was lost; await nodes.bob.restart() brings bob back on the same address', async () => {
    const { nodes, h } = await setup(['alice', 'bob']);
    const bob = nodes[1]!;
    const address = bob.address;
    expect(await h.run('await nodes.bob.crash()')).toMatch(/crashed: nobody told, 0 unflushed writes lost \(node\.restart\(\) brings it back\)/);
    expect(await h.fail('nodes.bob.peers()')).toMatch(/node bob has crashed \(node\.restart\(\) starts it again\)/);
    expect(await h.run('await nodes.bob.restart()')).toMatch(new RegExp(`restarted on ${address.replace(/\./g, '\\.')}: 0 transactions`));
    expect(bob.running).toBe(true);
    expect(await h.run("help(nodes.bob.restart)")).toMatch(/^node\.restart\(\)/);
  });
});
