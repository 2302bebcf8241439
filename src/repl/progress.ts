/** Progress bars for file transfers, from `file-progress` events {bytes, total, rate}. */
import type { PeerlabEvent } from '../runtime/events.ts';
import type { NameBook } from './names.ts';
import type { Paint } from './paint.ts';
import { bytes } from './bytes.ts';

export interface ProgressData {
  transferId?: string;
  name?: string;
  peer?: string;
  direction?: 'in' | 'out';
  bytes: number;
  total: number;
  rate?: number;
}

export function isProgress(d: unknown): d is ProgressData {
  const p = d as ProgressData | null;
  return !!p && typeof p.bytes === 'number' && typeof p.total === 'number';
}

/** `alice ⇡ hello.txt → bob [██████░░░░] 60% 1.2 MiB/2.0 MiB 5.1 MiB/s` (the peer by name when known). */
export function progressLine(node: string, d: ProgressData, paint: Paint, width = 80, names?: NameBook): string {
  const pct = d.total > 0 ? Math.min(1, d.bytes / d.total) : 1;
  const arrow = d.direction === 'in' ? '⇣' : '⇡';
  const dir = d.direction === 'in' ? '←' : '→';
  const peer = names ? names.address(d.peer) : (d.peer ?? '');
  const label = `${node} ${arrow} ${d.name ?? 'file'} ${dir} ${peer}`.trimEnd();
  const figures = `${String(Math.floor(pct * 100)).padStart(3)}% ${bytes(d.bytes)}/${bytes(d.total)}${d.rate ? ` ${bytes(d.rate)}/s` : ''}`;
  const barWidth = Math.max(10, Math.min(30, width - label.length - figures.length - 6));
  const filled = Math.round(pct * barWidth);
  const bar = paint.cyan('█'.repeat(filled)) + paint.dim('░'.repeat(barWidth - filled));
  return `${label} [${bar}] ${figures}`;
}

/**
 * Which progress events to draw. In a terminal every one (the bar is redrawn in place); otherwise
 * only the start, each quarter and the end, so logs stay short.
 */
export class ProgressFilter {
  private readonly shown = new Map<string, number>();

  constructor(private readonly terminal: boolean) {}

  key(e: PeerlabEvent): string {
    const d = e.data as ProgressData;
    return `${e.node}/${d.transferId ?? d.name ?? ''}`;
  }

  wants(e: PeerlabEvent): boolean {
    const d = e.data as ProgressData;
    const key = this.key(e);
    const done = d.bytes >= d.total;
    if (done) this.shown.delete(key);
    if (this.terminal) return true;
    if (done) return true;
    const quarter = d.total > 0 ? Math.floor((4 * d.bytes) / d.total) : 4;
    const last = this.shown.get(key);
    if (last !== undefined && quarter <= last) return false;
    this.shown.set(key, quarter);
    return true;
  }
}
