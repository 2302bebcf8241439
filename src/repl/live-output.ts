/**
 * Output that arrives while the user types (events, progress bars) is printed above the prompt:
 * the prompt's rows are cleared, the text is written, and readline redraws the prompt with the
 * typed text and cursor where they were. Progress lines (each with a key: one per transfer and
 * side) form a block at the bottom that is redrawn in place, every bar on its own line, until
 * something else is printed.
 */
import { clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import type { Writable } from 'node:stream';
import { visibleWidth } from './paint.ts';

/** The part of a REPLServer (a readline Interface) that redrawing needs. */
export interface PromptLine {
  prompt(preserveCursor?: boolean): void;
  /** Rows between the prompt's first row and the cursor (readline's own bookkeeping). */
  prevRows?: number;
}

export class LiveOutput {
  /** True while a command runs: no prompt is on screen, so text is simply written. */
  busy = false;
  /** Bumped whenever something else may have written (a command started or ended). */
  generation = 0;
  /** The progress lines at the bottom, in order, while nothing else has been printed since. */
  private block: { lines: { key: string; text: string }[]; rows: number; gen: number } | undefined;
  private rl: PromptLine | undefined;

  constructor(
    private readonly out: Writable & { columns?: number },
    private readonly terminal: boolean,
  ) {}

  attach(rl: PromptLine): void {
    this.rl = rl;
  }

  /** Prints `text` (one or more lines) above the prompt; `key` marks a line that may replace itself. */
  print(text: string, key?: string): void {
    if (this.out.destroyed || this.out.writableEnded) return;
    const rl = this.rl;
    if (!this.terminal || !rl) {
      this.out.write(`${text}\n`);
      return;
    }
    const out = this.out;
    const block = key !== undefined && this.block?.gen === this.generation ? this.block : undefined;
    if (!this.busy) moveCursor(out, 0, -(rl.prevRows ?? 0));
    cursorTo(out, 0);
    if (block) moveCursor(out, 0, -block.rows);
    clearScreenDown(out);
    if (key === undefined) {
      out.write(`${text}\n`);
      this.block = undefined;
    } else {
      const lines = block ? block.lines : [];
      const at = lines.findIndex((l) => l.key === key);
      if (at >= 0) lines[at] = { key, text };
      else lines.push({ key, text });
      const all = lines.map((l) => l.text).join('\n');
      out.write(`${all}\n`);
      this.block = { lines, rows: this.rows(all), gen: this.generation };
    }
    if (!this.busy) {
      rl.prevRows = 0;
      rl.prompt(true);
    }
  }

  /** Something else is about to write: a following progress line must not overwrite it. */
  touch(): void {
    this.generation++;
  }

  private rows(text: string): number {
    const cols = this.out.columns && this.out.columns > 0 ? this.out.columns : 80;
    return text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(visibleWidth(line) / cols)), 0);
  }
}
