/**
 * The simulated-only fault steps of issue 16 item 1 — `diskFull`, `clockJump`, `hostile` — each
 * run on simulated time with every invariant checked: the effect shows in the trace and the
 * report, a correct node stays quiet under the invariants, and `check` refuses each in `mode: real`.
 */
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { formatPlan } from '../../src/playbooks/format-plan.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { playSimulated } from '../../src/playbooks/sim-play.ts';
import type { TraceRecord } from '../../src/runtime/trace.ts';

const HEAD = (mode: string): string =>
  [
    'name: world faults',
    'seed: 7',
    `mode: ${mode}`,
    'settings:',
    '  heartbeat: { interval: 200ms, timeout: 2s }',
    '  network: { initialBalance: 1000, scale: 2 }',
    'nodes:',
    '  alice: {}',
    '  bob: {}',
    '  carol: {}',
    'steps:',
    '  - join: { node: bob, peer: alice }',
    '  - join: { node: carol, peer: alice }',
    '  - waitFor: { peers: 2, within: 5s }',
  ].join('\n');

function load(steps: string[], mode = 'simulated') {
  return loadPlaybook(`${HEAD(mode)}\n${steps.map((s) => `  ${s}`).join('\n')}\n`, 'world-faults.yaml');
}

async function run(steps: string[]) {
  const { playbook, errors } = load(steps);
  expect(errors).toEqual([]);
  const plan = planPlaybook(playbook!);
  const out = await playSimulated(plan, { trace: true });
  return { plan, out, events: (type: string, node?: string) => out.trace.filter((r): r is Extract<TraceRecord, { kind: 'event' }> => r.kind === 'event' && r.type === type && (node === undefined || r.node === node)) };
}

describe('diskFull', () => {
  it('refuses writes with ENOSPC: a send from the full node fails and moves no money, then the disk has room again', async () => {
    const { out, events, plan } = await run([
      '- diskFull: { node: alice, for: 3s }',
      '- send: { from: alice, to: bob, amount: 10 }',
      '  mayFail: true',
      '- wait: 3500ms',
      '- send: { from: alice, to: bob, amount: 7 }',
      '- waitFor: { converged: all, within: 10s }',
      '- expect: { balances: { alice: 993, bob: 1007 }, totalBalance: 3000 }',
    ]);
    expect(formatPlan(plan)).toContain('diskFull alice: writes fail with ENOSPC for 3s');
    const failed = out.result.steps.find((s) => s.id === 'steps[4]')!;
    expect(failed.status).toBe('tolerated');
    expect(failed.error).toMatch(/ENOSPC|disk|space/i);
    const marks = events('world-fault').map((r) => r.data as Record<string, unknown>);
    expect(marks).toEqual([
      { node: 'alice', fault: 'diskFull', code: 'ENOSPC', forMs: 3000 },
      { node: 'alice', fault: 'diskFull', off: true, after: 3000 },
    ]);
    expect(out.violation).toBeUndefined();
    expect(out.result.ok, JSON.stringify(out.result.steps.filter((s) => s.status !== 'ok'))).toBe(true);
  }, 60_000);

  it('stays full until diskFull off', async () => {
    const { out, events } = await run([
      '- diskFull: { node: bob }',
      '- wait: 10s',
      '- send: { from: bob, to: alice, amount: 5 }',
      '  mayFail: true',
      '- diskFull: { node: bob, off: true }',
      '- send: { from: bob, to: alice, amount: 6 }',
      '- waitFor: { converged: all, within: 10s }',
      '- expect: { balances: { alice: 1006, bob: 994 } }',
    ]);
    expect(out.result.steps.find((s) => s.id === 'steps[5]')!.status).toBe('tolerated');
    expect(events('world-fault').map((r) => (r.data as { off?: boolean }).off ?? false)).toEqual([false, true]);
    expect(out.violation).toBeUndefined();
    expect(out.result.ok).toBe(true);
  }, 60_000);
});

describe('clockJump', () => {
  it("moves the node's wall clock in its trace lines, not its Lamport clock; no healthy peer is removed", async () => {
    const { out, events } = await run([
      '- clockJump: { node: carol, by: 2h }',
      '- wait: 3s',
      '- clockJump: { node: bob, by: -30s }',
      '- wait: 3s',
      '- send: { from: carol, to: alice, amount: 3 }',
      '- waitFor: { converged: all, within: 10s }',
      '- expect: { peers: 2 }',
    ]);
    expect(events('world-fault').map((r) => r.data)).toEqual([
      { node: 'carol', fault: 'clockJump', byMs: 7_200_000, offsetMs: 7_200_000 },
      { node: 'bob', fault: 'clockJump', byMs: -30_000, offsetMs: -30_000 },
    ]);
    // Carol's trace lines are two hours ahead of alice's from the jump on.
    const jumpAt = events('world-fault')[0]!.time;
    const carolAfter = out.trace.find((r) => r.node === 'carol' && r.kind === 'send' && r.time > jumpAt + 3_600_000);
    const aliceAfter = out.trace.find((r) => r.node === 'alice' && r.kind === 'send' && r.time > jumpAt);
    expect(carolAfter).toBeDefined();
    expect(aliceAfter!.time).toBeLessThan(jumpAt + 60_000);
    // No peer removed by anyone (the heartbeat counts silence on timers, not on the wall clock).
    expect(out.trace.filter((r) => r.kind === 'event' && r.type === 'peer-removed')).toEqual([]);
    expect(out.violation).toBeUndefined();
    expect(out.result.ok).toBe(true);
  }, 60_000);
});

describe('hostile', () => {
  it('sends each kind of hostile datagram from fresh keys; the node refuses them all and stays on the network', async () => {
    const { out, events, plan } = await run([
      '- hostile: { node: bob, count: 40 }',
      '- hostile: { node: carol, count: 3, kind: lamport }',
      '- send: { from: bob, to: carol, amount: 4 }',
      '- waitFor: { converged: all, within: 10s }',
      '- expect: { peers: 2, balances: { bob: 996, carol: 1004 } }',
    ]);
    expect(formatPlan(plan)).toContain('hostile 40 mixed datagrams to bob from fresh keys');
    const marks = events('world-fault').map((r) => r.data as { node: string; sent: Record<string, number> });
    expect(marks[0]).toMatchObject({ node: 'bob', fault: 'hostile', count: 40, sent: { forged: 10, oversized: 10, malformed: 10, lamport: 10 } });
    expect(marks[1]).toMatchObject({ node: 'carol', sent: { forged: 0, oversized: 0, malformed: 0, lamport: 3 } });
    const rejected = events('message-rejected', 'bob').map((r) => (r.data as { reason: string }).reason);
    for (const reason of ['too-large', 'not-json', 'bad-envelope', 'bad-body', 'unknown-type', 'lamport-ahead']) expect(rejected, reason).toContain(reason);
    expect(events('message-rejected', 'carol').filter((r) => (r.data as { reason: string }).reason === 'lamport-ahead')).toHaveLength(3);
    // Forged hellos admit nobody: bob's peers are alice and carol only.
    expect(out.trace.filter((r) => r.kind === 'event' && r.type === 'peer-added' && r.node === 'bob' && JSON.stringify(r.data).includes('mallory'))).toEqual([]);
    expect(out.violation).toBeUndefined();
    expect(out.result.ok).toBe(true);
  }, 60_000);

  it('replays exactly: the same seed sends the same bytes', async () => {
    const a = await run(['- hostile: { node: bob, count: 8 }']);
    const b = await run(['- hostile: { node: bob, count: 8 }']);
    const lines = (o: typeof a): string => o.out.trace.filter((r) => r.kind === 'event' && r.type === 'message-rejected').map((r) => JSON.stringify(r)).join('\n');
    expect(lines(a)).not.toBe('');
    expect(lines(b)).toBe(lines(a));
  }, 60_000);
});

describe('in mode: real', () => {
  it('check refuses each of them, naming mode: simulated', () => {
    for (const step of ['- diskFull: { node: alice, for: 1s }', '- clockJump: { node: alice, by: -30s }', '- hostile: { node: alice, count: 5 }', '- crash: { node: alice, midWrite: true }']) {
      const { errors } = load([step], 'real');
      expect(errors.length, step).toBe(1);
      expect(errors[0]!.message, step).toMatch(/needs simulated time \(add mode: simulated/);
    }
  });

  it('refuses bad shapes with clear errors', () => {
    const msg = (step: string): string => load([step]).errors.map((e) => e.message).join(' | ');
    expect(msg('- clockJump: { node: alice, by: 0s }')).toMatch(/a clock jump of 0 moves nothing/);
    expect(msg('- clockJump: { node: alice, by: 30 }')).toMatch(/needs a unit/);
    expect(msg('- diskFull: { node: alice, for: 1s, off: true }')).toMatch(/off: true frees the disk now/);
    expect(msg('- hostile: { node: alice, count: 0 }')).toMatch(/must be at least 1, got 0/);
    expect(msg('- hostile: { node: alice, count: 2, kind: nasty }')).toMatch(/must be one of 'forged', 'oversized', 'malformed', 'lamport'/);
    expect(msg('- diskFull: { node: dave }')).toMatch(/dave/);
    expect(msg('- crash: { node: alice }')).toMatch(/missing 'midWrite'/);
    expect(msg('- crash: { node: alice, midWrite: false }')).toMatch(/must be true, got false/);
    expect(msg('- crash: { node: dave, midWrite: true }')).toMatch(/dave/);
    expect(msg('- crash: { node: alice, midwrite: true }')).toMatch(/did you mean 'midWrite'/);
  });

  it('a plain crash stays valid in both modes, and the dry run says when a crash waits for a write', () => {
    expect(load(['- crash: alice'], 'real').errors).toEqual([]);
    const { playbook, errors } = load(['- crash: { node: alice, midWrite: true }']);
    expect(errors).toEqual([]);
    expect(formatPlan(planPlaybook(playbook!))).toContain('crash alice (inside its next write)');
  });
});
