/** A small table renderer for the REPL: aligned columns, a ruled header, cells cut to fit. */
import { stripAnsi, visibleWidth, type Paint } from './paint.ts';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export interface TableOptions {
  paint: Paint;
  /** Total width available (the terminal's columns); wide tables cut their widest cells. */
  maxWidth?: number;
  /** Longest cell before cutting (default 48). */
  maxCell?: number;
  indent?: number;
}

const GAP = 2;

export function renderTable(columns: Column[], rows: string[][], opts: TableOptions): string {
  const { paint } = opts;
  const maxCell = opts.maxCell ?? 48;
  const indent = ' '.repeat(opts.indent ?? 0);
  const widths = columns.map((c, i) => Math.min(maxCell, Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? '')))));
  if (opts.maxWidth !== undefined) {
    const budget = opts.maxWidth - indent.length - GAP * (columns.length - 1);
    // Shrink the widest column a character at a time until the table fits (never below 6).
    while (widths.reduce((a, b) => a + b, 0) > budget) {
      let widest = 0;
      for (let i = 1; i < widths.length; i++) if (widths[i]! > widths[widest]!) widest = i;
      if (widths[widest]! <= 6) break;
      widths[widest]!--;
    }
  }
  const line = (cells: string[], style?: (s: string) => string): string =>
    indent +
    cells
      .map((cell, i) => {
        const fitted = fit(cell, widths[i]!);
        const pad = ' '.repeat(Math.max(0, widths[i]! - visibleWidth(fitted)));
        const text = columns[i]!.align === 'right' ? pad + fitted : fitted + (i === cells.length - 1 ? '' : pad);
        return style ? style(text) : text;
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  const out = [line(columns.map((c) => c.header), paint.bold), indent + paint.dim(widths.map((w) => '─'.repeat(w)).join(' '.repeat(GAP)))];
  for (const r of rows) out.push(line(columns.map((_, i) => r[i] ?? '')));
  return out.join('\n');
}

/** Cuts a cell to `width` shown characters with an ellipsis (colour is dropped from cut cells). */
function fit(cell: string, width: number): string {
  if (visibleWidth(cell) <= width) return cell;
  const plain = [...stripAnsi(cell)];
  return `${plain.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** `key  value` lines, keys aligned. */
export function renderKeyValues(pairs: [string, string][], paint: Paint, indent = 0): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  const pad = ' '.repeat(indent);
  return pairs.map(([k, v]) => `${pad}${paint.dim(k.padEnd(w))}  ${v}`).join('\n');
}
