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

export type EvalFn = (code: string, context: object, file: string, cb: (err: Error | null, result?: unknown) => void) => void;

/**
 * An evaluation that takes turns with the SIGINT listeners (above). node:repl calls back
 * synchronously for a plain result, and the callback writes the next prompt: a `kill -INT` sent on
 * seeing that prompt would meet the watchdog's process-killing handler. So a synchronous callback
 * is held until the listeners are back; a later one passes straight through.
 */
export function sigintTakingTurns(evaluate: EvalFn): EvalFn {
  return function (this: unknown, code, context, file, cb) {
    let held: [Error | null, unknown] | undefined;
    let during = true;
    try {
      withoutSigintListeners(() =>
        evaluate.call(this, code, context, file, (err, result) => {
          if (during) held = [err, result];
          else cb(err, result);
        }),
      );
    } finally {
      during = false;
    }
    if (held) cb(held[0], held[1]);
  };
}
