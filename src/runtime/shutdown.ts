import type { Parts } from './parts.ts';

/**
 * How a running node's parts come to a halt.
 * - `stop`: timers and sockets stop, in-flight transfers end, the ledger log is flushed and
 *   closed, the peer list is saved.
 * - `crash` (`node.crash()`, a kill without the process dying): nothing leaves the node any more,
 *   appends still queued for the log are lost (a batch already being written finishes, as with a
 *   kill during a write), the peer list is not saved, nobody is told. What was durable stays.
 */
export type Halt = 'stop' | 'crash';

/** Halts the parts; for a crash, resolves with the number of log records lost. */
export async function haltParts(p: Parts, how: Halt, failed: (what: string) => (err: unknown) => void): Promise<{ lost: number }> {
  let lost: Promise<number> = Promise.resolve(0);
  if (how === 'crash') {
    // First what a kill cuts at once: the way out, and everything not yet on disk.
    p.messenger.stop();
    lost = p.store.log.abandon().catch(() => 0);
    p.store.peers.abandon();
  }
  p.bulk.stop();
  p.ticker.stop();
  p.membership.stop();
  p.exchange.stop();
  p.heartbeat.stop();
  p.sync.stop();
  await p.transfer.stop().catch(() => undefined);
  p.messenger.stop();
  await p.transport.stop();
  await p.mux.stop();
  if (how === 'stop') {
    await p.ledger.flushAndClose().catch(failed('ledger log not closed cleanly'));
    await p.book.close().catch(failed('peer list not saved'));
  }
  const n = await lost;
  // A kill closes the files it had open; the chain-head record is synced at each write, so it holds.
  if (how === 'crash') await p.store.chainHead?.close().catch(() => undefined);
  await p.store.release().catch(() => undefined);
  return { lost: n };
}
