/**
 * Bugs planted on purpose, for labs (issue 16 item 6): a simulated run can switch one on, so
 * students (and `peerlab explore`) can find it by the invariant it breaks. Each is a small hook in
 * the runtime, off unless a node is given `plant`; a node refuses a plant unless it runs on
 * simulated time, so none can ever be turned on in a real network.
 *
 * - `skip-fsync`: the ledger log is written but never fsynced, so a send is acknowledged before it
 *   is durable, and a crash loses it (breaks no-acknowledged-loss).
 * - `no-fork-check`: a second transaction with a seq its sender already used is taken as valid,
 *   so a double spend is accepted and never detected (breaks fork-detected).
 * - `naive-heartbeat`: a peer is removed after three pings in a row went unanswered within an
 *   interval, as in the original system: no indirect probes, no suspicion, a slow link looks dead
 *   (breaks no-healthy-peer-removed).
 */
import type { Clock } from './clock.ts';
import { PeerlabError } from './errors.ts';
import { SimClock } from './sim/sim-clock.ts';

export type PlantName = 'skip-fsync' | 'no-fork-check' | 'naive-heartbeat';

export const PLANT_NAMES: readonly PlantName[] = ['skip-fsync', 'no-fork-check', 'naive-heartbeat'];

/** What each plant does, in a line (help, dry-run, the README). */
export const PLANT_TEXT: Readonly<Record<PlantName, string>> = {
  'skip-fsync': 'acknowledges a send before the write is durable (the ledger log is never fsynced)',
  'no-fork-check': 'accepts the second transaction of a double spend (no fork check)',
  'naive-heartbeat': 'removes a peer after three missed pings (no indirect probes, no suspicion)',
};

/** The invariant each plant breaks when it bites. */
export const PLANT_BREAKS: Readonly<Record<PlantName, string>> = {
  'skip-fsync': 'no-acknowledged-loss',
  'no-fork-check': 'fork-detected',
  'naive-heartbeat': 'no-healthy-peer-removed',
};

export function isPlantName(v: unknown): v is PlantName {
  return typeof v === 'string' && (PLANT_NAMES as readonly string[]).includes(v);
}

/** A plant from options: undefined when none; BAD_ARGUMENT for an unknown name. */
export function readPlant(v: unknown): PlantName | undefined {
  if (v === undefined) return undefined;
  if (!isPlantName(v)) throw new PeerlabError('BAD_ARGUMENT', `plant must be one of ${PLANT_NAMES.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** Refuses a plant on a node that does not run on simulated time (BAD_ARGUMENT). */
export function assertSimulated(plant: PlantName | undefined, clock: Clock): void {
  if (plant !== undefined && !(clock instanceof SimClock)) {
    throw new PeerlabError('BAD_ARGUMENT', `plant ${plant} is a bug planted on purpose, for labs: it runs only on simulated time (mode: simulated), never on a real network`);
  }
}
