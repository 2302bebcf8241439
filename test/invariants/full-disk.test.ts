/**
 * Regression (explore seed 5052, shrunk): clear-and-rebuild while the disk was full emptied the
 * ledger log and then failed writing its rebuild marker. The node went on with its whole ledger in
 * memory, appending to a log that had lost its beginning, and after a crash and restart every
 * transaction it had acknowledged was gone (no-acknowledged-loss). The clear is now one rewrite,
 * marker included: on a full disk it fails and leaves the old log whole.
 */
import { describe, it } from 'vitest';
import { expectRunsClean } from './regression.ts';

describe('clear-and-rebuild on a full disk', () => {
  it('fails without losing the log: a later crash and restart keeps every acknowledged transaction (seed 5052)', async () => {
    await expectRunsClean('test/invariants/fixtures/clear-rebuild-full-disk.yaml');
  }, 60_000);
});
