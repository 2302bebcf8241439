import { formatAddress, tryParseAddress } from '../address.ts';
import { PeerlabError } from '../errors.ts';
import { describeValue } from '../units.ts';
import type { FaultInput, FaultPlan, FaultSnapshot } from './faults.ts';

/** `node.faults`: fault injection at run time (DESIGN.md §3.7). */
export interface FaultControl {
  set(input: FaultInput): FaultSnapshot;
  /** Cuts this node off from these peers (names, id prefixes or addresses `host:port`), both ways, until heal(). */
  partition(addrs: string[]): FaultSnapshot;
  heal(): FaultSnapshot;
  reset(): FaultSnapshot;
  get(): FaultSnapshot;
}

/**
 * The user's handle on a fault plan. Peers are named as everywhere in the API (a name, an id
 * prefix or an address); `link` turns each into the address the plan keys its links by, before
 * anything changes (one bad entry applies nothing). `changed` hears of every change.
 */
export function faultControl(plan: FaultPlan, changed: (s: FaultSnapshot) => void, link: (ref: string) => string): FaultControl {
  const report = (s: FaultSnapshot): FaultSnapshot => {
    changed(s);
    return s;
  };
  const peerRef = (ref: unknown, where: string): string => {
    if (typeof ref !== 'string' || ref === '') {
      throw new PeerlabError('BAD_ARGUMENT', `${where}: expected a peer (name, id prefix or address host:port), got ${describeValue(ref)}`);
    }
    return link(ref);
  };
  return {
    set: (input) => {
      const peer = input !== null && typeof input === 'object' && !Array.isArray(input) && input.peer !== undefined ? peerRef(input.peer, 'faults.set peer') : undefined;
      return report(plan.set(peer === undefined ? input : { ...input, peer }));
    },
    partition: (peers) => {
      if (!Array.isArray(peers)) {
        throw new PeerlabError('BAD_ARGUMENT', `faults.partition expects a list of peers (names, id prefixes or addresses host:port), got ${describeValue(peers)}`);
      }
      return report(plan.partition(peers.map((p, i) => peerRef(p, `faults.partition entry ${i}`))));
    },
    heal: () => report(plan.heal()),
    reset: () => report(plan.reset()),
    get: () => plan.snapshot(),
  };
}

/** Before the node runs there are no peers to name: an address is taken as it is, a name is refused. */
export function addressOnly(ref: string): string {
  const a = tryParseAddress(ref);
  if (a) return formatAddress(a);
  throw new PeerlabError('NOT_RUNNING', `a peer's name or id prefix (${JSON.stringify(ref)}) needs the node running; give an address host:port`);
}
