/**
 * A loaded playbook (DESIGN.md §2.3), normalised: durations in milliseconds, amounts as exact
 * units at the network scale, sizes in bytes, `all` expanded to the node list, node references
 * checked. Only `loadPlaybook` builds these, and only when the document had no error at all, so
 * a runner can trust every field.
 */
import type { CallStepKind } from '../runtime/api.ts';
import type { PlantName } from '../runtime/plants.ts';
import type { Units } from '../runtime/ledger/amount.ts';
import type { RobotActionKind } from '../runtime/robot-plan.ts';
import type { SourcePos } from './source-map.ts';

export type { SourcePos };

export type Isolation = 'in-process' | 'process';

/** `real`: sockets and wall time; `simulated`: virtual time and a simulated network (DESIGN.md §6). */
export type Mode = 'real' | 'simulated';

export interface Playbook {
  /** The file name as given to the loader (used in messages). */
  readonly file: string;
  /** Absolute folder that relative paths (`sendFile`, `export`, node `data`) are resolved against. */
  readonly baseDir: string;
  readonly name: string;
  readonly description: string | undefined;
  /** The playbook's own seed; `--seed` overrides it. 0 when absent. */
  readonly seed: number;
  readonly isolation: Isolation;
  /** As written (default `real`); `--sim` overrides it. */
  readonly mode: Mode;
  /** A bug planted on purpose, for labs (`plant:`; mode: simulated only). */
  readonly plant?: PlantName;
  readonly settings: PlaybookSettings;
  /** In declaration order. */
  readonly nodes: readonly NodeSpec[];
  readonly steps: readonly Step[];
}

/** Absent values mean "the runtime's default" (the runner passes them on only when set). */
export interface PlaybookSettings {
  readonly heartbeat: { readonly intervalMs?: number; readonly timeoutMs?: number };
  readonly network: {
    readonly initialBalance?: Units;
    /** Always set: amounts in the playbook are read at this scale. */
    readonly scale: number;
  };
  readonly files: { readonly maxBytes?: number };
  /** Default schedule speed factor; `--speed` overrides it. */
  readonly speed: number;
  /** The simulated network (used in simulated runs only); absent values take SIM_DEFAULTS. */
  readonly simulation: { readonly latencyMs?: number; readonly jitterMs?: number; readonly bandwidth?: number; readonly fsyncMs?: number };
}

/** A path as written in the playbook, and resolved against the playbook's folder. */
export interface FilePath {
  readonly text: string;
  readonly resolved: string;
}

export interface FaultSpec {
  readonly drop?: number;
  readonly dropIn?: number;
  readonly delayMs?: number;
  readonly jitterMs?: number;
  readonly duplicate?: number;
}

export interface NodeSpec {
  readonly name: string;
  /** Absent: a free port is chosen at start. */
  readonly port?: number;
  readonly host: string;
  /** Absent: a temp dir. */
  readonly data?: FilePath;
  /** Seed of this node's fault decisions, when the playbook fixes it (the plan derives one otherwise). */
  readonly seed?: number;
  /** Faults from the node's start (and again after each restart). */
  readonly faults: FaultSpec;
  readonly pos: SourcePos;
}

/** A node of the playbook, or an outside address `host:port` (only where a peer is expected). */
export type PeerRef = { readonly node: string } | { readonly address: string };

export type CustomFields = Readonly<Record<string, string | number | boolean | null>>;

export interface Step {
  /** Path in the document, e.g. `steps[3]` or `steps[4].parallel[1]`: the step's stable id. */
  readonly path: string;
  readonly pos: SourcePos;
  /** `at:` in ms from the playbook's start (top-level steps only). */
  readonly at?: number;
  readonly mayFail: boolean;
  readonly name?: string;
  readonly action: StepAction;
}

/** A value a call step sets (see `CallAction`). */
export type StepValue = string | Units | PeerRef | readonly PeerRef[] | FilePath | CustomFields;

/**
 * A step that makes one `node` call: a method of the API table with a playbook step. It holds the
 * calling node under the step's key for it (`from` or `node`) and the values of the parameters it
 * sets, by step key: `{ kind: 'send', from: 'alice', to: 'bob', amount: 2550n }`.
 */
export type CallAction = { readonly kind: CallStepKind } & { readonly [key: string]: StepValue };

export type StepAction =
  | CallAction
  | { readonly kind: 'restart'; readonly node: string }
  /** `midWrite` (simulated only): the crash lands inside the node's next fsync, tearing the bytes in flight. */
  | { readonly kind: 'crash'; readonly node: string; readonly midWrite?: true }
  /** `sync: all` is every node; each node syncs with its peers. */
  | { readonly kind: 'sync'; readonly nodes: readonly string[] }
  | RobotStep
  /**
   * `node: all` is every node; with `peer`, only the links to that peer change (and `nodes` excludes
   * it). `reset` first sets every fault of those nodes back to zero, node-wide and per link, as
   * `node.faults.reset()` does (their cuts stay: `heal` ends those).
   */
  | { readonly kind: 'faults'; readonly nodes: readonly string[]; readonly peer?: string; readonly reset?: true; readonly faults: FaultSpec }
  /**
   * Nodes in different groups cannot reach each other. The loader appends the nodes no group
   * names as one more group, so `groups` covers every node exactly once.
   */
  | { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  /**
   * One-link partitions: `node` stops talking to each of `peers`, both ways, as
   * `node.faults.partition(peers)` does (the other nodes' links are untouched). Cuts add up.
   */
  | { readonly kind: 'cut'; readonly node: string; readonly peers: readonly string[] }
  /** Without `node`: every partition and cut ends. With `node`: that node's cuts end (`node.faults.heal()`). */
  | { readonly kind: 'heal'; readonly node?: string }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'waitFor'; readonly conditions: readonly Condition[]; readonly withinMs: number }
  | { readonly kind: 'expect'; readonly conditions: readonly Condition[] }
  | { readonly kind: 'say'; readonly text: string }
  /** Simulated playbooks only: a hand decision on a datagram in flight, by message id (recorded from a REPL on simulated time). */
  | { readonly kind: 'deliver' | 'drop'; readonly msgId: string }
  | SimFaultAction
  | { readonly kind: 'parallel'; readonly steps: readonly Step[] };

/**
 * Simulated playbooks only: faults of the world around a node. `diskFull`: its disk refuses writes
 * with ENOSPC for `forMs` (or until `off`); `clockJump`: its wall clock jumps by `byMs` (signed);
 * `hostile`: `count` hostile datagrams reach it from fresh keys at a throwaway address.
 */
export type SimFaultAction =
  | { readonly kind: 'diskFull'; readonly node: string; readonly forMs?: number; readonly off?: true }
  | { readonly kind: 'clockJump'; readonly node: string; readonly byMs: number }
  | { readonly kind: 'hostile'; readonly node: string; readonly count: number; readonly hostile: HostileKind };

export type HostileKind = 'forged' | 'oversized' | 'malformed' | 'lamport' | 'mixed';

export interface RobotStep {
  readonly kind: 'robot';
  readonly nodes: readonly string[];
  readonly everyMs: number;
  readonly forMs: number;
  readonly maxAmount: Units;
  /** Normalised weights; kinds left out (or weighted 0) are never chosen. */
  readonly weights: Readonly<Record<RobotActionKind, number>>;
  readonly background: boolean;
  /** Fixed robot seed; derived from the playbook seed when absent. */
  readonly seed?: number;
}

export type StepKind = StepAction['kind'];

/** `expect` / `waitFor` conditions, one entry per check, in the order written. */
export type Condition = { readonly path: string } & (
  | { readonly kind: 'converged'; readonly nodes: readonly string[] }
  /** Every listed node lists the same transactions in the same order (index i is the same everywhere). */
  | { readonly kind: 'sameOrder'; readonly nodes: readonly string[] }
  | { readonly kind: 'balances'; readonly balances: readonly { readonly node: string; readonly amount: Units }[] }
  | { readonly kind: 'totalBalance'; readonly amount: Units }
  | { readonly kind: 'noNegativeBalances' }
  | { readonly kind: 'transactions' | 'peers'; readonly counts: readonly { readonly node: string; readonly count: number }[] }
  | { readonly kind: 'peerState'; readonly node: string; readonly peer: string; readonly state: PeerStateName }
  | { readonly kind: 'fileReceived'; readonly node: string; readonly sha256: string }
  | { readonly kind: 'logged'; readonly nodes: readonly string[]; readonly type: string }
);

/** `alive`: in the peer table and not suspected; `suspected`; `removed`: not in the table. */
export type PeerStateName = 'alive' | 'suspected' | 'removed';
