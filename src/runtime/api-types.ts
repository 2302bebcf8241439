/**
 * The vocabulary of the API table (`api.ts`): what one `node` method looks like to the parts that
 * offer it to users (REPL help and completion, the control socket, the session recorder, playbook
 * steps, the live view's forms). Consumers act on these kinds and shapes, never on method names.
 */

/** A JSON-Schema (draft-07) fragment. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Topics, in the order help() shows them. */
export type ApiGroup = 'peers' | 'ledger' | 'files' | 'faults' | 'heartbeat' | 'robot' | 'logs' | 'lifecycle' | 'misbehave';

/**
 * What a parameter means, so each consumer knows what to do with it: completion offers peer names
 * for the peer kinds, the control client makes `path` absolute on its side, a playbook names a node
 * where a peer goes, a form shows a slider for a probability.
 * - `account`: who receives money: a peer's address, name or id prefix, or any full account id
 * - `peer`: a known peer: its address `host:port`, name or id prefix
 * - `address`: an address `host:port` to reach (or a known peer); a playbook may name an outside one
 * - `addresses`: a list of those
 */
export type ParamKind =
  | 'account' | 'peer' | 'address' | 'addresses'
  | 'amount' | 'fields' | 'path' | 'duration' | 'probability' | 'number' | 'index' | 'text'
  | 'options' | 'value';

export interface ApiParam {
  readonly name: string;
  readonly kind: ParamKind;
  /** The value as the method takes it (what a form or a control client may send). */
  readonly schema: JsonSchema;
  readonly optional?: boolean;
  /** `path` only: the method reads the file (a file to send) or writes it (an export). */
  readonly io?: 'read' | 'write';
  /** `options` only: the options, each described like a parameter. */
  readonly options?: readonly ApiParam[];
}

/**
 * `read`: only looks (safe to call at any time, or to poll); `probe`: asks the network but changes
 * nothing (ping, a peer's balance); `write`: changes the node, its network or files.
 */
export type Effect = 'read' | 'probe' | 'write';

/**
 * The playbook step that makes this call (DESIGN.md §2.3). The step names the calling node and
 * sets some parameters under step keys; playbook node names stand for peers (as ids for `account`,
 * as addresses otherwise) and paths are relative to the playbook.
 */
export interface StepSpec {
  /** The step's key: `send`, or `export` for `exportCsv`. */
  readonly key: string;
  /** Place among all step kinds (the schema and messages list steps in this order). */
  readonly order: number;
  /** How the step names the calling node: `{node: alice, ...}`, `{from: alice, ...}`, or `leave: alice`. */
  readonly caller: 'node' | 'from' | 'value';
  /** The step key of each parameter the step sets, by parameter name; others are left out. */
  readonly args: Readonly<Record<string, string>>;
  /** One line for the schema (the step's keys are appended). */
  readonly description: string;
  /** Refusal when a step names its own node as the peer (default: "a node cannot be a peer of itself"). */
  readonly selfError?: string;
  /** For playbooks/REFERENCE.md: a step that loads in a playbook with nodes alice, bob and carol. */
  readonly example: string;
  /** For playbooks/REFERENCE.md: defaults and semantics, one point per line. */
  readonly notes?: readonly string[];
}

/** Where users can call it. The live view (issue 14) offers what the control socket allows. */
export interface Exposure {
  /** help(), .help and Tab completion in the REPL. */
  readonly repl: boolean;
  /** The control socket's allow-list (`peerlab attach`, `isolation: process`, the live view). */
  readonly control: boolean;
  readonly step?: StepSpec;
}

/** What a result looks like, where consumers show it as more than plain data. */
export type ResultShape =
  | 'peers' | 'peer' | 'removed' | 'left' | 'crashed' | 'restarted' | 'milliseconds'
  | 'sent' | 'sent-with-file' | 'file-sent' | 'synced' | 'exported' | 'double-spent'
  | 'transactions' | 'transaction' | 'text' | 'balances' | 'balance' | 'peer-balance' | 'forks' | 'inbox'
  | 'faults' | 'heartbeat' | 'robot' | 'details' | 'counters' | 'event' | 'events' | 'cleared';

export interface ResultSpec {
  readonly shape: ResultShape;
  /** Said instead of an empty list. */
  readonly empty?: string;
}

export interface ApiMethod {
  /** Path under `node`, dotted for namespaces: `send`, `faults.set`. */
  readonly name: string;
  readonly group: ApiGroup;
  readonly signature: string;
  readonly summary: string;
  readonly description: string;
  readonly example: string;
  readonly params: readonly ApiParam[];
  readonly effect: Effect;
  readonly exposed: Exposure;
  readonly result?: ResultSpec;
  /** A readable, settable property rather than a method. */
  readonly property?: boolean;
  /** The same call as this method with one more parameter (the REPL's `.send` picks it for key=value pairs). */
  readonly variantOf?: string;
  /** Asked before the call where a user could click it by mistake (it destroys something). */
  readonly confirm?: string;
}

// ---- parameters ---------------------------------------------------------------------------------

const PEER_TEXT = { type: 'string', minLength: 1 } as const;

/** Parameter builders: one schema per kind, so the same kind always means the same values. */
export const param = {
  account: (name: string): ApiParam => ({ name, kind: 'account', schema: { ...PEER_TEXT, description: 'a peer (address host:port, name or id prefix) or an account id' } }),
  peer: (name: string, optional = false): ApiParam => ({ name, kind: 'peer', schema: { ...PEER_TEXT, description: 'a peer: address host:port, name or id prefix' }, ...opt(optional) }),
  address: (name: string): ApiParam => ({ name, kind: 'address', schema: { ...PEER_TEXT, description: 'an address host:port (or a known peer)' } }),
  addresses: (name: string, optional = false): ApiParam => ({ name, kind: 'addresses', schema: { type: 'array', items: PEER_TEXT, description: 'addresses host:port' }, ...opt(optional) }),
  amount: (name = 'amount'): ApiParam => ({ name, kind: 'amount', schema: { type: ['number', 'string'], description: 'an exact decimal amount like 25.50' } }),
  fields: (optional = false): ApiParam => ({
    name: 'fields', kind: 'fields', ...opt(optional),
    schema: { type: 'object', maxProperties: 16, additionalProperties: { type: ['string', 'number', 'boolean', 'null'] }, description: 'custom fields: string keys, scalar values' },
  }),
  path: (name: string, io: 'read' | 'write'): ApiParam => ({ name, kind: 'path', io, schema: { type: 'string', minLength: 1, description: io === 'read' ? 'a file to send' : 'a file to write' } }),
  duration: (name: string, optional = true): ApiParam => ({ name, kind: 'duration', schema: { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*$', description: 'a duration with its unit, like 200ms or 2s' }, ...opt(optional) }),
  probability: (name: string): ApiParam => ({ name, kind: 'probability', optional: true, schema: { type: 'number', minimum: 0, maximum: 1 } }),
  number: (name: string, schema: JsonSchema = { type: 'number' }): ApiParam => ({ name, kind: 'number', optional: true, schema }),
  index: (name: string): ApiParam => ({ name, kind: 'index', schema: { type: 'integer', minimum: 0 } }),
  text: (name: string): ApiParam => ({ name, kind: 'text', schema: { type: 'string' } }),
  value: (name: string, schema: JsonSchema, optional = true): ApiParam => ({ name, kind: 'value', schema, ...opt(optional) }),
  /** An options object; its schema lists the options. */
  options: (name: string, options: readonly ApiParam[], optional = true): ApiParam => ({
    name, kind: 'options', options, ...opt(optional),
    schema: {
      type: 'object', additionalProperties: false,
      properties: Object.fromEntries(options.map((o) => [o.name, o.schema])),
      ...(options.some((o) => !o.optional) ? { required: options.filter((o) => !o.optional).map((o) => o.name) } : {}),
    },
  }),
};

function opt(optional: boolean): { optional?: true } {
  return optional ? { optional: true } : {};
}

/** The kinds that name one peer. */
export function isPeerKind(kind: ParamKind): boolean {
  return kind === 'account' || kind === 'peer' || kind === 'address';
}

/**
 * Arguments in parameter order from a value per parameter. Trailing absent values are left off:
 * a JSON line would carry them as null, which a method reads as a (bad) value.
 */
export function callArgs(method: ApiMethod, value: (p: ApiParam) => unknown): unknown[] {
  const args = method.params.map(value);
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return args;
}
