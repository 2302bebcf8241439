/** Shared by the regression tests that replay a (shrunk) explore playbook on simulated time. */
import { expect } from 'vitest';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { playSimulated } from '../../src/playbooks/sim-play.ts';

/** Plays a fixture on simulated time with its trace; it must load without errors. */
export async function playFixture(file: string): Promise<Awaited<ReturnType<typeof playSimulated>>> {
  const { playbook, errors } = await loadPlaybookFile(file, { allowPaths: [] });
  expect(errors).toEqual([]);
  return playSimulated(planPlaybook(playbook!, { sim: true }), { trace: true });
}

/** The fixture breaks no invariant and every expectation in it holds. */
export async function expectRunsClean(file: string): Promise<void> {
  const out = await playFixture(file);
  expect(out.violation).toBeUndefined();
  expect(out.result.ok).toBe(true);
}
