/**
 * Regression (explore, seed 947 shrunk): faults a playbook gives a node under `nodes:` are in
 * force from its start. The monitor must know them, or a removal for silence over a lossy link
 * looks like a healthy peer removed.
 */
import { describe, expect, it } from 'vitest';
import { playFixture } from './regression.ts';

const FILE = 'test/invariants/fixtures/node-faults-from-start.yaml';

describe('faults given under nodes:', () => {
  it('excuse a removal for silence: the shrunk seed 947 runs clean', async () => {
    const out = await playFixture(FILE);
    // The run does remove a peer for silence over those links (what made it a case)...
    expect(out.trace.some((r) => r.kind === 'event' && r.type === 'peer-removed' && (r.data as { reason?: string }).reason === 'timeout')).toBe(true);
    // ...and that is no violation.
    expect(out.violation).toBeUndefined();
  }, 60_000);
});
