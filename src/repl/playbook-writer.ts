/**
 * Writes a recorded REPL session as a playbook (DESIGN.md §2.3). Peers are named by playbook node
 * names: a session node by its own name, and a peer outside the session (another process) by the
 * name it announced, as an extra playbook node that the playbook starts, so the replay has someone
 * to send to. A call of the API table's playbook steps becomes that step; the recorder's own
 * actions (sync, faults, robot, log) become cluster steps; a call that failed in the session, or
 * cannot be replayed, is kept as a comment saying why.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { apiMethod, isPeerKind, stepParams, type ApiMethod, type StepSpec } from '../runtime/api.ts';
import { tryParseDuration } from '../runtime/units.ts';
import type { CallOutcome } from './node-proxy.ts';
import { pathFrom, peerlabCommand } from './peerlab-command.ts';

export interface RecordedNode {
  /** The node's name in the session. */
  name: string;
  /** `host:port` forms it is known by (bound and advertised). */
  addresses: string[];
  id?: string;
  /** Faults it started with (`--drop`). */
  faults?: { drop?: number };
}

export interface RecorderSettings {
  heartbeat?: { interval: number; timeout: number };
  initialBalance?: string;
  seed?: number;
  /**
   * A session on simulated time: the playbook says `mode: simulated`, and every recorded step
   * runs `at:` the virtual time it was made (lines start between two instants, and `at:` steps run
   * first at theirs), so the replay makes the same run; hand decisions become `deliver` / `drop`.
   * The REPL's simulated disk answers at once (a line runs while time is paused), so the playbook
   * says `simulation: { fsync: 0ms }`.
   */
  simulated?: boolean;
}

/** A peer as a node knew it when a call named it. */
export interface KnownPeer {
  name: string;
  addr: string;
  id: string;
}

export interface RecorderOptions {
  /** Where the playbook is written (relative paths in steps are made relative to its folder). */
  file: string;
  nodes: RecordedNode[];
  settings?: RecorderSettings;
  /** Joins the session made at start: [node, peer] by session name. */
  setupJoins?: [string, string][];
  /** Finds what a node knows about a peer reference (address, name or id prefix). */
  lookup?: (node: string, ref: string) => KnownPeer | undefined;
  /** Monotonic ms (injectable for tests). */
  now?: () => number;
  /** Folder relative paths in the session were relative to. */
  cwd?: string;
  /** The playbook's `name:`. */
  title?: string;
  /** Wall-clock time for the header comment (omitted when null). */
  date?: Date | null;
  /** How the user runs peerlab (`peerlab`, `npx peerlab`, ...): by default what works from `cwd`. */
  command?: string;
}

/** The command that replays a recording, as typed from `cwd` (the folder the session ran in). */
export function replayCommand(opts: Pick<RecorderOptions, 'command' | 'cwd'>, file: string): string {
  const cwd = opts.cwd ?? process.cwd();
  return `${opts.command ?? peerlabCommand({ cwd })} play ${pathFrom(cwd, file)}`;
}

/** One noted call. */
export interface Call {
  node: string;
  method: string;
  args: unknown[];
  startMs: number;
  endMs: number | undefined;
  outcome: CallOutcome | undefined;
  refs: Map<string, KnownPeer>;
}

/** Gaps shorter than this are not worth a `wait:` step. */
const MIN_WAIT_MS = 50;

type Step = { comment: string } | { key: string; value: unknown; at?: number };

export class PlaybookWriter {
  /** Session node name -> playbook node name. */
  private readonly local = new Map<string, string>();
  /** Extra playbook nodes for peers outside the session, by id. */
  private readonly extras = new Map<string, { name: string; peer: KnownPeer }>();
  private readonly used = new Set<string>();
  private readonly baseDir: string;
  private readonly cwd: string;

  constructor(
    private readonly opts: RecorderOptions,
    private readonly file: string,
    private readonly calls: Call[],
    private readonly startedAt: number,
    private readonly endedAt: number,
  ) {
    this.baseDir = dirname(this.file);
    this.cwd = opts.cwd ?? process.cwd();
    for (const n of opts.nodes) this.local.set(n.name, this.claim(n.name));
  }

  render(): string {
    const steps = this.steps();
    const out: string[] = [];
    const title = this.opts.title ?? `REPL session of ${this.opts.nodes.map((n) => n.name).join(', ')}`;
    out.push(`# Recorded by peerlab repl${this.opts.date === null ? '' : ` on ${(this.opts.date ?? new Date()).toISOString()}`}.`);
    out.push(`# Replay: ${replayCommand(this.opts, this.file)}`);
    out.push(`name: ${scalar(title)}`);
    if (this.opts.settings?.simulated) out.push('mode: simulated');
    if (this.opts.settings?.seed !== undefined) out.push(`seed: ${this.opts.settings.seed}`);
    const s = this.opts.settings ?? {};
    if (s.heartbeat || s.initialBalance !== undefined || s.simulated) {
      out.push('settings:');
      if (s.heartbeat) out.push(`  heartbeat: ${flow({ interval: `${s.heartbeat.interval}ms`, timeout: `${s.heartbeat.timeout}ms` })}`);
      if (s.initialBalance !== undefined) out.push(`  network: ${flow({ initialBalance: amount(s.initialBalance) })}`);
      if (s.simulated) out.push(`  simulation: ${flow({ fsync: '0ms' })}`);
    }
    out.push('nodes:');
    for (const n of this.opts.nodes) {
      const spec = n.faults && Object.keys(n.faults).length > 0 ? { faults: n.faults } : {};
      out.push(`  ${key(this.local.get(n.name)!)}: ${flow(spec)}`);
    }
    for (const { name, peer } of this.extras.values()) {
      out.push(`  # ${oneLine(peer.name)} (${peer.addr}) was not part of the session; the playbook starts a node in its place`);
      out.push(`  ${key(name)}: {}`);
    }
    out.push('steps:');
    const real = steps.filter((x): x is { key: string; value: unknown } => 'key' in x);
    if (real.length === 0) steps.push({ key: 'say', value: 'the recorded session made no node actions' });
    for (const step of steps) {
      if ('comment' in step) out.push(`  # ${oneLine(step.comment)}`);
      else if (step.at !== undefined) out.push(`  - at: ${Math.max(0, Math.round(step.at))}ms`, `    ${key(step.key)}: ${flow(step.value)}`);
      else out.push(`  - ${key(step.key)}: ${flow(step.value)}`);
    }
    return `${out.join('\n')}\n`;
  }

  private steps(): Step[] {
    const steps: Step[] = [];
    const joins = this.opts.setupJoins ?? [];
    for (const [node, peer] of joins) steps.push({ key: 'join', value: { node: this.local.get(node) ?? node, peer: this.local.get(peer) ?? peer } });
    if (joins.length > 0) steps.push({ key: 'waitFor', value: { peers: this.opts.nodes.length - 1, within: '5s' } });
    const calls = [...this.calls].sort((a, b) => a.startMs - b.startMs);
    // Robot runs: start -> stop on the same node.
    const robotFor = new Map<Call, number>();
    for (const c of calls) {
      if (c.method !== 'robot.start' || c.outcome?.ok === false) continue;
      const stop = calls.find((x) => x.method === 'robot.stop' && x.node === c.node && x.startMs >= c.startMs && x.outcome?.ok !== false);
      robotFor.set(c, Math.max(1, Math.round((stop?.startMs ?? this.endedAt) - c.startMs)));
    }
    let clock = this.startedAt;
    for (const c of calls) {
      if (c.outcome && !c.outcome.ok) {
        steps.push({ comment: `${c.node}: node.${c.method}(${argText(c.args)}) failed in the session: ${errorText(c.outcome.error)}` });
        continue;
      }
      const made = this.translate(c, robotFor.get(c));
      if (!made.some((m) => 'key' in m)) {
        steps.push(...made); // comments only: no step, so no time passes in the playbook
        continue;
      }
      if (this.opts.settings?.simulated) {
        // Virtual times: each step at the instant it was made.
        steps.push(...made.map((m) => ('key' in m ? { ...m, at: c.startMs } : m)));
        continue;
      }
      const gap = Math.round(c.startMs - clock);
      if (gap >= MIN_WAIT_MS) steps.push({ key: 'wait', value: duration(gap) });
      steps.push(...made);
      // A background robot does not hold up the next step; everything else ends when it settles.
      clock = c.method === 'robot.start' ? c.startMs : Math.max(c.startMs, c.endMs ?? c.startMs);
    }
    return steps;
  }

  private translate(c: Call, robotMs: number | undefined): Step[] {
    const node = this.local.get(c.node) ?? this.claim(c.node);
    const a = c.args;
    const skip = (why: string): Step[] => [{ comment: `${c.node}: node.${c.method}(${argText(a)}) is not replayable: ${why}` }];
    const method = apiMethod(c.method);
    if (method?.exposed.step) return this.callStep(c, node, method, method.exposed.step, skip);
    switch (c.method) {
      case 'sync':
        return [{ key: 'sync', value: node }];
      case 'log':
        return [{ key: 'say', value: `${c.node}: [${String(a[0])}] ${String(a[1])}` }];
      case 'faults.set': {
        const input = (a[0] ?? {}) as Record<string, unknown>;
        const v: Record<string, unknown> = { node };
        for (const k of ['drop', 'dropIn', 'duplicate'] as const) if (typeof input[k] === 'number') v[k] = input[k];
        for (const k of ['delay', 'jitter'] as const) if (input[k] !== undefined) v[k] = typeof input[k] === 'number' ? `${input[k]}ms` : input[k];
        if (Object.keys(v).length === 1) return skip('no fault settings');
        if (input.peer !== undefined) {
          const peer = this.nodeRef(c, input.peer);
          if (peer === undefined) return skip(`no playbook node for ${JSON.stringify(input.peer)}`);
          v.peer = peer;
        }
        return [{ key: 'faults', value: v }];
      }
      case 'faults.partition': {
        // One node's cut of its own links (DESIGN.md §2.3): the other nodes' links stay as they were.
        if (!Array.isArray(a[0])) return skip('expects a list of addresses');
        const others = a[0].map((p) => this.nodeRef(c, p));
        if (others.some((p) => p === undefined)) return skip('an address that is no playbook node');
        const peers = [...new Set(others as string[])].filter((n) => n !== node);
        return peers.length === 0 ? skip('no other node') : [{ key: 'cut', value: { node, peers } }];
      }
      case 'faults.heal':
        return [{ key: 'heal', value: { node } }];
      case 'crash':
      case 'restart':
        // The playbook's own steps: with isolation: process they kill and start a process.
        return [{ key: c.method, value: node }];
      case 'faults.reset':
        return [
          { key: 'faults', value: { node, reset: true } },
          { key: 'heal', value: { node } },
        ];
      case 'robot.start': {
        const o = (a[0] ?? {}) as Record<string, unknown>;
        if (this.opts.nodes.length + this.extras.size < 2) return skip('a playbook robot needs another node to act on');
        const own = o.for === undefined ? null : tryParseDuration(o.for as string | number);
        const ms = own !== null && own > 0 ? Math.min(own, robotMs ?? own) : (robotMs ?? 1);
        const v: Record<string, unknown> = {
          nodes: [node],
          every: typeof o.every === 'number' ? `${o.every}ms` : (o.every ?? '1s'),
          for: duration(ms),
          maxAmount: amount(o.maxAmount ?? 10),
          background: true,
        };
        if (o.actions !== undefined) v.actions = o.actions;
        if (typeof o.seed === 'number') v.seed = o.seed;
        return [{ key: 'robot', value: v }];
      }
      case 'robot.stop':
        return []; // folded into the robot step's `for`
      case 'sim.deliver':
        return [{ key: 'deliver', value: String(a[0]) }];
      case 'sim.drop':
        return [{ key: 'drop', value: String(a[0]) }];
      case 'heartbeat.set':
        return skip('a playbook sets the heartbeat once, under settings.heartbeat');
      default:
        return [];
    }
  }

  /** The table's playbook step for a call: its calling node, then each argument the step sets. */
  private callStep(c: Call, node: string, method: ApiMethod, step: StepSpec, skip: (why: string) => Step[]): Step[] {
    if (step.caller === 'value') return [{ key: step.key, value: node }];
    const v: Record<string, unknown> = { [step.caller]: node };
    for (const { param: p, key } of stepParams(method)) {
      const arg = c.args[method.params.indexOf(p)];
      if (p.kind === 'address') {
        const peer = this.peerRef(c, arg);
        if (peer === undefined) return skip(`unknown peer ${JSON.stringify(arg)}`);
        v[key] = peer;
      } else if (p.kind === 'addresses') {
        if (arg === undefined) continue;
        if (!Array.isArray(arg)) return skip('peers must be a list');
        const peers = arg.map((x) => this.peerRef(c, x));
        if (peers.some((x) => x === undefined)) return skip('an unknown peer');
        v[key] = peers;
      } else if (isPeerKind(p.kind)) {
        const to = this.nodeRef(c, arg);
        if (to === undefined) return skip(`no playbook node for ${JSON.stringify(arg)}`);
        if (to === node) return skip('a node cannot send to itself');
        v[key] = to;
      } else if (p.kind === 'amount') v[key] = amount(arg);
      else if (p.kind === 'path') v[key] = this.path(arg);
      else if (p.kind === 'fields') {
        if (arg !== undefined || !p.optional) v[key] = arg ?? {};
      } else if (arg !== undefined) v[key] = arg;
    }
    return [{ key: step.key, value: v }];
  }

  /** A playbook node name for a peer reference, when there is one. */
  private nodeRef(c: Call, ref: unknown): string | undefined {
    if (typeof ref !== 'string') return undefined;
    const local = this.findLocal(ref);
    if (local) return local;
    const known = c.refs.get(ref) ?? this.knownByAddress(ref);
    if (!known) return undefined;
    const asLocal = this.findLocal(known.id) ?? this.findLocal(known.addr);
    if (asLocal) return asLocal;
    let extra = this.extras.get(known.id);
    if (!extra) {
      extra = { name: this.claim(known.name), peer: known };
      this.extras.set(known.id, extra);
    }
    return extra.name;
  }

  /** Like nodeRef, but a bare address is fine where the playbook accepts one (join, discover, ...). */
  private peerRef(c: Call, ref: unknown): string | undefined {
    const name = this.nodeRef(c, ref);
    if (name !== undefined) return name;
    return typeof ref === 'string' && /^[^\s]+:\d{1,5}$/.test(ref) ? ref : undefined;
  }

  private findLocal(ref: string): string | undefined {
    for (const n of this.opts.nodes) {
      if (n.name === ref || n.addresses.includes(ref) || n.id === ref || (n.id && ref.length >= 4 && n.id.startsWith(ref))) return this.local.get(n.name);
    }
    return undefined;
  }

  private knownByAddress(addr: string): KnownPeer | undefined {
    for (const c of this.calls) for (const p of c.refs.values()) if (p.addr === addr || p.name === addr) return p;
    return undefined;
  }

  private path(p: unknown): string {
    if (typeof p !== 'string') return String(p);
    const abs = isAbsolute(p) ? p : resolve(this.cwd, p);
    const rel = relative(this.baseDir, abs);
    return rel.startsWith('..') && isAbsolute(p) ? p : rel || '.';
  }

  /** A unique playbook node name (letters first, then letters, digits, '-' and '_', at most 32). */
  private claim(name: string): string {
    let base = name.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z]+/, '');
    if (!base || base === 'all') base = `node${base}`;
    base = base.slice(0, 28);
    let out = base;
    for (let i = 2; this.used.has(out); i++) out = `${base}-${i}`;
    this.used.add(out);
    return out;
  }
}

function amount(v: unknown): string | number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v.toString();
  return String(v).trim();
}

/** `250ms`, `1.5s`, `2m`. */
export function duration(ms: number): string {
  const r = Math.max(0, Math.round(ms));
  if (r < 1000) return `${r}ms`;
  if (r % 60_000 === 0) return `${r / 60_000}m`;
  const s = Math.round(r / 10) / 100;
  return `${s}s`;
}

function argText(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? `'${a}'` : JSON.stringify(a) ?? String(a))).join(', ');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ');
}

const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/** A YAML scalar: plain when unambiguous, else a JSON string (valid YAML double-quoted). */
export function scalar(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === 'boolean' || v === null) return String(v);
  if (v === undefined) return 'null';
  const s = String(v);
  return /^[A-Za-z_][A-Za-z0-9_./-]*(?: [A-Za-z0-9_./-]+)*$/.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) && !RESERVED.test(k) ? k : JSON.stringify(k);
}

/** A value in YAML flow style: `{ from: alice, to: bob, amount: 25.5 }`, `[[alice], [bob]]`. */
export function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${key(k)}: ${flow(x)}`).join(', ')} }`;
  }
  return scalar(v);
}
