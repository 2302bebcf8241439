import { createHash } from 'node:crypto';
import type { ChainView } from '../ledger/account.ts';
import type { Transaction } from '../ledger/transaction.ts';
import { MAX_FRONTIER_TIPS, formatDigest, type FrontierChainWire, type FrontierTipWire } from '../wire/ledger.ts';
import { missingFor } from './missing.ts';

/** What sync reads of a ledger (the Ledger class provides it). */
export interface DigestSource {
  /** Changes whenever a transaction is stored. */
  readonly version: number;
  /** Number of stored transactions. */
  readonly size: number;
  senders(): Iterable<string>;
  chain(account: string): ChainView | undefined;
}

export interface Digest {
  /** Stored transactions counted in it. */
  count: number;
  /** SHA-256 (base64url) of the count and the whole frontier. */
  hash: string;
  /** `<count>.<hash>`: what travels as `dg` on ping/ack and in digest/frontier messages. */
  text: string;
}

/**
 * Anti-entropy state of a ledger (DESIGN.md §3.5). The frontier is, per sender, the tips of its
 * stored chain: one (seq, head id) for a clean chain, every branch end after a fork. Since a
 * transaction is only stored after its prev, the tips determine a sender's whole stored chain, so
 * equal frontiers mean equal stored sets, and different fork branches give different digests.
 *
 * Both are recomputed only when the ledger's version changed (O(senders)); an idle round is a
 * cached string, whatever the size of the ledger.
 */
export class LedgerDigest {
  private cachedVersion = -1;
  private cachedDigest: Digest | undefined;
  private cachedFrontier: FrontierChainWire[] = [];

  constructor(private readonly source: DigestSource) {}

  digest(): Digest {
    this.refresh();
    return this.cachedDigest!;
  }

  /** Sorted by sender; at most MAX_FRONTIER_TIPS tips per sender travel (see missing.ts). */
  frontier(): FrontierChainWire[] {
    this.refresh();
    return this.cachedFrontier;
  }

  /** Stored transactions a peer with `remote` frontier lacks, dependencies first (display order). */
  missingFor(remote: readonly FrontierChainWire[], limit = Infinity): Transaction[] {
    return missingFor(this.source, remote, limit);
  }

  private refresh(): void {
    if (this.cachedVersion === this.source.version && this.cachedDigest) return;
    const senders = [...this.source.senders()].sort();
    const hash = createHash('sha256');
    hash.update(`peerlab/digest/1\n${this.source.size}\n`);
    const frontier: FrontierChainWire[] = [];
    for (const from of senders) {
      const tips = tipsOf(this.source.chain(from)!);
      hash.update(`${from}:${tips.map((t) => `${t.seq}.${t.id}`).join(',')}\n`);
      frontier.push({ from, tips: tips.length > MAX_FRONTIER_TIPS ? tips.slice(0, MAX_FRONTIER_TIPS) : tips });
    }
    const h = hash.digest('base64url');
    this.cachedDigest = { count: this.source.size, hash: h, text: formatDigest(this.source.size, h) };
    this.cachedFrontier = frontier;
    this.cachedVersion = this.source.version;
  }
}

/** Ends of a sender's stored chain, sorted by (seq, id). */
export function tipsOf(chain: ChainView): FrontierTipWire[] {
  const n = chain.levels.length;
  if (n === 0) return [];
  if (chain.forkSeq === Infinity) {
    const head = chain.levels[n - 1]![0]!.txn;
    return [{ seq: head.seq, id: head.id }];
  }
  // After a fork: every transaction from the fork on that is nobody's prev. Before the fork the
  // chain is a single line whose last element is the fork's common prev, so never a tip.
  const start = chain.forkSeq - 1;
  const parents = new Set<string>();
  for (let p = start; p < n; p++) for (const e of chain.levels[p]!) if (e.txn.prev) parents.add(e.txn.prev);
  const tips: FrontierTipWire[] = [];
  for (let p = start; p < n; p++) for (const e of chain.levels[p]!) if (!parents.has(e.txn.id)) tips.push({ seq: e.txn.seq, id: e.txn.id });
  return tips.sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
