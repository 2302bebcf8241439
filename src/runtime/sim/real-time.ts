/**
 * The real time a simulation may use, captured when this module loads (before a leak trap can
 * patch the globals): `setImmediate`, to let every pending microtask and `nextTick` run before the
 * next event (so virtual time never moves while a promise chain is still settling); `setTimeout`,
 * to pace virtual time with the wall clock when asked; and the wall clock, for `wall*` figures.
 * Nothing else in a simulated run reads real time (DESIGN.md §6).
 */
const setImmediateReal = globalThis.setImmediate;
const setTimeoutReal = globalThis.setTimeout;
const clearTimeoutReal = globalThis.clearTimeout;
const perf = globalThis.performance;
const perfNow = perf.now.bind(perf);

/** Calls `fn` once every pending microtask has run. */
export function afterMicrotasks(fn: () => void): void {
  setImmediateReal(fn);
}

/** A real timer (for pacing only). */
export function realTimer(fn: () => void, ms: number): { cancel(): void } {
  const t = setTimeoutReal(fn, ms);
  return { cancel: () => clearTimeoutReal(t) };
}

/** Wall-clock ms (monotonic), for `wall*` figures and pacing. */
export function wallNow(): number {
  return perfNow();
}
