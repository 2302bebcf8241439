/**
 * Tab completion: `node.` offers the node's API (what this node has, not its internals),
 * `node.faults.` its namespace, `nodes.` the local node names, and inside a string argument of a
 * node method (`node.send('` / `.send `) the names and addresses of its peers. Anything else goes
 * to the REPL's own completer.
 */
import type { REPLServer } from 'node:repl';
import { API } from '../runtime/api.ts';
import type { NameBook } from './names.ts';

export type CompleteResult = [string[], string];

export interface CompletionSource {
  /** The node object an expression like `node`, `nodes.bob` or `nodes['bob']` names. */
  nodeFor(expr: string): object | undefined;
  nodeNames(): string[];
  /** Peer names and addresses of a node (and the other local nodes); a promise for remote nodes. */
  peerRefs(node: object): string[] | Promise<string[]>;
  /** The node that dot-commands act on. */
  current(): object;
}

/** Public properties worth completing besides the API functions. */
const PROPERTIES = ['name', 'id', 'shortId', 'address', 'advertised', 'port', 'lamportTime', 'running', 'config', 'events', 'faults', 'heartbeat', 'robot', 'ready', 'start', 'stop'];
const NODE_EXPR = String.raw`(?:node|nodes\.[A-Za-z_$][\w$-]*|nodes\[(?:'[^']*'|"[^"]*")\])`;
const STRING_ARG = new RegExp(String.raw`(${NODE_EXPR})\.([\w$.]+)\(\s*(['"\`])([^'"\`]*)$`);
const MEMBER = new RegExp(String.raw`(?:^|[^\w$.])(${NODE_EXPR})\.((?:faults|heartbeat|robot)\.)?([\w$]*)$`);
const NODES_MEMBER = /(?:^|[^\w$.])nodes\.([\w$-]*)$/;
const PEER_COMMAND = /^\s*\.(send|sync|use)\s+(\S*)$/;

/**
 * Completions for `line`, or undefined to let the REPL complete. Synchronous when it can be (a
 * local node), so the REPL's completion preview sees the same result as Tab.
 */
export function completeLine(line: string, src: CompletionSource): CompleteResult | Promise<CompleteResult> | undefined {
  const cmd = PEER_COMMAND.exec(line);
  if (cmd) {
    const partial = cmd[2]!;
    const options = cmd[1] === 'use' ? src.nodeNames() : src.peerRefs(src.current());
    return then(options, (o) => [unique(o.filter((x) => x.startsWith(partial))), partial]);
  }
  const str = STRING_ARG.exec(line);
  if (str) {
    const node = src.nodeFor(str[1]!);
    if (!node) return undefined;
    const partial = str[4]!;
    return then(src.peerRefs(node), (refs) => [unique(refs.filter((r) => r.startsWith(partial))), partial]);
  }
  const member = MEMBER.exec(line);
  if (member) {
    const [, expr, ns = '', partial = ''] = member;
    const node = src.nodeFor(expr!);
    if (!node) return undefined;
    const names = memberNames(node, ns.slice(0, -1));
    const prefix = `${expr}.${ns}`;
    return [names.filter((n) => n.startsWith(partial)).map((n) => prefix + n), prefix + partial];
  }
  const nodes = NODES_MEMBER.exec(line);
  if (nodes) {
    const partial = nodes[1]!;
    return [src.nodeNames().filter((n) => n.startsWith(partial)).map((n) => `nodes.${n}`), `nodes.${partial}`];
  }
  return undefined;
}

function then<T, R>(v: T | Promise<T>, f: (x: T) => R): R | Promise<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** API names that exist on `node` (or on its namespace `ns`), then its public properties. */
export function memberNames(node: object, ns: string): string[] {
  const target = ns ? (node as Record<string, unknown>)[ns] : node;
  if (target === null || typeof target !== 'object') return [];
  const has = (k: string): boolean => {
    try {
      return k in (target as object);
    } catch {
      return false;
    }
  };
  const out: string[] = [];
  for (const m of API) {
    if (!m.exposed.repl) continue;
    const [first, second] = m.name.split('.');
    if (ns ? first === ns && second && has(second) : !second && has(first!)) out.push(ns ? second! : first!);
  }
  if (ns === 'heartbeat') for (const k of ['interval', 'timeout', 'get']) if (has(k) && !out.includes(k)) out.push(k);
  if (!ns) for (const k of PROPERTIES) if (has(k) && !out.includes(k)) out.push(k);
  return out.sort();
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

type Completer = (line: string, cb: (err: Error | null, r?: CompleteResult) => void) => void;

export interface SessionCompletion {
  /** The REPL's context (`node` may have been switched with .use). */
  context(): Record<string, unknown>;
  /** The session's nodes, as the proxies users hold. */
  nodes(): { name: string; proxy: object }[];
  current(): object;
  /** Learns peer names seen while completing. */
  names: NameBook;
  /** Brackets the REPL's own completer, which evaluates expressions to list their members. */
  evaluating(on: boolean): void;
}

/** Puts our completion in front of the REPL's own (which still handles everything else). */
export function installCompleter(server: REPLServer, s: SessionCompletion): void {
  const rl = server as unknown as { completer: Completer };
  const base = rl.completer;
  const source: CompletionSource = {
    nodeFor: (expr) => nodeFor(expr, s),
    nodeNames: () => s.nodes().map((n) => n.name),
    peerRefs: (node) => peerRefs(node, s),
    current: () => s.current(),
  };
  rl.completer = (line, cb) => {
    let mine: ReturnType<typeof completeLine>;
    try {
      mine = completeLine(line, source);
    } catch {
      mine = undefined;
    }
    if (mine instanceof Promise) {
      mine.then((r) => cb(null, r), () => cb(null, [[], line]));
      return;
    }
    if (mine) return cb(null, mine);
    s.evaluating(true);
    try {
      base.call(server, line, cb);
    } finally {
      s.evaluating(false);
    }
  };
}

function nodeFor(expr: string, s: SessionCompletion): object | undefined {
  if (expr === 'node') return s.context().node as object;
  const m = /^nodes(?:\.([\w$-]+)|\[(?:'([^']*)'|"([^"]*)")\])$/.exec(expr);
  const name = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  return s.nodes().find((n) => n.name === name)?.proxy;
}

/** Names and addresses of a node's peers, then the other local nodes; a promise for a remote node. */
function peerRefs(node: object, s: SessionCompletion): string[] | Promise<string[]> {
  const others = s.nodes().filter((n) => n.proxy !== node).map((n) => n.name);
  const collect = (peers: unknown): string[] => {
    const out: string[] = [];
    if (Array.isArray(peers)) {
      for (const p of peers as { name?: string; addr?: string; id?: string }[]) {
        if (p.name) out.push(p.name);
        if (p.addr) out.push(p.addr);
        s.names.add(p.id, p.name);
      }
    }
    return [...out, ...others];
  };
  let peers: unknown;
  try {
    peers = (node as { peers?: () => unknown }).peers?.();
  } catch {
    return others; // a stopped node has no peers to offer
  }
  if (peers !== null && typeof peers === 'object' && typeof (peers as { then?: unknown }).then === 'function') {
    return Promise.resolve(peers).then(collect, () => others);
  }
  return collect(peers);
}
