/**
 * Regression (explore with clock jumps, seed 65 cut down by hand): a node whose wall clock is set
 * back while it is cut off kept the times it had stamped on its peers before the jump — in its
 * future — so it stopped probing them and, once its clock caught up, removed a healthy peer for
 * silence. The heartbeat now brings any stamp from the future back to the present when the clock
 * goes back (a peer counts as heard from at the jump; silence counts from there).
 */
import { describe, expect, it } from 'vitest';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { playSimulated } from '../../src/playbooks/sim-play.ts';

describe('a wall clock set back', () => {
  it('removes no healthy peer once the clock catches up (30 s after the jump)', async () => {
    const { playbook, errors } = await loadPlaybookFile('test/invariants/fixtures/clock-jump-back.yaml', { allowPaths: [] });
    expect(errors).toEqual([]);
    const out = await playSimulated(planPlaybook(playbook!), { trace: true });
    expect(out.violation).toBeUndefined();
    // The run went past the moment the clock caught up, with every peer back.
    expect(out.result.ok).toBe(true);
  }, 60_000);
});
