/**
 * node:repl with `breakEvalOnSigint` (a Ctrl+C breaks a busy line) arms a SIGINT watchdog around
 * each evaluation, and disarming it installs a handler that kills the process: the process-level
 * SIGINT listeners (a clean stop on `kill -INT`) are gone after the first line. Worse, while
 * listeners exist, node:vm removes them during the evaluation, which drops the watchdog's handler
 * too, so Ctrl+C kills a busy line instead of breaking it. So: no listener while a line's
 * synchronous part runs (the watchdog owns SIGINT then), and the listeners are added again right
 * after it, which makes libuv install its handler again.
 */
export function withoutSigintListeners<T>(fn: () => T): T {
  const listeners = process.rawListeners('SIGINT') as ((...args: unknown[]) => void)[];
  for (const l of listeners) process.removeListener('SIGINT', l);
  try {
    return fn();
  } finally {
    // Listeners added while it ran (none are expected) stay; ours go back after them.
    for (const l of listeners) process.on('SIGINT', l);
  }
}
