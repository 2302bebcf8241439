import type { Clock } from '../clock.ts';
import type { Random } from '../random.ts';
import type { PeerOrigin } from './peer-table.ts';

/**
 * Why a hello was sent:
 * - `join`: to an address a user asked us to join or add (its answer may set our clock: bootstrap);
 * - `retry`: to a peer we lost, or one from our own peer store;
 * - `greet`: to an address heard of from others, or a node that spoke to us unintroduced;
 * - `challenge`: answering a hello that has not proved itself yet;
 * - `confirm`: answering a challenge to one of ours, asking the other side to say it admitted us.
 */
export type NoncePurpose = 'join' | 'retry' | 'greet' | 'challenge' | 'confirm';

export interface NonceRecord {
  nonce: string;
  /** The address the hello carrying this nonce went to. */
  to: string;
  /** When it was issued, on the monotonic clock (a wall clock jump must not expire or prolong it). */
  at: number;
  purpose: NoncePurpose;
  /** Whose initiative the contact is (see PeerOrigin). */
  origin: PeerOrigin;
}

const TTL_MS = 60_000;
const MAX = 4096;

/**
 * Nonces of the hellos this node sent (DESIGN.md §3.2). A hello admits its sender only when its
 * `re` names one of them, sent to the address the hello advertises: the sender then holds its key
 * *and* receives at that address, now. A captured hello replayed from elsewhere, or a stranger
 * claiming a peer's address, proves neither. Bounded: old nonces expire, the oldest go first.
 */
export class NonceBook {
  private readonly records = new Map<string, NonceRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  issue(to: string, purpose: NoncePurpose, origin: PeerOrigin): string {
    const nonce = this.random.bytes(12).toString('base64url');
    this.records.set(nonce, { nonce, to, at: this.clock.monotonic(), purpose, origin });
    if (this.records.size > MAX) this.records.delete(this.records.keys().next().value!);
    return nonce;
  }

  /** The live record of a nonce, left in place. */
  peek(nonce: string | undefined): NonceRecord | undefined {
    if (nonce === undefined) return undefined;
    const r = this.records.get(nonce);
    if (!r) return undefined;
    if (this.clock.monotonic() - r.at > TTL_MS) {
      this.records.delete(nonce);
      return undefined;
    }
    return r;
  }

  /** Whether a live nonce of this purpose went to `to`. */
  sentTo(to: string, purpose: NoncePurpose): boolean {
    const now = this.clock.monotonic();
    for (const r of this.records.values()) if (r.to === to && r.purpose === purpose && now - r.at <= TTL_MS) return true;
    return false;
  }

  /** The live record of a nonce, used up. */
  take(nonce: string | undefined): NonceRecord | undefined {
    const r = this.peek(nonce);
    if (r) this.records.delete(r.nonce);
    return r;
  }
}
