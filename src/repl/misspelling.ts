/**
 * "Did you mean" in the REPL (issue 13 item 5), as the playbook checker offers it: a misspelt
 * method (`node.sned` -> `node.send`), node name (`nodes.bbo` -> `bob`) or dot-command (`.sedn` ->
 * `.send`) is answered with the nearest right one.
 */
import { API } from '../runtime/api.ts';
import { PeerlabError } from '../runtime/errors.ts';
import { nearest } from '../playbooks/suggest.ts';

/** Namespaces under `node` (`faults`, `robot`, `heartbeat`) and their members. */
const MEMBERS = new Map<string, string[]>();
for (const m of API.filter((x) => x.exposed.repl)) {
  const [head, tail] = m.name.includes('.') ? [m.name.slice(0, m.name.indexOf('.')), m.name.slice(m.name.indexOf('.') + 1)] : ['', m.name];
  MEMBERS.set(head, [...(MEMBERS.get(head) ?? []), tail]);
  if (head) MEMBERS.set('', [...new Set([...(MEMBERS.get('') ?? []), head])]);
}

/** `node`, `nodes.bob`, `nodes['bob']`, and either followed by one namespace. */
const NODE_PATH = /^(node|nodes\.[A-Za-z_$][\w$.-]*?|nodes\[['"][^'"]+['"]\])(?:\.(faults|robot|heartbeat))?$/;

/**
 * A clearer error for a misspelt method of `node` (or of `nodes.<name>`, or of a namespace):
 * `node.sned is not a function; did you mean node.send?`. Other errors are returned as they are.
 */
export function explainError(err: unknown): unknown {
  const e = err as { name?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object' || e.name !== 'TypeError' || typeof e.message !== 'string') return err;
  const m = /^(.+)\.([A-Za-z_$][\w$]*) is not a function$/.exec(e.message);
  if (!m) return err;
  const [, object, member] = m as unknown as [string, string, string];
  const path = NODE_PATH.exec(object);
  if (!path) return err;
  const ns = path[2] ?? '';
  const guess = nearest(member, MEMBERS.get(ns) ?? []);
  const where = ns ? `help(${path[1]}.${ns})` : 'help()';
  const hint = guess ? `did you mean ${object}.${guess}?` : `${where} lists what ${ns ? `${path[1]}.${ns}` : path[1]} can do`;
  return new TypeError(`${e.message}; ${hint}`);
}

/**
 * What JavaScript and its tools ask of any object, which must not be taken for a node name:
 * promise checks (`await nodes`), JSON, and test or inspection helpers.
 */
const NOT_NAMES = new Set(['then', 'toJSON', 'inspect', 'asymmetricMatch', 'nodeType', '$$typeof', 'prototype', 'length', 'name']);

/** `nodes` for the REPL: `nodes.bob`, and an error with a did-you-mean for a name it does not have. */
export function sessionNodes(record: Record<string, object>): Record<string, object> {
  return new Proxy(record, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && !(prop in t) && !NOT_NAMES.has(prop)) {
        const names = Object.keys(t);
        const guess = nearest(prop, names);
        throw new PeerlabError('UNKNOWN_PEER', `no node ${prop} in this session${guess ? `; did you mean ${guess}?` : ''} (nodes: ${names.join(', ')})`);
      }
      return Reflect.get(t, prop, receiver);
    },
  });
}

/** `unknown command .sedn; did you mean .send? (.help lists them)` */
export function unknownCommand(name: string, known: Iterable<string>): PeerlabError {
  const guess = nearest(name, known);
  return new PeerlabError('BAD_ARGUMENT', `unknown command .${name}${guess ? `; did you mean .${guess}?` : ''} (.help lists them)`);
}

/**
 * node:repl looks a dot-command up in `server.commands` and prints "Invalid REPL keyword" when it
 * is not there. This answers an unknown one with `onUnknown` instead, unless the REPL is in the
 * middle of a multi-line expression (where a line may start with `.`, as in `.then(...)`).
 */
export function guardCommands(server: { commands: Record<string, unknown> }, inExpression: () => boolean, onUnknown: (name: string) => void): void {
  server.commands = new Proxy(server.commands, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && !(prop in t) && !inExpression()) {
        return { help: '', action: () => onUnknown(prop) };
      }
      return Reflect.get(t, prop, receiver);
    },
  });
}
