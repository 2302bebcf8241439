/**
 * Shared state of the semantic checks that follow schema validation: the issues found so far, the
 * node names, the network scale, and readers for the value kinds every part needs (durations,
 * amounts, node references). Readers return undefined after reporting a problem, so callers simply
 * skip what cannot be built; the playbook is only returned when nothing was reported.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatAddress, tryParseAddress } from '../runtime/address.ts';
import { DEFAULT_SCALE, parseAmount, type Units } from '../runtime/ledger/amount.ts';
import { readDuration, tryParseBytes } from '../runtime/units.ts';
import type { FilePath, PeerRef } from './playbook.ts';
import type { Issue } from './schema.ts';
import { describe } from './schema.ts';
import { formatPath, type DocPath, type SourcePos } from './source-map.ts';
import { count, PLAYBOOK_LIMITS } from './limits.ts';
import type { PathRule } from './path-rule.ts';
import { nearest } from './suggest.ts';

export class CheckContext {
  readonly issues: Issue[] = [];
  private names: readonly string[] = [];
  private nameSet = new Set<string>();
  scale = DEFAULT_SCALE;
  /** The playbook's `mode` (simulation-only steps are refused in a real one). */
  mode: 'real' | 'simulated' = 'real';
  private readonly blocked: Set<string>;

  constructor(
    readonly baseDir: string,
    schemaIssues: readonly Issue[],
    readonly checkFiles: boolean,
    /** Where file paths may lead (DESIGN.md §2.3). */
    readonly paths: PathRule,
    /** Line and column of a value, for the positions carried by steps and nodes. */
    readonly locate: (path: DocPath, anchor?: 'key' | 'value') => SourcePos,
  ) {
    // Values that failed the schema are not read again: their problem is already reported once.
    this.blocked = new Set(schemaIssues.filter((i) => i.anchor === 'value').map((i) => formatPath(i.path)));
  }

  /** The playbook's node names, in document order. */
  get nodeNames(): readonly string[] {
    return this.names;
  }

  set nodeNames(names: readonly string[]) {
    this.names = names;
    this.nameSet = new Set(names);
  }

  report(path: DocPath, message: string, code: Issue['code'] = 'BAD_VALUE', anchor: Issue['anchor'] = 'value', suggestion?: string): undefined {
    const text = suggestion ? `${message}; did you mean '${suggestion}'?` : message;
    this.issues.push(suggestion ? { code, path, anchor, message: text, suggestion } : { code, path, anchor, message: text });
    return undefined;
  }

  /** True when the value at `path`, or a value containing it, already failed the schema. */
  isBlocked(path: DocPath): boolean {
    for (let n = path.length; n >= 0; n--) if (this.blocked.has(formatPath(path.slice(0, n)))) return true;
    return false;
  }

  /** True when nothing at or under `path` failed the schema: for values checked as a whole. */
  isClean(path: DocPath): boolean {
    if (this.isBlocked(path)) return false;
    const prefix = formatPath(path);
    for (const b of this.blocked) if (b.startsWith(prefix) && (b[prefix.length] === '.' || b[prefix.length] === '[')) return false;
    return true;
  }

  duration(v: unknown, path: DocPath, opts: { positive?: boolean } = {}): number | undefined {
    if (v === undefined || this.isBlocked(path)) return undefined;
    const r = readDuration(v);
    if (!r.ok) return this.report(path, r.message, 'BAD_DURATION');
    const ms = r.ms;
    if (opts.positive && ms <= 0) return this.report(path, `must be longer than 0, got ${describe(v)}`, 'BAD_DURATION');
    return ms;
  }

  amount(v: unknown, path: DocPath, opts: { allowZero?: boolean } = {}): Units | undefined {
    if (v === undefined || this.isBlocked(path)) return undefined;
    const r = parseAmount(v, this.scale, opts);
    if (!r.ok) return this.report(path, r.message, 'BAD_AMOUNT');
    return r.units;
  }

  bytes(v: unknown, path: DocPath): number | undefined {
    if (v === undefined || this.isBlocked(path)) return undefined;
    const b = tryParseBytes(v);
    if (b === null) return this.report(path, `must be a size like 4096, 10MB or 256MiB, got ${describe(v)}`, 'BAD_SIZE');
    return b;
  }

  /** A single node name (`all` refused). `anchor: 'key'` when the name is a mapping key. */
  node(v: unknown, path: DocPath, anchor: 'key' | 'value' = 'value'): string | undefined {
    if (typeof v !== 'string' || this.isBlocked(path)) return undefined;
    if (this.nameSet.has(v)) return v;
    if (v === 'all') return this.report(path, "'all' is not allowed here: name one node", 'UNKNOWN_NODE', anchor);
    return this.unknownNode(v, path, anchor, this.nodeNames);
  }

  /** A node name or `all` (every node). */
  nodeOrAll(v: unknown, path: DocPath, anchor: 'key' | 'value' = 'value'): string[] | undefined {
    if (typeof v !== 'string' || this.isBlocked(path)) return undefined;
    if (v === 'all') return [...this.nodeNames];
    if (this.nameSet.has(v)) return [v];
    return this.unknownNode(v, path, anchor, [...this.nodeNames, 'all'], ' or all');
  }

  /** `all`, one node name, or a list of names; duplicates are refused by the schema. */
  nodeSet(v: unknown, path: DocPath): string[] | undefined {
    if (this.isBlocked(path)) return undefined;
    if (typeof v === 'string') return this.nodeOrAll(v, path);
    if (!Array.isArray(v)) return undefined;
    const names = v.map((item, i) => this.node(item, [...path, i]));
    return names.every((n): n is string => n !== undefined) ? names : undefined;
  }

  /** A node of the playbook or an outside `host:port`. */
  peer(v: unknown, path: DocPath): PeerRef | undefined {
    if (typeof v !== 'string' || this.isBlocked(path)) return undefined;
    if (this.nameSet.has(v)) return { node: v };
    const addr = tryParseAddress(v);
    if (addr) return { address: formatAddress(addr) };
    if (v === 'all') return this.report(path, "'all' is not allowed here: name one node or give host:port", 'UNKNOWN_NODE');
    return this.unknownNode(v, path, 'value', this.nodeNames, ', or host:port');
  }

  /** A file or folder path, relative to the playbook's folder, that must stay where `paths` allows. */
  file(v: unknown, path: DocPath): FilePath | undefined {
    if (typeof v !== 'string' || this.isBlocked(path)) return undefined;
    const resolved = resolve(this.baseDir, v);
    const outside = this.paths.problem(resolved, v, { disk: this.checkFiles });
    if (outside) return this.report(path, outside, 'PATH_OUTSIDE');
    return { text: v, resolved };
  }

  /** With `checkFiles` (loading from disk): a file to send must exist, unless an `export` writes it. */
  fileExists(p: FilePath | undefined, path: DocPath, written: ReadonlySet<string>): void {
    if (!p || !this.checkFiles || written.has(p.resolved) || existsSync(p.resolved)) return;
    this.report(path, `file not found: ${p.text} (paths are relative to the playbook's folder)`, 'MISSING_FILE');
  }

  /**
   * Unknown node: a did-you-mean, or the first names. Linear output (issue 15 item 8): the list
   * stops at PLAYBOOK_LIMITS.listedNames, and past the errors that will be shown no suggestion is
   * searched for at all.
   */
  private unknownNode(v: string, path: DocPath, anchor: 'key' | 'value', candidates: readonly string[], or = ''): undefined {
    if (this.issues.length >= PLAYBOOK_LIMITS.errors) return this.report(path, `unknown node '${v}'`, 'UNKNOWN_NODE', anchor);
    const suggestion = nearest(v, candidates);
    const names = this.names.slice(0, PLAYBOOK_LIMITS.listedNames).join(', ');
    const more = this.names.length > PLAYBOOK_LIMITS.listedNames ? ` and ${count(this.names.length - PLAYBOOK_LIMITS.listedNames)} more` : '';
    const known = this.names.length ? ` (nodes are ${names}${more}${or})` : '';
    return this.report(path, suggestion ? `unknown node '${v}'` : `unknown node '${v}'${known}`, 'UNKNOWN_NODE', anchor, suggestion);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
