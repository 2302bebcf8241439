import type { ChainView } from '../ledger/account.ts';
import { compareDisplay } from '../ledger/order.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { FrontierChainWire, FrontierTipWire } from '../wire/ledger.ts';
import type { DigestSource } from './digest.ts';

/**
 * The stored transactions a peer lacks, given its frontier (DESIGN.md §3.5: only missing
 * transactions are sent). Returned in display order, which is topological (Lamport time rises
 * along prev and claims), so the receiver can add them one by one without anything pending; with
 * a `limit`, the first `limit` of them, and the next round sends the rest.
 *
 * Per sender, a remote tip we hold covers itself and its ancestors. A remote tip we do not hold:
 *  - on a clean local chain, above our last seq: the peer is ahead on the same chain, so it holds
 *    all of ours (if it is on another branch instead, it sends us that branch, we see the fork,
 *    and the next round is exact);
 *  - otherwise it is a branch we lack: it covers nothing, and we may send a few the peer holds
 *    (duplicates cost a hash on arrival). Erring on sending is safe; erring on holding back would
 *    let two forked ledgers stay apart.
 * Cost: O(senders + transactions sent) on clean chains.
 */
export function missingFor(source: DigestSource, remote: readonly FrontierChainWire[], limit = Infinity): Transaction[] {
  const remoteTips = new Map<string, readonly FrontierTipWire[]>();
  for (const c of remote) remoteTips.set(c.from, c.tips);
  const out: Transaction[] = [];
  for (const from of source.senders()) {
    const chain = source.chain(from)!;
    const tips = remoteTips.get(from) ?? [];
    if (chain.forkSeq === Infinity) cleanChainMissing(chain, tips, out);
    else forkedChainMissing(chain, tips, out);
  }
  out.sort(compareDisplay);
  if (out.length > limit) out.length = limit;
  return out;
}

function cleanChainMissing(chain: ChainView, tips: readonly FrontierTipWire[], out: Transaction[]): void {
  const n = chain.levels.length;
  let covered = 0;
  for (const tip of tips) {
    if (tip.seq > n) covered = n;
    else if (chain.levels[tip.seq - 1]?.[0]?.txn.id === tip.id) covered = Math.max(covered, tip.seq);
  }
  for (let p = covered; p < n; p++) out.push(chain.levels[p]![0]!.txn);
}

function forkedChainMissing(chain: ChainView, tips: readonly FrontierTipWire[], out: Transaction[]): void {
  const prefix = chain.forkSeq - 1;
  let prefixCovered = 0;
  const covered = new Set<string>();
  for (const tip of tips) {
    // Walk back from the tip through the forked part; where it meets the single-line prefix, the
    // prefix up to there is covered too.
    let cur = find(chain, tip.seq, tip.id);
    while (cur && cur.seq > prefix) {
      if (covered.has(cur.id)) {
        cur = undefined;
        break;
      }
      covered.add(cur.id);
      cur = cur.prev === null ? undefined : find(chain, cur.seq - 1, cur.prev);
    }
    if (cur) prefixCovered = Math.max(prefixCovered, cur.seq);
  }
  for (let p = prefixCovered; p < chain.levels.length; p++) {
    for (const e of chain.levels[p]!) if (!covered.has(e.txn.id)) out.push(e.txn);
  }
}

function find(chain: ChainView, seq: number, id: string): Transaction | undefined {
  return chain.levels[seq - 1]?.find((e) => e.txn.id === id)?.txn;
}
