/**
 * Around the REPL's own eval (kept, so top-level await and preview work): knows when a line or a
 * dot-command is running and when everything has settled (scripts feed the next line then), awaits
 * a result that is a promise before it is shown, and turns every error of a line into one reported
 * line. node:repl hands runtime errors and rejected top-level awaits to its domain rather than to
 * eval's callback, so the domain's handler is replaced too, and the error is matched to its line.
 */
import repl, { type REPLServer } from 'node:repl';
import type { LiveOutput } from './live-output.ts';
import { sigintTakingTurns } from './sigint.ts';

interface EvalRecord {
  phase: 'inner' | 'await' | 'done';
  line: number | undefined;
  cancel?: () => void;
}

export interface EvalGuardHost {
  /** Reports a failed line (or a stray error, line undefined). */
  report(err: unknown, line: number | undefined): void;
  /** The script line being fed, if any. */
  line(): number | undefined;
  /** Ctrl+C stopped waiting for a result. */
  abandoned(): void;
  closed(): boolean;
  /** Awaited before a line runs (a REPL on simulated time starts lines between two instants). */
  before?(): Promise<void>;
  /**
   * Watches a line once it has started: `fail` ends it with an error while what it awaits goes on
   * (a REPL on simulated time fails a line that waits for the network while time is paused).
   */
  watch?(running: () => boolean, fail: (err: unknown) => void): void;
}

type Eval = (code: string, context: object, file: string, cb: (err: Error | null, result?: unknown) => void) => void;

export class EvalGuard {
  /** True while the REPL's completer evaluates an expression (not a user's line). */
  completing = false;
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly evals = new Set<EvalRecord>();
  private syncEval: EvalRecord | undefined;

  constructor(
    private readonly server: REPLServer,
    private readonly live: LiveOutput,
    private readonly host: EvalGuardHost,
  ) {}

  install(): void {
    this.wrapEval();
    this.wrapErrors();
    this.wrapSigint();
  }

  /** Resolves when no line or command is running. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Runs a dot-command's work: its error is one line; the prompt comes back when it settles. */
  runCommand(work: () => unknown): void {
    this.begin();
    const line = this.host.line();
    void (async () => {
      try {
        await work();
      } catch (err) {
        this.host.report(err, line);
      } finally {
        this.settle();
        if (!this.host.closed()) this.server.displayPrompt();
      }
    })();
  }

  private begin(): void {
    this.pending++;
    this.live.busy = true;
    this.live.touch();
  }

  private settle(): void {
    this.pending = Math.max(0, this.pending - 1);
    this.live.touch();
    if (this.pending > 0) return;
    this.live.busy = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private wrapEval(): void {
    const server = this.server as unknown as { eval: Eval; breakEvalOnSigint?: boolean };
    const original = server.eval;
    // See sigint.ts: the SIGINT watchdog and process-level SIGINT listeners must take turns.
    const inner: Eval = server.breakEvalOnSigint ? sigintTakingTurns(original) : original;
    const guard = this;
    server.eval = function (this: unknown, code, context, file, cb): void {
      // The completer evaluates `try { expr } catch {}` to list members: not a user's line.
      if (guard.completing || /^try \{ [\s\S]* \} catch \{\}$/.test(code.trim())) {
        inner.call(this, code, context, file, cb);
        return;
      }
      const rec: EvalRecord = { phase: 'inner', line: guard.host.line() };
      guard.evals.add(rec);
      guard.begin();
      const done = (): void => {
        rec.phase = 'done';
        guard.evals.delete(rec);
        guard.settle();
      };
      const self = this;
      const go = (): void => {
        guard.syncEval = rec;
        try {
          inner.call(self, code, context, file, (err, value) => {
            if (rec.phase === 'done') return;
            if (err instanceof repl.Recoverable) {
              done();
              cb(err); // an unfinished expression: the REPL asks for more
            } else if (err) {
              guard.host.report(err, rec.line);
              done();
              cb(null);
            } else if (isThenable(value)) {
              rec.phase = 'await';
              rec.cancel = () => {
                guard.host.abandoned();
                done();
                cb(null);
              };
              Promise.resolve(value).then(
                (v) => {
                  if (rec.phase === 'done') return;
                  done();
                  cb(null, v);
                },
                (e: unknown) => {
                  if (rec.phase === 'done') return;
                  guard.host.report(e, rec.line);
                  done();
                  cb(null);
                },
              );
            } else {
              done();
              cb(null, value);
            }
          });
        } finally {
          if (guard.syncEval === rec) guard.syncEval = undefined;
        }
      };
      const started = (): void => {
        go();
        guard.host.watch?.(
          () => rec.phase !== 'done',
          (err) => {
            if (rec.phase === 'done') return;
            guard.host.report(err, rec.line);
            done();
            cb(null);
          },
        );
      };
      if (guard.host.before) void guard.host.before().then(started);
      else started();
    };
  }

  private wrapErrors(): void {
    const domain = (this.server as unknown as { _domain?: NodeJS.EventEmitter })._domain;
    if (!domain) return;
    domain.removeAllListeners('error');
    domain.on('error', (err: unknown) => {
      // Thrown while the line ran, or the rejection of the top-level await the REPL is waiting on.
      const rec = this.syncEval ?? [...this.evals].find((r) => r.phase === 'inner');
      this.host.report(err, rec?.line);
      if (rec) {
        rec.phase = 'done';
        this.evals.delete(rec);
      }
      this.server.clearBufferedCommand();
      const lines = (this.server as unknown as { lines?: { level?: unknown[] } }).lines;
      if (lines) lines.level = [];
      if (!this.host.closed()) this.server.displayPrompt();
      if (rec) this.settle();
    });
  }

  /** Ctrl+C while a result is awaited stops waiting (the action goes on); otherwise the REPL's own. */
  private wrapSigint(): void {
    const originals = this.server.listeners('SIGINT') as ((...a: unknown[]) => void)[];
    this.server.removeAllListeners('SIGINT');
    this.server.on('SIGINT', () => {
      const waiting = [...this.evals].find((r) => r.phase === 'await');
      if (waiting?.cancel) {
        waiting.cancel();
        return;
      }
      for (const fn of originals) fn.call(this.server);
    });
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}
