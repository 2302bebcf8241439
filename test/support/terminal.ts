/**
 * A program in a real terminal, for tests: a pseudo-terminal from npm (`@lydell/node-pty`, prebuilt
 * binaries, nothing compiled) runs the program, and a real terminal emulator (`@xterm/headless`,
 * xterm.js without a DOM) draws everything it writes, so a test reads the screen a person would see
 * — cursor moves, erased rows, wrapped lines and all — not the raw bytes.
 *
 *   const term = Terminal.spawn(process.execPath, [BIN, 'repl', '--memory']);
 *   await term.waitForScreen((s) => s.hasLine(/^alice> $/), 'the prompt');
 *   term.write('node.se');  term.write(KEYS.tab);
 *   ...
 *   await term.dispose();
 *
 * Every wait is bounded and re-checked after each chunk the program writes (no polling, no sleeps);
 * a timeout names what was awaited and shows the screen.
 */
import { createRequire } from 'node:module';
import type { IPty } from '@lydell/node-pty';
import xterm from '@xterm/headless';

/** Keys as a terminal sends them. */
export const KEYS = {
  enter: '\r',
  tab: '\t',
  up: '\x1b[A',
  ctrlC: '\x03',
  ctrlD: '\x04',
  /** Erase the line before the cursor (readline). */
  ctrlU: '\x15',
} as const;

export interface TerminalOptions {
  cols?: number;
  rows?: number;
  cwd?: string;
  /** Added to (or, with a value of undefined, removed from) the test's own environment. */
  env?: Record<string, string | undefined>;
}

/** What the emulator shows: logical lines (wrapped rows joined), trailing spaces trimmed. */
export class Screen {
  constructor(
    /** Scrollback and visible rows, as logical lines. */
    readonly lines: readonly string[],
    /** The logical line holding the cursor, up to the cursor. */
    readonly beforeCursor: string,
    /** The whole logical line holding the cursor. */
    readonly cursorLine: string,
  ) {}

  hasLine(pattern: RegExp): boolean {
    return this.lines.some((l) => pattern.test(l));
  }

  /** The first line matching `pattern`, if any. */
  find(pattern: RegExp): string | undefined {
    return this.lines.find((l) => pattern.test(l));
  }

  /** The last line that is not empty. */
  lastLine(): string {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i] !== '') return this.lines[i]!;
    return '';
  }

  /** The last `n` non-empty lines, for failure messages. */
  tail(n = 30): string {
    return this.lines.filter((l) => l !== '').slice(-n).join('\n');
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

interface Waiter {
  check(): void;
}

export class Terminal {
  private readonly emulator: InstanceType<typeof xterm.Terminal>;
  private readonly waiters = new Set<Waiter>();
  private pendingWrites = 0;
  private exitInfo: { exitCode: number; signal?: number } | undefined;
  /** Resolves with the program's exit code (or 128 + signal). */
  readonly exited: Promise<number>;

  private constructor(
    private readonly pty: IPty,
    cols: number,
    rows: number,
  ) {
    // In @xterm/headless the buffer (what the screen shows) is still "proposed" API.
    this.emulator = new xterm.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
    // Answers to the program's queries (cursor position, device attributes) go back to it, as a
    // real terminal's would.
    this.emulator.onData((d) => this.pty.write(d));
    pty.onData((chunk) => {
      this.pendingWrites++;
      this.emulator.write(chunk, () => {
        this.pendingWrites--;
        this.notify();
      });
    });
    this.exited = new Promise((resolve) =>
      pty.onExit((e) => {
        this.exitInfo = e;
        resolve(e.signal ? 128 + e.signal : e.exitCode);
        // Output still in the emulator's queue is drawn before waiters hear of the exit.
        this.emulator.write('', () => this.notify());
      }),
    );
  }

  /** Runs `file args` in a new pseudo-terminal of `cols` x `rows` (default 140 x 40). */
  static spawn(file: string, args: string[], options: TerminalOptions = {}): Terminal {
    const cols = options.cols ?? 140;
    const rows = options.rows ?? 40;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, TERM: 'xterm-256color', ...options.env })) if (v !== undefined) env[k] = v;
    const pty = loadPty().spawn(file, args, { name: env.TERM, cols, rows, cwd: options.cwd ?? process.cwd(), env });
    return new Terminal(pty, cols, rows);
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** Sends keys or text, as typed (one chunk: readline takes a Tab inside a longer chunk as pasted). */
  write(keys: string): void {
    this.pty.write(keys);
  }

  /** What the screen shows now (output still being parsed is not included; waits see it). */
  screen(): Screen {
    const buf = this.emulator.buffer.active;
    const cursorRow = buf.baseY + buf.cursorY;
    const lines: string[] = [];
    let current = ''; // the rows of the logical line being built, untrimmed
    let beforeCursor = '';
    let cursorIndex = -1;
    for (let y = 0; y < buf.length; y++) {
      const row = buf.getLine(y);
      if (!row) continue;
      if (!row.isWrapped || lines.length === 0) {
        lines.push('');
        current = '';
      }
      if (y === cursorRow) {
        beforeCursor = current + row.translateToString(false, 0, buf.cursorX);
        cursorIndex = lines.length - 1;
      }
      current += row.translateToString(false);
      lines[lines.length - 1] = current.trimEnd();
    }
    const cursorLine = lines[cursorIndex] ?? '';
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return new Screen(lines, beforeCursor, cursorLine);
  }

  /**
   * Resolves with the screen once `predicate` holds for it; rejects after `timeoutMs` (or when the
   * program exits first) with `what` and the last lines of the screen.
   */
  waitForScreen(predicate: (s: Screen) => boolean, what: string, timeoutMs = 10_000): Promise<Screen> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, screen?: Screen): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (err) reject(err);
        else resolve(screen!);
      };
      const waiter: Waiter = {
        check: () => {
          if (this.pendingWrites > 0) return; // judge only a fully drawn screen
          const screen = this.screen();
          if (predicate(screen)) finish(undefined, screen);
          else if (this.exitInfo) finish(new Error(`the program exited (${JSON.stringify(this.exitInfo)}) before ${what}; screen:\n${screen.tail()}`));
        },
      };
      timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${this.screen().tail()}`)), timeoutMs);
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  /** Waits for the program to exit; rejects after `timeoutMs` with the screen. */
  async waitForExit(timeoutMs = 10_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the program did not exit within ${timeoutMs} ms; screen:\n${this.screen().tail()}`)), timeoutMs);
    });
    try {
      const code = await Promise.race([this.exited, timeout]);
      await new Promise<void>((r) => this.emulator.write('', r)); // its last output is on screen
      return code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the program if it still runs (SIGKILL) and frees the emulator. Idempotent. */
  async dispose(): Promise<void> {
    if (!this.exitInfo) {
      this.pty.kill('SIGKILL');
      await this.exited;
    }
    this.emulator.dispose();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w.check();
  }
}

/** node-pty, loaded on first use so that a missing binary fails the test that needs it, clearly. */
function loadPty(): typeof import('@lydell/node-pty') {
  try {
    return createRequire(import.meta.url)('@lydell/node-pty') as typeof import('@lydell/node-pty');
  } catch (e) {
    throw new Error(
      `the pseudo-terminal package @lydell/node-pty could not load (${(e as Error).message.split('\n')[0]}). ` +
        'Run `npm ci` without --omit=optional: it installs the prebuilt binary for this platform (Linux, macOS, Windows; x64, arm64).',
    );
  }
}
