/**
 * Issue 15 item 8: `check` and `play` are bounded. A 50 MB playbook took 8–17 s and 1.9 GB to be
 * called valid; 10,000 nodes with unknown-node errors ran 181 s and died at 2.9 GB (every error
 * listed every node name); `play` with 10,000 in-process nodes died with EMFILE after 6,146 nodes.
 * Now each gets one clear error with exit 2, in bounded time and memory; error output stays
 * linear; a cluster larger than the machine can open is refused before anything starts.
 * (Time and memory are measured by hand, never asserted here.)
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterProblem } from '../../src/playbooks/capacity.ts';
import { PLAYBOOK_LIMITS } from '../../src/playbooks/limits.ts';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { BIN, runCli } from '../cli/spawn.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const nodesText = (n: number): string => Array.from({ length: n }, (_, i) => `  n${i}: {}\n`).join('');

function problems(text: string): string[] {
  const r = loadPlaybook(text, 'p.yaml');
  expect(r.playbook).toBeUndefined();
  return r.errors.map((e) => `${e.code} ${e.line}:${e.column} ${e.path}: ${e.message}`);
}

describe('size limits, checked before the expensive work', () => {
  it('a 50 MB playbook: one line, exit 2, for check and play', async () => {
    const line = '  - send: { from: alice, to: bob, amount: 1 }\n';
    const head = 'name: big\nnodes:\n  alice: {}\n  bob: {}\nsteps:\n';
    await writeFile(join(dir, 'big.yaml'), head + line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)));
    for (const cmd of ['check', 'play']) {
      const r = await runCli([cmd, 'big.yaml'], { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')[0]).toBe('big.yaml: the playbook is 50.0 MiB; a playbook may be at most 1 MiB');
    }
  });

  it('text past the size limit is refused without parsing it', () => {
    const text = `name: x\ndescription: "${'x'.repeat(PLAYBOOK_LIMITS.bytes)}"\nnodes: { a: {} }\nsteps: [ { heal: {} } ]\n`;
    expect(problems(text)).toEqual(['LIMIT 1:1 : the playbook is 1.00 MiB; a playbook may be at most 1 MiB']);
  });

  it('a 10,000-node playbook: one clear error at `nodes`, pointing at simulated mode, exit 2', async () => {
    const steps = Array.from({ length: 9_999 }, (_, i) => `  - join: { node: n${i + 1}, peer: n0 }\n`).join('');
    await writeFile(join(dir, 'many.yaml'), `name: many\nnodes:\n${nodesText(10_000)}steps:\n${steps}`);
    for (const cmd of ['check', 'play']) {
      const r = await runCli([cmd, 'many.yaml'], { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')[0]).toBe(
        'many.yaml:2:1: nodes: 10,000 nodes; a playbook may have at most 2,000: big networks belong in simulated mode (coming: --sim)',
      );
    }
  });

  it('10,000 nodes with an unknown node in every step: the same one error, not 10,000 lists of 10,000 names', async () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => `  - send: { from: m${i}, to: n${i}, amount: 1 }\n`).join('');
    await writeFile(join(dir, 'unknown.yaml'), `name: many\nnodes:\n${nodesText(10_000)}steps:\n${steps}`);
    const r = await runCli(['check', 'unknown.yaml'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(1000);
    expect(r.stderr).toContain('10,000 nodes; a playbook may have at most 2,000');
  });

  it('too many steps, counted inside parallel groups too', () => {
    const inner = '  - parallel:\n' + '      - say: x\n'.repeat(PLAYBOOK_LIMITS.steps);
    expect(problems(`name: x\nnodes: { a: {} }\nsteps:\n${inner}`)).toEqual([
      `LIMIT 3:1 steps: 10,001 steps (parallel groups included); a playbook may have at most 10,000`,
    ]);
  });

  it('nodes × steps: every step may name every node, so their product is bounded too', () => {
    const text = `name: x\nnodes:\n${nodesText(1_000)}steps:\n${'  - sync: all\n'.repeat(2_001)}`;
    expect(problems(text)).toEqual([
      'LIMIT 1003:1 steps: 2,001 steps for 1,000 nodes; with 1,000 nodes a playbook may have at most 2,000 steps (nodes × steps at most 2,000,000)',
    ]);
  });

  it('robots plan at most 100,000 actions in all, not per step', () => {
    const robot = '  - robot: { nodes: all, every: 5ms, for: 100s, maxAmount: 1, background: true }\n';
    expect(problems(`name: x\nnodes: { a: {}, b: {} }\nsteps:\n${robot.repeat(3)}`)).toEqual([
      'BAD_VALUE 6:33 steps[2].robot.every: robots in this playbook would plan 120,000 actions in all (at most 100,000): use a longer every, a shorter for or fewer robot steps',
    ]);
  });

  it('nesting past 64 levels is one clear error, however deep (no stack overflow)', () => {
    let nested = '';
    for (let i = 0; i < 70; i++) nested += `${'  '.repeat(i + 1)}- parallel:\n`;
    nested += `${'  '.repeat(71)}- say: deep\n`;
    expect(problems(`name: x\nnodes: { a: {} }\nsteps:\n${nested}`)).toEqual([
      `LIMIT 35:67 steps[0]${'.parallel[0]'.repeat(31)}: nested more than 64 levels deep`,
    ]);
    for (const depth of [1_000, 100_000]) {
      const errors = problems(`name: x\nnodes: { a: {} }\nsteps: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^LIMIT 3:\d+ .*nested more than 64 levels deep$/);
    }
  });
});

describe('error output stays linear', () => {
  it('an unknown node lists at most 10 names, then says how many more', () => {
    const text = `name: x\nnodes:\n${nodesText(50)}steps:\n  - send: { from: n0, to: zzzz, amount: 1 }\n`;
    expect(problems(text)).toEqual([
      "UNKNOWN_NODE 54:27 steps[0].send.to: unknown node 'zzzz' (nodes are n0, n1, n2, n3, n4, n5, n6, n7, n8, n9 and 40 more)",
    ]);
  });

  it('at most 100 errors are reported, then a count of the rest', async () => {
    const steps = Array.from({ length: 2_000 }, (_, i) => `  - send: { from: m${i}, to: n${i % 1_000}, amount: 1 }\n`).join('');
    await writeFile(join(dir, 'errors.yaml'), `name: x\nnodes:\n${nodesText(1_000)}steps:\n${steps}`);
    const r = await runCli(['check', 'errors.yaml'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(PLAYBOOK_LIMITS.errors + 2);
    expect(lines[0]).toBe("errors.yaml:1004:19: steps[0].send.from: unknown node 'm0'; did you mean 'n0'?");
    expect(lines.at(-2)).toBe('errors.yaml:1104:19: … and 1,900 more errors');
    expect(lines.at(-1)).toBe('2,000 errors in errors.yaml');
    expect(r.stderr.length).toBeLessThan(100 * 200);
  });
});

describe('a cluster larger than the machine can open is refused before it starts', () => {
  it('the estimate: file descriptors per node against the open-file limit, memory per process', () => {
    const cap = { openFiles: 20_000, availableBytes: 20 * 1024 ** 3 };
    expect(clusterProblem(3_000, 'in-process', cap)).toBeUndefined();
    expect(clusterProblem(10_000, 'in-process', cap)).toBe(
      '10,000 in-process nodes need about 50,064 open files (5 per node: sockets and the ledger log) but this process may open 20,000 (ulimit -n): at most 3,987 nodes fit. Raise the limit or use fewer nodes; big networks belong in simulated mode (coming: --sim)',
    );
    expect(clusterProblem(100, 'process', cap)).toBeUndefined();
    expect(clusterProblem(1_000, 'process', cap)).toBe(
      '1,000 node processes need about 125.0 GiB of memory (128 MiB each) but 20.0 GiB is available: at most 160 fit. Use fewer nodes or isolation: in-process; big networks belong in simulated mode (coming: --sim)',
    );
    expect(clusterProblem(500, 'process', { openFiles: 1_024, availableBytes: 1024 ** 4 })).toMatch(/^500 node processes need about 2,064 open files \(4 per node/);
    expect(clusterProblem(10_000, 'in-process', { availableBytes: 1024 ** 4 })).toBeUndefined(); // limit unknown: not guessed
  });

  for (const isolation of ['in-process', 'process']) {
    it(`play under ulimit -n 256 refuses 100 ${isolation} nodes with exit 2, and starts nothing`, async () => {
      const work = join(dir, `fd-${isolation}`);
      const tmp = join(work, 'tmp');
      await mkdir(tmp, { recursive: true });
      await writeFile(join(work, 'hundred.yaml'), `name: hundred\nisolation: ${isolation}\nnodes:\n${nodesText(100)}steps:\n  - wait: 1s\n`);
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('/bin/sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${BIN}" play hundred.yaml`], { cwd: work, env: { ...process.env, TMPDIR: tmp } });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^peerlab play: 100 (in-process nodes|node processes) need about \d+ open files .* but this process may open 256 \(ulimit -n\): at most \d+ nodes fit\. .*big networks belong in simulated mode \(coming: --sim\)\n$/);
      expect((await readdir(tmp)).filter((f) => !f.startsWith('tsx-'))).toEqual([]);
    });
  }
});
