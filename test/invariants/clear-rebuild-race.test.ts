/**
 * Regression (explore seed 294, shrunk): a send acknowledged while its node cleared and rebuilt its
 * ledger was lost. The robot's send took its turn in the send queue after clearAndRebuild had
 * started: drafted on the old ledger (the node was not yet marked as recovering), written to the log
 * after the clear's rewrite and acknowledged, then the clear replaced the ledger with an empty one and
 * set the chain to recover to the length it had before that send. After a restart its record could
 * not be placed (its predecessor was cleared), and the node could have signed that seq again — a fork
 * of its own making. It needs a write that takes time (the rewrite's fsync) for the send to slip in,
 * which the simulated disk now has. A clear now takes its turn in the send queue, like a send.
 *
 * Seed 758 (shrunk) is the invariant monitor's side of it: a send already being written when
 * clearAndRebuild is called is acknowledged first and then cleared with the rest; the monitor now
 * forgets a node's acknowledged sends when its ledger is cleared (`ledger-cleared`), not when the call starts.
 */
import { describe, it } from 'vitest';
import { expectRunsClean } from './regression.ts';

describe('clearAndRebuild while the node sends', () => {
  it('loses no acknowledged send (seed 294)', async () => {
    await expectRunsClean('test/invariants/fixtures/clear-rebuild-send-race.yaml');
  }, 60_000);

  it('drops a send acknowledged before the clear took effect, and the monitor knows it (seed 758)', async () => {
    await expectRunsClean('test/invariants/fixtures/clear-rebuild-inflight-send.yaml');
  }, 60_000);
});
