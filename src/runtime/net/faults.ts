import { tryParseAddress, formatAddress } from '../address.ts';
import { PeerlabError } from '../errors.ts';
import type { Prng } from '../prng.ts';
import { describeValue, parseDuration, parseProbability } from '../units.ts';

/** Fault settings of one node or one link (DESIGN.md §3.7). Times in ms. */
export interface FaultSettings {
  /** Chance that a datagram this node sends is lost. */
  drop: number;
  /** Chance that a datagram this node receives is lost. */
  dropIn: number;
  delay: number;
  jitter: number;
  /** Chance that a datagram is sent twice. */
  duplicate: number;
}

/** What users pass: probabilities as numbers, delays as numbers (ms) or durations; `peer` limits to one link. */
export interface FaultInput {
  drop?: number | string;
  dropIn?: number | string;
  delay?: number | string;
  jitter?: number | string;
  duplicate?: number | string;
  peer?: string;
}

export interface FaultSnapshot {
  node: FaultSettings;
  links: Record<string, Partial<FaultSettings>>;
  partitioned: string[];
}

export type OutDecision = { deliver: false; reason: 'drop' | 'partition' } | { deliver: true; delays: number[] };

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({ drop: 0, dropIn: 0, delay: 0, jitter: 0, duplicate: 0 });
const KEYS = ['drop', 'dropIn', 'delay', 'jitter', 'duplicate', 'peer'] as const;

/**
 * The fault layer's decisions. Every decision draws the same count of numbers from the node's
 * seeded PRNG whatever the settings, so one seed repeats one sequence of decisions.
 */
export class FaultPlan {
  private node: FaultSettings = { ...NO_FAULTS };
  private readonly links = new Map<string, Partial<FaultSettings>>();
  private readonly partitioned = new Set<string>();

  constructor(private readonly prng: Prng) {}

  /** Validates and applies settings; returns the new snapshot. Throws BAD_ARGUMENT naming the field. */
  set(input: FaultInput): FaultSnapshot {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new PeerlabError('BAD_ARGUMENT', 'faults.set expects an object like { drop: 0.3 }');
    }
    const unknown = Object.keys(input).filter((k) => !(KEYS as readonly string[]).includes(k));
    if (unknown.length) {
      throw new PeerlabError('BAD_ARGUMENT', `unknown fault setting ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${KEYS.join(', ')})`);
    }
    const patch: Partial<FaultSettings> = {};
    if (input.drop !== undefined) patch.drop = parseProbability(input.drop, 'drop');
    if (input.dropIn !== undefined) patch.dropIn = parseProbability(input.dropIn, 'dropIn');
    if (input.duplicate !== undefined) patch.duplicate = parseProbability(input.duplicate, 'duplicate');
    if (input.delay !== undefined) patch.delay = parseDuration(input.delay, 'delay');
    if (input.jitter !== undefined) patch.jitter = parseDuration(input.jitter, 'jitter');
    if (input.peer !== undefined) {
      const key = linkKey(input.peer);
      this.links.set(key, { ...this.links.get(key), ...patch });
    } else {
      Object.assign(this.node, patch);
    }
    return this.snapshot();
  }

  /** Cuts this node off from the given addresses, both ways, until heal(). */
  partition(addrs: readonly string[]): FaultSnapshot {
    if (!Array.isArray(addrs)) throw new PeerlabError('BAD_ARGUMENT', 'faults.partition expects a list of addresses');
    const keys = addrs.map((a) => linkKey(a));
    for (const k of keys) this.partitioned.add(k);
    return this.snapshot();
  }

  heal(): FaultSnapshot {
    this.partitioned.clear();
    return this.snapshot();
  }

  reset(): FaultSnapshot {
    this.node = { ...NO_FAULTS };
    this.links.clear();
    this.partitioned.clear();
    return this.snapshot();
  }

  snapshot(): FaultSnapshot {
    return { node: { ...this.node }, links: Object.fromEntries(this.links), partitioned: [...this.partitioned] };
  }

  isPartitioned(addr: string): boolean {
    return this.partitioned.has(addr);
  }

  effective(addr: string): FaultSettings {
    const link = this.links.get(addr);
    return link ? { ...this.node, ...link } : this.node;
  }

  decideOut(addr: string): OutDecision {
    const f = this.effective(addr);
    const dropRoll = this.prng.next();
    const dupRoll = this.prng.next();
    const j1 = this.prng.next();
    const j2 = this.prng.next();
    if (this.partitioned.has(addr)) return { deliver: false, reason: 'partition' };
    if (dropRoll < f.drop) return { deliver: false, reason: 'drop' };
    const delays = [f.delay + Math.round(f.jitter * j1)];
    if (dupRoll < f.duplicate) delays.push(f.delay + Math.round(f.jitter * j2));
    return { deliver: true, delays };
  }

  /** Null to deliver, or why the incoming datagram is lost. */
  decideIn(addr: string): 'drop-in' | 'partition' | null {
    const roll = this.prng.next();
    if (this.partitioned.has(addr)) return 'partition';
    return roll < this.effective(addr).dropIn ? 'drop-in' : null;
  }

  get active(): boolean {
    const n = this.node;
    return n.drop + n.dropIn + n.delay + n.jitter + n.duplicate > 0 || this.links.size > 0 || this.partitioned.size > 0;
  }
}

function linkKey(addr: string): string {
  const a = tryParseAddress(addr);
  if (!a) throw new PeerlabError('BAD_ADDRESS', `fault peer must be an address like 127.0.0.1:5001, got ${describeValue(addr)}`);
  return formatAddress(a);
}
