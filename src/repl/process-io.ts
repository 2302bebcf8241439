/** What `peerlab repl` and `peerlab attach` share about the process they run in. */
import type { ReplSession, ReplSessionOptions } from './session.ts';
import { dataDirLayout } from '../runtime/store/data-dir.ts';
import { colourLevel } from './paint.ts';

export interface ProcessIo {
  /** stdin is not a terminal: run it as a script, one line after another. */
  script: boolean;
  /** A real terminal on both ends: prompt redraws, preview, history. */
  terminal: boolean;
  colour: 0 | 1 | 2 | 3;
}

export function processIo(): ProcessIo {
  const script = !process.stdin.isTTY;
  const terminal = !script && process.stdout.isTTY === true;
  return { script, terminal, colour: colourLevel(script ? process.stderr : process.stdout) };
}

/**
 * The session options that follow from this process's stdio, its data dir (history) and
 * `--record`: the same for a local REPL and an attached one.
 */
export function sessionIo(
  io: ProcessIo,
  dataDir: string | undefined,
  record: string | undefined,
): Omit<ReplSessionOptions, 'nodes'> {
  return {
    ...(io.script ? {} : { input: process.stdin }),
    output: process.stdout,
    errorOutput: io.script ? process.stderr : process.stdout,
    terminal: io.terminal,
    script: io.script,
    colourLevel: io.colour,
    ...(dataDir ? { historyFile: dataDirLayout(dataDir).replHistory } : {}),
    ...(record ? { recordFile: record } : {}),
  };
}

/** The terminal or pipe went away (hang-up, closed pipe): nothing can be written any more. */
const GONE = new Set(['EIO', 'EPIPE', 'ECONNRESET', 'ENOTCONN', 'EBADF', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/**
 * Signals end the session (and so stop the nodes cleanly); errors nobody owns are one line each,
 * never a crash with a stack trace. A terminal that goes away (SIGHUP, EIO) ends the session
 * without writing to it. Installed before the session starts (the prompt can show before it is
 * ready): a signal that comes first ends the session as soon as there is one. Returns `attach`,
 * to call with the session, and `remove`, which removes the handlers.
 */
export function installProcessHandlers(): { attach(session: ReplSession): void; remove(): void } {
  let session: ReplSession | undefined;
  let ending: 'close' | 'lost' | undefined;
  let reporting = false;
  const end = (how: 'close' | 'lost'): void => {
    ending ??= how;
    if (!session) return;
    if (how === 'lost') session.outputLost = true;
    else session.endLine();
    session.close();
  };
  const lost = (): void => end('lost');
  const close = (): void => end('close');
  const stray = (err: unknown): void => {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && GONE.has(code)) return lost();
    if (reporting || !session || session.outputLost) return;
    reporting = true;
    try {
      session.reportStray(err);
    } catch {
      // reporting must never throw back into the handler
    } finally {
      reporting = false;
    }
  };
  const streamError = (err: NodeJS.ErrnoException): void => {
    if (err.code && GONE.has(err.code)) lost();
  };
  process.on('SIGINT', close);
  process.on('SIGTERM', close);
  process.on('SIGHUP', lost);
  process.on('unhandledRejection', stray);
  process.on('uncaughtException', stray);
  for (const s of [process.stdin, process.stdout, process.stderr]) s.on('error', streamError);
  return {
    attach(s) {
      session = s;
      if (ending) end(ending);
    },
    remove() {
      process.off('SIGINT', close);
      process.off('SIGTERM', close);
      process.off('SIGHUP', lost);
      process.off('unhandledRejection', stray);
      process.off('uncaughtException', stray);
      for (const s of [process.stdin, process.stdout, process.stderr]) s.off('error', streamError);
    },
  };
}

/** Runs `work` but gives up after `ms` (a stuck stop must not keep a dead session alive). */
export async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
