import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode, type Pair } from 'yaml';

/** A location inside the parsed document: keys and sequence indexes from the root. */
export type DocPath = readonly (string | number)[];

export interface SourcePos {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['steps', 3, 'send', 'amount']` -> `steps[3].send.amount`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** JSON pointer (ajv's `instancePath`) -> DocPath. Numeric segments become indexes only in sequences. */
export function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/**
 * Maps document paths back to line:column through the YAML node ranges, so every problem found
 * on the plain data (by ajv or by the semantic checks) points at the text that caused it.
 */
export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  pos(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** Where the value at `path` starts (the nearest existing ancestor when it has no text of its own). */
  value(path: DocPath): SourcePos {
    const { node, pair } = this.walk(path);
    const keyRange = pair && isScalarNode(pair.key) ? pair.key.range : undefined;
    // An empty value (`heal:`) has a zero-length range after the colon; its key reads better.
    const empty = !node || (isScalar(node) && node.value === null && node.range && node.range[0] === node.range[1]);
    if (empty && keyRange) return this.pos(keyRange[0]);
    return this.pos(node?.range ? node.range[0] : 0);
  }

  /** Where the key holding `path` starts: for unknown or misspelt keys. Falls back to the value. */
  key(path: DocPath): SourcePos {
    const { pair, found } = this.walk(path);
    if (found && pair && isScalarNode(pair.key) && pair.key.range) return this.pos(pair.key.range[0]);
    return this.value(path);
  }

  /** For a problem about a whole mapping (a missing key): its key when it has one, else its start. */
  owner(path: DocPath): SourcePos {
    if (path.length > 0 && typeof path[path.length - 1] === 'string') return this.key(path);
    return this.value(path);
  }

  private walk(path: DocPath): { node: YamlNode | null; pair: Pair | undefined; found: boolean } {
    let node: YamlNode | null = (this.doc.contents as YamlNode | null) ?? null;
    let pair: Pair | undefined;
    for (const seg of path) {
      if (node && isAlias(node)) node = (node.resolve(this.doc) as YamlNode | undefined) ?? node;
      if (node && isMap(node)) {
        const p = node.items.find((it) => isPair(it) && keyText(it.key) === String(seg));
        if (!p) return { node, pair, found: false };
        pair = p;
        node = (p.value as YamlNode | null) ?? null;
        if (!node) return { node: null, pair, found: true };
      } else if (node && isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as YamlNode | undefined;
        if (!item) return { node, pair, found: false };
        node = item;
        pair = undefined;
      } else {
        return { node, pair, found: false };
      }
    }
    return { node, pair, found: true };
  }
}

function isScalarNode(n: unknown): n is YamlNode & { range: [number, number, number] } {
  return isScalar(n) && Array.isArray((n as { range?: unknown }).range);
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}
