/**
 * The acceptance's eight-node run, on a playbook of the same shape (the held-out one is the
 * lead's): a file, drops, duplicates, a crash, a partition and a minute of robots every 100 ms on
 * simulated time. One seed gives identical traces and reports; another gives another run, even
 * with every id normalised away; money is conserved. (Its speed, simulated over wall time, is a
 * benchmark figure: `npm run bench -- sim-speed`.)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/cli/play.ts';
import { withoutWall } from '../../src/cli/play-sim.ts';

const FILE = 'test/playbooks/fixtures/sim/eight-nodes.yaml';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peerlab-sim-eight-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

async function run(tag: string, seed?: number): Promise<{ code: number; text: string; trace: string; report: Record<string, unknown> }> {
  let text = '';
  const trace = join(out, `${tag}.jsonl`);
  const report = join(out, `${tag}.json`);
  const code = await play(FILE, { trace, report, ...(seed !== undefined ? { seed } : {}) }, (s) => (text += s));
  return { code, text, trace: await readFile(trace, 'utf8'), report: JSON.parse(await readFile(report, 'utf8')) as Record<string, unknown> };
}

/** The trace with every id (messages, nodes, transactions, transfers) replaced by its order of first appearance. */
function normalised(trace: string): string {
  const seen = new Map<string, string>();
  const id = (x: string): string => {
    let v = seen.get(x);
    if (!v) seen.set(x, (v = `#${seen.size}`));
    return v;
  };
  return trace.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}|[A-Za-z0-9_-]{43}/g, id);
}

describe('eight nodes, a file, drops, duplicates, a crash, a partition and a minute of robots', () => {
  it('one seed, one run; another seed, another run; money conserved', async () => {
    const a = await run('a');
    expect(a.code, a.text).toBe(0);
    expect(a.report).toMatchObject({ ok: true, mode: 'simulated' });
    expect(a.report.durationMs as number).toBeGreaterThan(60_000);
    expect(a.text).toMatch(/✓ totalBalance 8000\.00/);
    expect(a.trace).toMatch(/"type":"file-received"/);
    expect(a.trace).toMatch(/"reason":"drop"/);
    expect(a.text).toMatch(/crash n5/);
    const b = await run('b');
    expect(b.trace).toBe(a.trace);
    expect(withoutWall(b.report)).toBe(withoutWall(a.report));
    const c = await run('c', 22);
    expect(c.code, c.text).toBe(0);
    expect(normalised(c.trace)).not.toBe(normalised(a.trace));
  }, 300_000);
});
