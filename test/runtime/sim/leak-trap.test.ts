/**
 * Nothing real leaks into a simulated run (issue 10 item 3), the runtime half: every shipped
 * playbook runs on simulated time with the globals and built-in modules trapped, and no call from
 * the project's code reaches real time, randomness, sockets or the disk. A planted call is caught.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simRun } from '../../../src/cli/play-sim.ts';
import { loadPlaybookFile } from '../../../src/playbooks/load.ts';
import { planPlaybook } from '../../../src/playbooks/plan.ts';
import { Runner } from '../../../src/playbooks/runner.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { installLeakTrap, type Leak } from '../../support/leak-trap.ts';
import { MemoryTrace } from '../../../src/runtime/trace.ts';

const SRC = `${resolve('src')}/`;
/** Write-only sinks outside the simulation (DESIGN.md §6): what they write never comes back into the run. */
const SINKS = ['runtime/trace.ts', 'runtime/store/csv-export.ts'];
const shipped = (await readdir('playbooks')).filter((f) => f.endsWith('.yaml')).map((f) => join('playbooks', f));

/** Runs a playbook on simulated time with the trap set from the first node's start to the last one's stop. */
async function trappedRun(file: string, plant?: () => () => void): Promise<{ leaks: Leak[]; ok: boolean }> {
  const { playbook, errors } = await loadPlaybookFile(file);
  expect(errors).toEqual([]);
  const plan = planPlaybook(playbook!, { sim: true });
  const sim = simRun(plan, new MemoryTrace(), undefined);
  await sim.prepare();
  const unplant = plant?.();
  const trap = installLeakTrap(SRC, SINKS);
  try {
    await sim.drive(sim.cluster.start());
    const result = await sim.drive(new Runner(plan, sim.cluster, () => {}, sim.time).run());
    await sim.drive(sim.cluster.stop());
    return { leaks: trap.leaks, ok: result.ok };
  } finally {
    trap.remove();
    unplant?.();
  }
}

describe('a simulated run reads nothing real', () => {
  for (const file of shipped) {
    it(`${file}`, async () => {
      const r = await trappedRun(file);
      expect(r.leaks).toEqual([]);
      expect(r.ok).toBe(true);
    }, 60_000);
  }

  it('catches a planted call (Math.random inside the fault decisions)', async () => {
    const r = await trappedRun('playbooks/lamport-ordering.yaml', () => {
      const next = Prng.prototype.next;
      Prng.prototype.next = function planted(this: Prng): number {
        void Math.random();
        return next.call(this);
      };
      return () => (Prng.prototype.next = next);
    });
    const planted = r.leaks.filter((l) => l.what === 'Math.random');
    expect(planted.length).toBeGreaterThan(0);
    expect(planted[0]!.at).toMatch(/src\/runtime\/net\/faults.ts/);
  }, 60_000);

  it('catches ESM named imports too (built-in exports synced)', async () => {
    const trap = installLeakTrap(`${resolve('test')}/`);
    try {
      const { randomUUID } = await import('node:crypto');
      const { readFileSync } = await import('node:fs');
      randomUUID();
      readFileSync('package.json');
      Date.now();
      void new Date();
      void new Date(0);
    } finally {
      trap.remove();
    }
    expect(trap.leaks.map((l) => l.what)).toEqual(['node:crypto.randomUUID', 'node:fs.readFileSync', 'Date.now', 'new Date()']);
  });
});
