/**
 * The worker side of bench/lib.ts `Rpc`: JSON lines out (`out`), and JSON commands in on stdin,
 * `{id, cmd, ...args}`, each answered by `{type: 'reply', id, ok, value | error}`. Commands run
 * one after another, in order. When stdin closes, `onEnd` runs and the process exits.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

export const out = (o: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};

/** Wall clock in ms with sub-ms precision (comparable between processes of one machine). */
export const now = (): number => performance.timeOrigin + performance.now();

export type Handler = (args: Record<string, unknown>) => unknown;

export function serve(handlers: Record<string, Handler>, onEnd: () => Promise<void> | void = () => {}): void {
  let chain: Promise<void> = Promise.resolve();
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let msg: { id?: unknown; cmd?: unknown } & Record<string, unknown>;
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      out({ type: 'error', message: `not JSON: ${line.slice(0, 80)}` });
      return;
    }
    const id = msg.id;
    chain = chain.then(async () => {
      const h = typeof msg.cmd === 'string' ? handlers[msg.cmd] : undefined;
      if (!h) {
        out({ type: 'reply', id, ok: false, error: `unknown command ${String(msg.cmd)}` });
        return;
      }
      try {
        const value = await h(msg);
        out({ type: 'reply', id, ok: true, value: value ?? null });
      } catch (err) {
        out({ type: 'reply', id, ok: false, error: err instanceof Error ? `${err.message}` : String(err) });
      }
    });
  });
  rl.on('close', () => {
    void chain
      .then(() => onEnd())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}
