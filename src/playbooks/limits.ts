/**
 * Bounds on what `check` and `play` accept (issue 15 item 8), so that any file — a 50 MB one, one
 * with 10,000 nodes, one nested 100,000 levels deep — gets a clear answer in bounded time and
 * memory. Each bound is far above what a lesson or a recorded session needs.
 */
import { isMap, isPair, isScalar, isSeq, type Document } from 'yaml';
import type { Issue } from './schema.ts';
import type { DocPath } from './source-map.ts';

export const PLAYBOOK_LIMITS = {
  /** Size of the file, checked before reading or parsing it (10,000 steps take about 500 KB). */
  bytes: 1024 * 1024,
  /** Nodes under `nodes`. A real cluster is further limited by what the machine can open (capacity.ts). */
  nodes: 2_000,
  /** Steps, those inside `parallel` groups included. */
  steps: 10_000,
  /**
   * Nodes × steps: a step may name every node (`sync: all`, `transactions: 3` on each node), and
   * the checked playbook holds what it names; this keeps it within a few hundred MB.
   */
  nodeSteps: 2_000_000,
  /** Nesting of mappings and lists (a `parallel` inside a `parallel` is two levels more). */
  depth: 64,
  /** Errors reported; the rest are counted. */
  errors: 100,
  /** Node names listed in one message. */
  listedNames: 10,
} as const;

/** Where big networks belong. Until `--sim` exists, it says that it is coming. */
export const BIG_NETWORKS = 'big networks belong in simulated mode (coming: --sim)';

/** `10000` -> `10,000`: counts in messages. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The deepest flow nesting (`[`, `{`) of YAML text, scanned without parsing, and where it passes `limit`. */
export function flowDepthPast(text: string, limit: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (comment) {
      if (c === '\n') comment = false;
      continue;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > limit) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

/** Where a YAML document first nests deeper than PLAYBOOK_LIMITS.depth (the root mapping is level 1). */
export function tooDeep(doc: Document): DocPath | undefined {
  const stack: { node: unknown; depth: number; path: DocPath }[] = [{ node: doc.contents, depth: 1, path: [] }];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > PLAYBOOK_LIMITS.depth) return path;
    const items = node.items as unknown[];
    // Pushed in reverse, so that the first offender in document order is found first.
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (isPair(item)) {
        const key = isScalar(item.key) ? String(item.key.value) : String(i);
        stack.push({ node: item.value, depth: depth + 1, path: [...path, key] });
      } else {
        stack.push({ node: item, depth: depth + 1, path: [...path, i] });
      }
    }
  }
  return undefined;
}

/** Too many nodes or steps: counted on the plain data, before any other check (schema.ts's Issue). */
export function sizeIssues(data: unknown): Issue[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  const raw = data as Record<string, unknown>;
  const out: Issue[] = [];
  const nodes = raw.nodes !== null && typeof raw.nodes === 'object' && !Array.isArray(raw.nodes) ? Object.keys(raw.nodes).length : 0;
  if (nodes > PLAYBOOK_LIMITS.nodes) {
    out.push({ code: 'LIMIT', path: ['nodes'], anchor: 'key', message: `${count(nodes)} nodes; a playbook may have at most ${count(PLAYBOOK_LIMITS.nodes)}: ${BIG_NETWORKS}` });
  }
  let steps = 0;
  const lists: unknown[] = [raw.steps];
  while (lists.length > 0 && steps <= PLAYBOOK_LIMITS.steps) {
    const list = lists.pop();
    if (!Array.isArray(list)) continue;
    steps += list.length;
    for (const s of list) if (s !== null && typeof s === 'object' && 'parallel' in s) lists.push((s as { parallel: unknown }).parallel);
  }
  if (steps > PLAYBOOK_LIMITS.steps) {
    const shown = lists.length > 0 ? `more than ${count(PLAYBOOK_LIMITS.steps)}` : count(steps);
    out.push({ code: 'LIMIT', path: ['steps'], anchor: 'key', message: `${shown} steps (parallel groups included); a playbook may have at most ${count(PLAYBOOK_LIMITS.steps)}` });
  } else if (out.length === 0 && nodes * steps > PLAYBOOK_LIMITS.nodeSteps) {
    const most = Math.floor(PLAYBOOK_LIMITS.nodeSteps / nodes);
    out.push({ code: 'LIMIT', path: ['steps'], anchor: 'key', message: `${count(steps)} steps for ${count(nodes)} nodes; with ${count(nodes)} nodes a playbook may have at most ${count(most)} steps (nodes × steps at most ${count(PLAYBOOK_LIMITS.nodeSteps)})` });
  }
  return out;
}
