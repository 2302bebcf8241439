/**
 * Regression (explore seed 9416, shrunk): a node cut off from everyone double-spends, detects its
 * own fork, and then clears and rebuilds its ledger before either half has left it. The fork is
 * gone from the world (no money moved, nobody can learn of it), yet the monitor required its peers
 * to detect it because the spender was in their group. The fork is knowable where both halves, or
 * a node that detected it, are.
 */
import { describe, it } from 'vitest';
import { expectRunsClean } from './regression.ts';

describe('a double spend erased by clear-and-rebuild before it left the spender', () => {
  it('asks nobody to detect it (seed 9416)', async () => {
    await expectRunsClean('test/invariants/fixtures/fork-erased-by-rebuild.yaml');
  }, 60_000);
});
