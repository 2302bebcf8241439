import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpeed, replayCommand, type ReplayIo } from '../../src/cli/replay-command.ts';
import { parseTrace } from '../../src/trace/read-trace.ts';
import { formatItem, nodeWidth } from '../../src/trace/replay-format.ts';
import { filterItems, replay, traceItems, type ReplayClock, type ReplayItem } from '../../src/trace/replay.ts';
import { parseSession } from '../../src/trace/session.ts';
import { TraceIndex } from '../../src/trace/trace-index.ts';
import { event, smallRun, T0 } from './records.ts';

/** A clock that never waits: sleep moves time on and notes how long it was asked to sleep. */
class FakeClock implements ReplayClock {
  t = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

const item = (at: number, type = 'x', kind: ReplayItem['kind'] = 'event', nodes = ['alice']): ReplayItem => ({ at, nodes, kind, type });

/** Plays items and notes when (on the fake clock) each one was shown. */
async function play(items: ReplayItem[], speed: number, opts: { showCost?: number; pauseMs?: number } = {}) {
  const clock = new FakeClock();
  const shown: Array<{ type: string; at: number }> = [];
  const result = await replay(items, {
    speed,
    clock,
    show: (i) => {
      shown.push({ type: i.type, at: clock.now() });
      clock.t += opts.showCost ?? 0;
    },
    ...(opts.pauseMs !== undefined ? { pause: async () => void (clock.t += opts.pauseMs!) } : {}),
  });
  return { clock, shown, result };
}

describe('replay pacing (injected clock)', () => {
  const items = [item(1000, 'a'), item(1000, 'b'), item(1250, 'c'), item(3000, 'd')];

  it('speed 1 shows each item at its own offset from the first', async () => {
    const { shown, clock, result } = await play(items, 1);
    expect(shown).toEqual([{ type: 'a', at: 0 }, { type: 'b', at: 0 }, { type: 'c', at: 250 }, { type: 'd', at: 2000 }]);
    expect(clock.sleeps).toEqual([250, 1750]);
    expect(result).toEqual({ shown: 4, slept: 2000 });
  });

  it('--speed 4 is four times faster, --speed 0.5 half as fast', async () => {
    expect((await play(items, 4)).shown.map((s) => s.at)).toEqual([0, 0, 62.5, 500]);
    expect((await play(items, 0.5)).shown.map((s) => s.at)).toEqual([0, 0, 500, 4000]);
  });

  it('--speed 0 / max never waits', async () => {
    for (const speed of [Infinity, 0]) {
      const { clock, shown } = await play(items, speed);
      expect(clock.sleeps).toEqual([]);
      expect(shown.map((s) => s.type)).toEqual(['a', 'b', 'c', 'd']);
    }
  });

  it('keeps an absolute schedule: time spent printing is not added to the gaps', async () => {
    const { shown } = await play(items, 1, { showCost: 100 });
    expect(shown.map((s) => s.at)).toEqual([0, 100, 250, 2000]);
  });

  it('folds sub-millisecond waits into the next wait (few sleeps, exact schedule)', async () => {
    const dense = Array.from({ length: 10 }, (_, i) => item(i * 0.4, `i${i}`));
    const { clock, shown } = await play(dense, 1);
    expect(clock.sleeps.every((ms) => ms >= 1)).toBe(true);
    expect(shown[9]!.at).toBeCloseTo(3.6, 6);
    expect(clock.sleeps.length).toBeLessThan(5);
  });

  it('pauses at say markers; the pause does not eat into the schedule', async () => {
    const story = [item(0, 'a'), { at: 100, nodes: [], kind: 'say' as const, type: 'say', text: 'look' }, item(300, 'b')];
    const { shown } = await play(story, 1, { pauseMs: 5000 });
    expect(shown).toEqual([{ type: 'a', at: 0 }, { type: 'say', at: 100 }, { type: 'b', at: 5300 }]);
  });
});

describe('replaying a trace', () => {
  // Latest first in the file (equal times keep their order, as one process writes them).
  const records = parseTrace([...smallRun()].sort((a, b) => b.time - a.time).map((r) => JSON.stringify(r)).join('\n')).records;
  const items = traceItems(records);
  const index = new TraceIndex(records);

  it('plays records in time order, whatever order the file had', () => {
    const at = items.map((i) => i.at);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(at[0]).toBe(0);
    expect(items.at(-1)!.at).toBe(41);
  });

  it('filters by node and by kind (message type, event type, record kind, globs)', () => {
    const types = (f: Parameters<typeof filterItems>[1]): string[] => filterItems(items, f).map((i) => `${i.nodes[0]}:${i.kind}:${i.type}`);
    expect(types({ nodes: ['carol'] })).toEqual(['carol:event:node-started', 'carol:send:ping', 'carol:drop:ping', 'carol:drop:ping', 'carol:deliver:digest']);
    expect(types({ kinds: ['drop'] })).toEqual(['carol:drop:ping', 'carol:drop:ping']);
    expect(types({ kinds: ['txn*'], nodes: ['bob'] })).toEqual(['bob:deliver:txn', 'bob:event:txn-accepted']);
    expect(types({ kinds: ['hello', 'peer-added'], nodes: ['alice'] })).toEqual(['alice:deliver:hello', 'alice:event:peer-added', 'alice:send:hello']);
  });

  it('prints one line per record, naming peers by node name', () => {
    const ctx = { index, nodeWidth: nodeWidth(items, index) };
    const lines = items.map((i) => formatItem(i, ctx));
    expect(lines).toContain('  +0.010s  bob    → alice  hello  L1  100 B  #m1');
    expect(lines).toContain('  +0.012s  alice  ← bob    hello  L1→2  100 B  #m1');
    expect(lines).toContain('  +0.020s  carol  ✕→ alice  ping  dropped (drop)  L1  #m3');
    expect(lines).toContain('  +0.023s  carol  ✕← alice  ping  dropped (drop-in)  L5  #m4');
    expect(lines).toContain('  +0.030s  alice  txn-accepted  alice → bob 25.50  seq 1  #t1  L6');
  });

  it('treats a traced say event as a marker that passes every filter', () => {
    const withSay = traceItems([...records, event('playbook', 'say', 35, 0, { text: 'now the partition' })].sort((a, b) => a.time - b.time));
    const kept = filterItems(withSay, { nodes: ['bob'], kinds: ['digest'] });
    expect(kept.map((i) => `${i.kind}:${i.type}`)).toEqual(['say:say', 'send:digest']);
    expect(formatItem(kept[0]!, { nodeWidth: 5 })).toBe('  +0.035s  » now the partition');
  });
});

const SESSION = `# Recorded by peerlab repl.
name: my session
nodes:
  alice: {}
  bob: {}
  carol: {}
steps:
  - join: { node: bob, peer: alice }
  - waitFor: { peers: 2, within: 5s }
  - wait: 1.5s
  - say: alice pays bob
  - send: { from: alice, to: bob, amount: 25.50 }
  - robot: { nodes: [alice, carol], every: 100ms, for: 2s, maxAmount: 5 }
  - robot: { nodes: all, every: 100ms, for: 10s, background: true }
  - parallel:
      - wait: 300ms
      - send: { from: bob, to: carol, amount: 1 }
  - heal: {}
  - at: 1s
    say: one second in
  - wait: soon
`;

describe('replaying a recorded session (playbook YAML)', () => {
  it('lays steps on the playbook timeline: waits, foreground robots, parallel, at:', () => {
    const s = parseSession(SESSION, 's.yaml');
    expect(s.name).toBe('my session');
    expect(s.nodes).toEqual(['alice', 'bob', 'carol']);
    expect(s.items.map((i) => `${i.at} ${i.kind === 'say' ? `say: ${i.text}` : i.type} [${i.nodes.join(',')}]`)).toEqual([
      '0 join [bob,alice]',
      '0 waitFor []',
      '0 wait []',
      '1000 say: one second in []',
      '1500 say: alice pays bob []',
      '1500 send [alice,bob]',
      '1500 robot [alice,carol]',
      '3500 robot [alice,bob,carol]',
      '3500 parallel [bob,carol]',
      '3500 wait []',
      '3500 send [bob,carol]',
      '3800 heal []',
      '3800 wait []',
    ]);
    expect(s.problems).toEqual([{ line: 21, message: 'wait: "soon" is not a duration like 200ms or 2s; taken as 0' }]);
  });

  it('prints steps as lines', () => {
    const s = parseSession(SESSION);
    const ctx = { nodeWidth: nodeWidth(s.items) };
    const lines = s.items.map((i) => formatItem(i, ctx).trimEnd());
    expect(lines[0]).toBe('  +0.000s  bob,alice        join node=bob peer=alice');
    expect(lines[4]).toBe('  +1.500s  » alice pays bob');
    expect(lines[5]).toBe('  +1.500s  alice,bob        send from=alice to=bob amount=25.5');
    expect(lines[2]).toBe('  +0.000s                   wait 1.5s');
    expect(lines[8]).toBe('  +3.500s  bob,carol        parallel 2 steps together');
  });

  it('refuses text that is not YAML, or YAML without steps, with one line naming the place', () => {
    expect(() => parseSession('steps: [\n  - a', 'bad.yaml')).toThrow(/^bad\.yaml:\d+:\d+: not valid YAML: /);
    expect(() => parseSession('name: x\n', 'x.yaml')).toThrow('x.yaml: not a recorded session or playbook (no steps: list)');
  });
});

describe('peerlab replay (command, in process)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerlab-replay-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function io(opts: { tty?: boolean } = {}) {
    const stdout = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
    const stderr = new PassThrough();
    const stdin = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const clock = new FakeClock();
    const codes: number[] = [];
    const value: ReplayIo = { stdout, stderr, stdin, env: { FORCE_COLOR: '0' }, clock, exit: (c) => void codes.push(c) };
    return { value, clock, codes, stdin, out: () => out, err: () => err };
  }

  async function run(args: string[], x = io()) {
    await replayCommand(x.value).exitOverride().parseAsync(args, { from: 'user' });
    return x;
  }

  it('plays a trace file at --speed 2 on the injected clock, filtered', async () => {
    const path = join(dir, 'run.jsonl');
    await writeFile(path, smallRun().map((r) => JSON.stringify(r)).join('\n') + '\n');
    const x = await run([path, '--speed', '2', '--node', 'alice,bob', '--kind', 'hello', '--kind', 'txn']);
    expect(x.codes).toEqual([]);
    const lines = x.out().trimEnd().split('\n');
    expect(lines).toEqual([
      '  +0.010s  bob    → alice  hello  L1  100 B  #m1',
      '  +0.012s  alice  ← bob    hello  L1→2  100 B  #m1',
      '  +0.013s  alice  → bob    hello  L3  100 B  #m2',
      '  +0.015s  bob    ← alice  hello  L3→4  100 B  #m2',
      '  +0.031s  alice  → bob    txn  L7  100 B  #m5',
      '  +0.031s  alice  → carol  txn  L8  100 B  #m6',
      '  +0.033s  bob    ← alice  txn  L7→8  100 B  #m5',
    ]);
    // From the first shown record (10 ms) to the last (33 ms), at twice the speed: 11.5 ms of waiting.
    expect(x.clock.sleeps.reduce((a, b) => a + b, 0)).toBeCloseTo(11.5, 6);
    expect(x.err()).toMatch(/^replaying .*run\.jsonl \(trace: 19 records; 3 nodes: alice, bob, carol\); 7 shown over 0\.02 s at 2x\n$/);
  });

  it('reports bad lines with their numbers and plays the rest', async () => {
    const path = join(dir, 'cut.jsonl');
    await writeFile(path, `${JSON.stringify(smallRun()[0])}\n{"kind":\n`);
    const x = await run([path, '--speed', 'max']);
    expect(x.codes).toEqual([]);
    expect(x.err()).toContain(`peerlab replay: ${path}:2: not JSON`);
    expect(x.out()).toContain('node-started');
  });

  it('pauses at say: when interactive until Enter is pressed', async () => {
    const path = join(dir, 'story.yaml');
    await writeFile(path, 'nodes: { a: {}, b: {} }\nsteps:\n  - say: first\n  - wait: 2s\n  - send: { from: a, to: b, amount: 1 }\n');
    const x = io({ tty: true });
    const done = run([path], x);
    await new Promise((r) => setTimeout(r, 50));
    expect(x.out()).toContain('» first');
    expect(x.out()).toContain('press Enter');
    expect(x.out()).not.toContain('send from=a');
    x.stdin.write('\n');
    await done;
    expect(x.out()).toContain('send from=a to=b amount=1');
    expect(x.clock.sleeps).toEqual([2000]);
  });

  it('exits 2 with one clear line for an unreadable file, an unknown node or a bad --speed', async () => {
    const missing = await run([join(dir, 'nope.jsonl')]);
    expect(missing.codes).toEqual([2]);
    expect(missing.err()).toBe(`peerlab replay: cannot read ${join(dir, 'nope.jsonl')}: no such file\n`);

    const path = join(dir, 'run.jsonl');
    const unknown = await run([path, '--node', 'zed']);
    expect(unknown.codes).toEqual([2]);
    expect(unknown.err()).toBe(`peerlab replay: no node named zed in ${path} (nodes: alice, bob, carol)\n`);

    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    expect((await run([empty])).err()).toBe(`peerlab replay: ${empty} is empty\n`);

    expect(() => parseSpeed('fast')).toThrow(/expected a number >= 0/);
    expect(() => parseSpeed('-1')).toThrow(/expected a number >= 0/);
    expect([parseSpeed('max'), parseSpeed('0'), parseSpeed('2.5')]).toEqual([Infinity, Infinity, 2.5]);
  });
  it('exits 2 for a --kind nothing in the file answers to, naming the kinds it holds and the nearest one', async () => {
    const path = join(dir, 'run.jsonl');
    await writeFile(path, smallRun().map((r) => JSON.stringify(r)).join('\n') + '\n');
    const kinds = 'deliver, digest, drop, event, hello, node-started, peer-added, ping, send, txn, txn-accepted';
    const typo = await run([path, '--kind', 'txn-acepted', '--speed', 'max']);
    expect(typo.codes).toEqual([2]);
    expect(typo.out()).toBe('');
    expect(typo.err()).toBe(`peerlab replay: unknown kind txn-acepted (did you mean txn-accepted?); the kinds in ${path}: ${kinds}\n`);

    // Several at once, one of them fine; a glob that matches nothing counts too.
    const two = await run([path, '--kind', 'hello,fork-detected', '--kind', 'file-*', '--speed', 'max']);
    expect(two.codes).toEqual([2]);
    expect(two.err()).toBe(`peerlab replay: unknown kinds fork-detected, file-*; the kinds in ${path}: ${kinds}\n`);

    // Every kind answered: plays as before.
    const fine = await run([path, '--kind', 'txn*,drop', '--speed', 'max']);
    expect(fine.codes).toEqual([]);
    expect(fine.out()).toContain('txn-accepted');
  });
});

describe('time stamps', () => {
  it('are relative to the first record of the file', () => {
    const items = traceItems([event('alice', 'log', 500, 1), event('alice', 'log', 1750, 2)].map((r) => ({ ...r, time: r.time - T0 + 42 })));
    expect(items.map((i) => i.at)).toEqual([0, 1250]);
  });
});
