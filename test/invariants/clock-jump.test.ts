/**
 * Regression (explore with clock jumps, seed 65 cut down by hand): a node whose wall clock is set
 * back while it is cut off kept the times it had stamped on its peers before the jump — in its
 * future — so it stopped probing them and, once its clock caught up, removed a healthy peer for
 * silence. The heartbeat now brings any stamp from the future back to the present when the clock
 * goes back (a peer counts as heard from at the jump; silence counts from there).
 *
 * Regression (explore seed 2168, shrunk): a node whose wall clock is set back 56 s while cut off
 * was removed by its peers for silence and, after the heal, never got back in: its rate gates had
 * stamps in its future, so it answered none of their challenges until its clock caught up, and
 * never learnt of a double spend. Rate gates and the send budget now measure monotonic time.
 * Seed 2998 (shrunk) is the same bug seen as two live nodes that never converge.
 */
import { describe, it } from 'vitest';
import { expectRunsClean } from './regression.ts';

describe('a wall clock set back', () => {
  it('removes no healthy peer once the clock catches up (30 s after the jump)', async () => {
    await expectRunsClean('test/invariants/fixtures/clock-jump-back.yaml');
  }, 60_000);

  it('answers its peers after the heal, so they readmit it and it detects the fork (seed 2168)', async () => {
    await expectRunsClean('test/invariants/fixtures/clock-jump-back-rejoin.yaml');
  }, 60_000);

  it('converges with the others after a restart and a crash elsewhere (seed 2998)', async () => {
    await expectRunsClean('test/invariants/fixtures/clock-jump-back-converge.yaml');
  }, 60_000);
});

describe('a wall clock set back, dead peers', () => {
  it('are retried on time: two nodes that removed each other find each other again soon after the heal', async () => {
    await expectRunsClean('test/invariants/fixtures/clock-jump-back-retry.yaml');
  }, 60_000);
});
