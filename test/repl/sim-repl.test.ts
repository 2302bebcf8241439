/** A REPL on simulated time (issue 10 item 6): sim.pause/inflight/drop/deliver, paused awaits, exact recordings. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simRun } from '../../src/cli/play-sim.ts';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { Runner } from '../../src/playbooks/runner.ts';
import { startSimNodes, type SimNodes } from '../../src/repl/sim-repl.ts';
import { MemoryTrace, type TraceRecord } from '../../src/runtime/trace.ts';
import { Harness, entryOf } from './harness.ts';
import { runCli } from '../cli/spawn.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

const NAMES = ['alice', 'bob', 'carol'];

async function simSession(opts: { record?: string } = {}): Promise<{ sim: SimNodes; h: Harness; trace: MemoryTrace }> {
  const trace = new MemoryTrace();
  let h: Harness | undefined;
  const sim = await startSimNodes(NAMES.map((name) => ({ name, heartbeat: { interval: '200ms', timeout: '2s' } })), {
    seed: 5,
    trace,
    decided: (kind, id) => h?.session.recording?.decision(kind, id),
  });
  cleanup.push(() => sim.stop());
  h = await Harness.start(sim.nodes.map(entryOf), {
    script: true,
    sim: sim.hooks,
    recorderNow: () => sim.world.now(),
    setupJoins: sim.setupJoins,
    recorderSettings: { heartbeat: { interval: 200, timeout: 2000 }, seed: 5, simulated: true },
    ...(opts.record ? { recordFile: opts.record } : {}),
  });
  cleanup.push(() => h!.close());
  return { sim, h, trace };
}

type Msg = Extract<TraceRecord, { msgId: string }>;
const messages = (t: MemoryTrace, id: string): Msg[] => t.records.filter((r): r is Msg => r.kind !== 'event' && r.msgId === id);

describe('a REPL on simulated time', () => {
  it('pauses, lists datagrams in flight, drops one ping by hand and delivers another: the trace shows exactly that', async () => {
    const { sim, h, trace } = await simSession();
    await h.run('sim.pause()');
    const at = sim.world.now();
    await h.run("p1 = node.ping('bob').catch(() => 'lost'); p2 = node.ping('carol'); rows = sim.inflight()");
    const rows = sim.hooks.control.inflight();
    expect(rows.map((r) => `${r.type} ${r.from}->${r.to}`).sort()).toEqual(['ping alice->bob', 'ping alice->carol']);
    expect(rows.every((r) => r.dueMs > at)).toBe(true);
    expect(rows[0]!.dueMs).toBeLessThanOrEqual(rows[1]!.dueMs);
    const listed = await h.run('rows');
    expect(listed).toMatch(/id\s+type\s+from\s+to\s+due/);
    expect(listed).toContain(rows[0]!.id);
    const [dropped, delivered] = [rows.find((r) => r.to === 'bob')!.id, rows.find((r) => r.to === 'carol')!.id];
    expect(await h.run(`sim.drop('${dropped.slice(0, 8)}')`)).toContain(dropped);
    expect(await h.run(`sim.deliver('${delivered.slice(0, 8)}')`)).toContain(delivered);
    expect(sim.world.now()).toBe(at);
    // Carol answered the delivered ping at once; her ack is now in flight back to alice.
    expect(sim.hooks.control.inflight().map((r) => `${r.type} ${r.from}->${r.to}`)).toEqual(['ack carol->alice']);
    await h.run("await sim.run('1s')");
    expect(await h.run('typeof (await p2)')).toContain("'number'");
    expect(h.session.failures).toBe(0);

    const d = messages(trace, dropped);
    expect(d.map((r) => `${r.kind} ${r.node}${r.reason ? ` ${r.reason}` : ''}`)).toEqual(['send alice', 'drop alice hand']);
    const v = messages(trace, delivered);
    expect(v.map((r) => `${r.kind} ${r.node}`)).toEqual(['send alice', 'deliver carol']);
    // Delivered by hand at the paused instant, ahead of its due time.
    expect(v[1]!.time).toBe(v[0]!.time);
  });

  it('awaiting the network while paused is an error that names sim.resume() and sim.run(), never a hang', async () => {
    const { h } = await simSession();
    await h.run('sim.pause()');
    const text = await h.fail("await node.ping('bob')");
    expect(text).toMatch(/line 2: simulated time is paused and this waits for the network: sim.resume\(\) .* await sim.run\('1s'\)/);
    // What needs no network still works while paused; running time makes the rest work again.
    expect(await h.run("(await node.send('bob', 1)).amount")).toContain('1.00');
    await h.run('sim.resume()');
    expect(await h.run("typeof (await node.ping('bob'))")).toContain("'number'");
    expect(await h.run('help(sim)')).toMatch(/sim.inflight\(\)\s+datagrams in flight/);
  });

  it('a recording keeps virtual times and hand decisions, and replays as the same run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-sim-rec-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'session.yaml');
    const { sim, h, trace } = await simSession({ record: file });
    await h.run("await node.send('bob', 7)");
    await h.run("await sim.run('300ms')");
    await h.run('sim.pause()');
    await h.run("p = nodes.bob.ping('carol').catch(() => 'lost'); q = nodes.carol.ping('alice')");
    const [first, second] = sim.hooks.control.inflight();
    await h.run(`sim.drop('${first!.id}')`);
    await h.run(`sim.deliver('${second!.id}')`);
    await h.run("await sim.run('500ms')");
    await h.run("await nodes.carol.send('alice', 3)");
    const last = sim.world.now();
    await h.run("await sim.run('1s')");
    await h.session.stopRecording();
    const yaml = await readFile(file, 'utf8');
    expect(yaml).toMatch(/^mode: simulated$/m);
    expect(yaml).toMatch(/^seed: 5$/m);
    expect(yaml).toMatch(new RegExp(`drop: "?${first!.id}"?`));
    expect(yaml).toMatch(new RegExp(`deliver: "?${second!.id}"?`));
    expect(yaml).toMatch(/- at: \d+ms\n {4}send: \{ from: alice, to: bob, amount: 7 \}/);

    const { playbook, errors } = await loadPlaybookFile(file);
    expect(errors).toEqual([]);
    const plan = planPlaybook(playbook!);
    const replay = new MemoryTrace();
    const run = simRun(plan, replay, undefined);
    await run.drive(run.cluster.start());
    const result = await run.drive(new Runner(plan, run.cluster, () => {}, run.time).run());
    await run.drive(run.cluster.stop());
    expect(result.steps.filter((s) => s.status !== 'ok')).toEqual([]);
    const upTo = (t: MemoryTrace): string[] => t.records.filter((r) => r.time - Date.UTC(2025, 0, 1) < last).map((r) => JSON.stringify(r));
    const session = upTo(trace);
    expect(session.length).toBeGreaterThan(100);
    expect(upTo(replay)).toEqual(session);
  });

  it('peerlab repl --sim runs a script on simulated time, and refuses what belongs to the real network', async () => {
    const script = ["sim.pause()", "node.ping('bob').catch(() => 0); sim.inflight().length", "await sim.run('2s')", 'sim.now()', 'nodes'].join('\n');
    const r = await runCli(['repl', '--sim', '--nodes', '2', '--seed', '3'], { input: `${script}\n`, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/peerlab repl --sim · 2 nodes alice 127.0.0.1:40000, bob 127.0.0.1:40001 .* seed 3/);
    expect(r.stdout).toMatch(/^1$/m);
    const port = await runCli(['repl', '--sim', '--port', '5001']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--sim runs the nodes on a simulated network in memory: --port has no meaning there/);
    const pace = await runCli(['repl', '--pace', '2']);
    expect(pace.code).toBe(2);
    expect(pace.stderr).toMatch(/--pace paces simulated time: add --sim/);
  }, 90_000);
});
