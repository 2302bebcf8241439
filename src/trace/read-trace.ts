/**
 * Reading traces (DESIGN.md §2.4): JSON lines written by `TraceWriter`. Like eemeli/yaml's
 * `parseDocument`, reading collects problems instead of throwing: a bad line is reported with its
 * line number and skipped, so a trace cut short by a crash still plays and still draws.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PeerlabError } from '../runtime/errors.ts';
import type { TraceRecord } from '../runtime/trace.ts';

export interface TraceProblem {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

export interface TraceReadResult {
  /** Valid records in time order (stable: records with the same time keep their file order). */
  records: TraceRecord[];
  problems: TraceProblem[];
  /** Non-empty lines seen. */
  lines: number;
}

export type RecordCheck = { ok: true; record: TraceRecord } | { ok: false; message: string };

const MESSAGE_KINDS = new Set(['send', 'deliver', 'drop']);

/**
 * Reads a trace file line by line (constant memory per line, whatever the file size). Rejects only
 * when the file cannot be read at all (PeerlabError IO); bad lines are returned as problems.
 */
export async function readTrace(path: string): Promise<TraceReadResult> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new PeerlabError('IO', `cannot read ${path}: ${reason(err)}`);
  }
  if (info.isDirectory()) throw new PeerlabError('IO', `cannot read ${path}: it is a directory`);
  const reader = new TraceLineReader();
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) reader.push(line);
  } catch (err) {
    throw new PeerlabError('IO', `cannot read ${path}: ${reason(err)}`);
  } finally {
    lines.close();
    input.destroy();
  }
  return reader.result();
}

/** The same as readTrace, for text already in memory. */
export function parseTrace(text: string): TraceReadResult {
  const reader = new TraceLineReader();
  for (const line of text.split(/\r?\n/)) reader.push(line);
  return reader.result();
}

/** Sorts records by time; stable, so records of one millisecond keep the order they were written in. */
export function sortByTime(records: readonly TraceRecord[]): TraceRecord[] {
  return [...records].sort((a, b) => a.time - b.time);
}

/** Lines that say what was skipped: the first `max` problems with their line, then how many more. */
export function describeProblems(file: string, problems: readonly TraceProblem[], suffix = '', max = 5): string[] {
  const out = problems.slice(0, max).map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.message}${suffix}`);
  if (problems.length > max) out.push(`${file}: ${problems.length - max} more problems`);
  return out;
}

class TraceLineReader {
  private readonly records: TraceRecord[] = [];
  private readonly problems: TraceProblem[] = [];
  private lineNo = 0;
  private nonEmpty = 0;

  push(raw: string): void {
    this.lineNo++;
    const line = this.lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') return;
    this.nonEmpty++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      this.problems.push({ line: this.lineNo, message: `not JSON (${reason(err)})` });
      return;
    }
    const check = checkRecord(value);
    if (check.ok) this.records.push(check.record);
    else this.problems.push({ line: this.lineNo, message: check.message });
  }

  result(): TraceReadResult {
    return { records: sortByTime(this.records), problems: this.problems, lines: this.nonEmpty };
  }
}

/** Validates one parsed line against the TraceRecord shape; unknown extra fields are kept. */
export function checkRecord(value: unknown): RecordCheck {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad(`expected a JSON object, got ${describe(value)}`);
  const r = value as Record<string, unknown>;
  const kind = r.kind;
  if (typeof kind !== 'string' || !(MESSAGE_KINDS.has(kind) || kind === 'event')) {
    return bad(`kind must be one of send, deliver, drop, event; got ${describe(kind)}`);
  }
  const problem =
    finite(r, 'time') ??
    text(r, 'node') ??
    text(r, 'nodeId', true) ??
    text(r, 'type') ??
    count(r, 'lamport') ??
    (MESSAGE_KINDS.has(kind)
      ? (text(r, 'msgId') ?? text(r, 'from') ?? text(r, 'to') ?? optional(r, 'lamportRecv', count) ?? optional(r, 'bytes', count) ?? optional(r, 'reason', (o, k) => text(o, k, true)))
      : undefined);
  if (problem) return bad(problem);
  return { ok: true, record: r as unknown as TraceRecord };
}

function finite(r: Record<string, unknown>, key: string): string | undefined {
  const v = r[key];
  return typeof v === 'number' && Number.isFinite(v) ? undefined : `${key} must be a number, got ${describe(v)}`;
}

function text(r: Record<string, unknown>, key: string, emptyOk = false): string | undefined {
  const v = r[key];
  if (typeof v !== 'string') return `${key} must be a string, got ${describe(v)}`;
  return emptyOk || v !== '' ? undefined : `${key} must not be empty`;
}

function count(r: Record<string, unknown>, key: string): string | undefined {
  const v = r[key];
  return Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : `${key} must be a whole number >= 0, got ${describe(v)}`;
}

function optional(r: Record<string, unknown>, key: string, check: (r: Record<string, unknown>, key: string) => string | undefined): string | undefined {
  return r[key] === undefined ? undefined : check(r, key);
}

function bad(message: string): RecordCheck {
  return { ok: false, message };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'it is a directory';
  return e instanceof Error ? e.message : String(err);
}
