/**
 * A recorded REPL session is a playbook (DESIGN.md §2.3, src/repl/recorder.ts). Replaying it in the
 * terminal means showing its steps on the playbook's own timeline: steps run one after another,
 * `wait:` and a foreground `robot`'s `for:` take time, `at:` places a step from the start, and
 * `parallel:` starts its steps together. Nothing is executed: `peerlab play` does that.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { PeerlabError } from '../runtime/errors.ts';
import { tryParseDuration } from '../runtime/units.ts';
import type { TraceProblem } from './read-trace.ts';
import type { ReplayItem } from './replay.ts';

export interface SessionReadResult {
  /** The playbook's `name:`. */
  name: string | undefined;
  /** Keys under `nodes:`. */
  nodes: string[];
  /** Steps in time order (stable). */
  items: ReplayItem[];
  problems: TraceProblem[];
}

/** Keys that qualify a step rather than being the step. */
const MODIFIERS = new Set(['name', 'at', 'mayFail']);

export async function readSession(path: string): Promise<SessionReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new PeerlabError('IO', `cannot read ${path}: ${why}`);
  }
  return parseSession(text, path);
}

/** Throws PeerlabError BAD_ARGUMENT when the text is not YAML or has no `steps:` list. */
export function parseSession(text: string, path = 'session'): SessionReadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const err = doc.errors[0];
  if (err) {
    const pos = lineCounter.linePos(err.pos[0]);
    throw new PeerlabError('BAD_ARGUMENT', `${path}:${pos.line}:${pos.col}: not valid YAML: ${err.message.split('\n')[0]}`);
  }
  const root = doc.toJS() as unknown;
  if (!isObject(root) || !Array.isArray(root.steps)) {
    throw new PeerlabError('BAD_ARGUMENT', `${path}: not a recorded session or playbook (no steps: list)`);
  }
  const nodes = isObject(root.nodes) ? Object.keys(root.nodes) : [];
  const walker = new Walker(nodes, (path) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : 0;
  });
  walker.walk(root.steps, 0, ['steps']);
  const items = walker.items.sort((a, b) => a.at - b.at);
  return { name: typeof root.name === 'string' ? root.name : undefined, nodes, items, problems: walker.problems };
}

class Walker {
  readonly items: ReplayItem[] = [];
  readonly problems: TraceProblem[] = [];
  /** Line of the step being laid out, for problems. */
  private line = 0;

  constructor(
    private readonly nodes: string[],
    private readonly lineOf: (path: Array<string | number>) => number,
  ) {}

  /** Lays the steps out one after another from `start`; returns when the last one ends. */
  walk(steps: unknown[], start: number, path: Array<string | number>): number {
    let t = start;
    steps.forEach((raw, i) => {
      const r = this.step(raw, t, [...path, i]);
      if (!r.placed) t = r.end;
    });
    return t;
  }

  /** One step starting at `t` (or at its `at:`); returns when it ends and whether `at:` placed it. */
  private step(raw: unknown, t: number, path: Array<string | number>): { end: number; placed: boolean } {
    this.line = this.lineOf(path);
    if (!isObject(raw)) {
      this.problem('a step must be a mapping like "- send: {...}"; skipped');
      return { end: t, placed: false };
    }
    const keys = Object.keys(raw).filter((k) => !MODIFIERS.has(k));
    const key = keys[0];
    if (key === undefined || keys.length > 1) {
      this.problem(`a step has one step key, this one has ${keys.length ? keys.join(', ') : 'none'}; skipped`);
      return { end: t, placed: false };
    }
    const value = raw[key];
    const placed = raw.at !== undefined;
    const when = placed ? (this.duration(raw.at, 'at:') ?? t) : t;
    const name = typeof raw.name === 'string' ? raw.name : undefined;
    if (key === 'say') this.items.push({ at: when, nodes: [], kind: 'say', type: 'say', text: String(value ?? '') });
    else this.items.push({ at: when, nodes: this.nodesOf(value), kind: 'step', type: key, step: { key, value, ...(name ? { name } : {}) } });
    let end = when;
    if (key === 'wait') end += this.duration(value, 'wait:') ?? 0;
    else if (key === 'robot' && isObject(value) && value.background !== true) end += this.duration(value.for, 'robot for:') ?? 0;
    else if (key === 'parallel' && Array.isArray(value)) {
      // Its steps start together; it ends when the last one does.
      for (const [j, child] of value.entries()) end = Math.max(end, this.step(child, when, [...path, key, j]).end);
    }
    return { end, placed };
  }

  /** The playbook nodes a step names (`all` names every node). */
  private nodesOf(value: unknown): string[] {
    const found = new Set<string>();
    const visit = (v: unknown): void => {
      if (typeof v === 'string') {
        if (v === 'all') this.nodes.forEach((n) => found.add(n));
        else if (this.nodes.includes(v)) found.add(v);
      } else if (Array.isArray(v)) v.forEach(visit);
      else if (isObject(v)) Object.values(v).forEach(visit);
    };
    visit(value);
    return [...found];
  }

  private duration(v: unknown, what: string): number | undefined {
    const ms = tryParseDuration(v);
    if (ms === null) this.problem(`${what} ${JSON.stringify(v)} is not a duration like 200ms or 2s; taken as 0`);
    return ms ?? undefined;
  }

  private problem(message: string): void {
    this.problems.push({ line: this.line, message });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
