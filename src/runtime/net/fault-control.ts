import type { FaultInput, FaultPlan, FaultSnapshot } from './faults.ts';

/** `node.faults`: fault injection at run time (DESIGN.md §3.7). */
export interface FaultControl {
  set(input: FaultInput): FaultSnapshot;
  partition(addrs: string[]): FaultSnapshot;
  heal(): FaultSnapshot;
  reset(): FaultSnapshot;
  get(): FaultSnapshot;
}

/** The user's handle on a fault plan; `changed` hears of every change (the node reports it). */
export function faultControl(plan: FaultPlan, changed: (s: FaultSnapshot) => void): FaultControl {
  const report = (s: FaultSnapshot): FaultSnapshot => {
    changed(s);
    return s;
  };
  return {
    set: (input) => report(plan.set(input)),
    partition: (addrs) => report(plan.partition(addrs)),
    heal: () => report(plan.heal()),
    reset: () => report(plan.reset()),
    get: () => plan.snapshot(),
  };
}
