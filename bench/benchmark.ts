/**
 * What every benchmark under bench/ exports (DESIGN.md §4): a name and a `run` that returns its
 * figures. A figure is one number, printed next to the limit measured in the same run (as a ratio)
 * and judged against its goal. To add a benchmark, write bench/<name>.ts exporting a `Benchmark`
 * and list it in bench/run.ts.
 */
export interface BenchOptions {
  /** Shorter runs (`--quick`): same figures, less precision. */
  quick: boolean;
  /** Progress lines for the operator (stderr); the table and the JSON go to stdout. */
  log(message: string): void;
}

export interface Benchmark {
  /** Selects it on the command line (`npm run bench -- <name>`; a unique prefix is enough). */
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<Figure[]>;
}

/** Units the table knows how to format. */
export type Unit = 'msg/s' | 'txn/s' | 'MiB/s' | 'ms' | 'µs' | 'count' | '%' | 'bytes' | 'B/round' | 'x';

/** The reference a figure is compared with, measured in the same run (or a configured bound). */
export interface Limit {
  name: string;
  value: number;
  unit: Unit;
}

/** A goal on the figure's value or on its ratio to the limit, e.g. ratio >= 0.8 or value <= 3000. */
export interface Goal {
  on: 'value' | 'ratio';
  op: '<=' | '>=' | '==';
  target: number;
  /** Shown in the table; defaults to e.g. "<= 3000 ms" or "ratio >= 0.8". */
  text?: string;
}

export interface Figure {
  benchmark: string;
  name: string;
  value: number;
  unit: Unit;
  limit?: Limit;
  /** value / limit.value, when that quotient means something. */
  ratio?: number;
  goal?: string;
  /** Absent when no goal is set for this figure (informational). */
  pass?: boolean;
  details?: Record<string, unknown>;
}

export interface FigureInput {
  name: string;
  value: number;
  unit: Unit;
  limit?: Limit;
  /** Whether value / limit is meaningful (default: yes when there is a limit in the same unit). */
  ratio?: boolean;
  goal?: Goal;
  /** Overrides the goal check (e.g. "readmitted by all" is not a comparison of numbers). */
  pass?: boolean;
  details?: Record<string, unknown>;
}

export function makeFigure(benchmark: string, f: FigureInput): Figure {
  const out: Figure = { benchmark, name: f.name, value: f.value, unit: f.unit };
  if (f.limit) out.limit = f.limit;
  const wantRatio = f.ratio ?? (f.limit !== undefined && f.limit.unit === f.unit);
  if (f.limit && wantRatio && f.limit.value !== 0 && Number.isFinite(f.value)) out.ratio = f.value / f.limit.value;
  if (f.goal) {
    const g = f.goal;
    out.goal = g.text ?? (g.on === 'ratio' ? `ratio ${g.op} ${g.target}` : `${g.op} ${g.target}${f.unit === 'count' ? '' : ` ${f.unit}`}`);
    const subject = g.on === 'ratio' ? out.ratio : f.value;
    out.pass = f.pass ?? (subject !== undefined && Number.isFinite(subject) && compare(subject, g.op, g.target));
  } else if (f.pass !== undefined) {
    out.pass = f.pass;
  }
  if (f.details) out.details = f.details;
  return out;
}

function compare(x: number, op: Goal['op'], target: number): boolean {
  return op === '<=' ? x <= target : op === '>=' ? x >= target : x === target;
}
