/**
 * Every shipped playbook (labs aside) runs clean of every invariant on simulated time: the monitor
 * raises nothing on a correct run.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { playSimulated } from '../../src/playbooks/sim-play.ts';

const FILES = readdirSync('playbooks').filter((f) => f.endsWith('.yaml')).map((f) => `playbooks/${f}`);

describe('the invariants on every shipped playbook', () => {
  it.each(FILES)('%s runs clean under play --sim', async (file) => {
    const { playbook, errors } = await loadPlaybookFile(file, { allowPaths: [] });
    expect(errors).toEqual([]);
    const plan = planPlaybook(playbook!, { sim: true });
    const out = await playSimulated(plan);
    expect(out.violation).toBeUndefined();
    expect(out.result.ok).toBe(true);
  }, 120_000);
});
