/**
 * Recording a REPL session as a playbook (DESIGN.md §2.3: "A REPL session recorded with --record
 * or .record is written as a playbook; play re-executes it"). The recorder notes each node action
 * (method calls on `node` / `nodes.<name>`) with its start and end; the playbook writer turns them
 * into steps in the order they were made, with a `wait:` for the time between one ending and the
 * next starting. Reads (peers, details, transactions, ...) are not actions and are left out.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { apiMethod, isPeerKind, type ApiMethod, type ApiParam } from '../runtime/api.ts';
import type { CallInfo, CallObserver, CallOutcome } from './node-proxy.ts';
import { PlaybookWriter, replayCommand, type Call, type KnownPeer, type RecorderOptions } from './playbook-writer.ts';

export { duration, flow, scalar, type KnownPeer, type RecordedNode, type RecorderOptions, type RecorderSettings } from './playbook-writer.ts';

/**
 * The calls the recorder notes: every playbook step of the API table, and these, which it
 * translates itself (into cluster steps, a `say`, or a note why they cannot be replayed).
 */
const OWN_ACTIONS = new Set(['sync', 'log', 'faults.set', 'faults.partition', 'faults.heal', 'faults.reset', 'robot.start', 'robot.stop', 'heartbeat.set', 'crash', 'restart']);

function actionOf(method: string): ApiMethod | undefined {
  const m = apiMethod(method);
  return m && (m.exposed.step !== undefined || OWN_ACTIONS.has(method)) ? m : undefined;
}

/** The peer references among a call's arguments (options included, like `faults.set({ peer })`). */
function peerRefs(params: readonly ApiParam[], args: unknown[]): unknown[] {
  return params.flatMap((p, i) => {
    const a = args[i];
    if (isPeerKind(p.kind)) return [a];
    if (p.kind === 'addresses') return Array.isArray(a) ? (a as unknown[]) : [];
    if (p.kind === 'options' && p.options && a !== null && typeof a === 'object') {
      return peerRefs(p.options, p.options.map((o) => (a as Record<string, unknown>)[o.name]));
    }
    return [];
  });
}

export class Recorder implements CallObserver {
  readonly file: string;
  private readonly opts: RecorderOptions;
  private readonly now: () => number;
  private readonly startedAt: number;
  private stoppedAt: number | undefined;
  private readonly calls: Call[] = [];

  constructor(opts: RecorderOptions) {
    this.opts = opts;
    this.file = resolve(opts.cwd ?? process.cwd(), opts.file);
    this.now = opts.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  get recording(): boolean {
    return this.stoppedAt === undefined;
  }

  /** The command that replays the recording, from the folder the session ran in. */
  get replayCommand(): string {
    return replayCommand(this.opts, this.file);
  }

  /** Number of actions noted so far. */
  get actions(): number {
    return this.calls.length;
  }

  begin(info: CallInfo): ((outcome: CallOutcome) => void) | void {
    if (!this.recording) return;
    const method = actionOf(info.method);
    if (!method) return;
    const call: Call = { node: info.node, method: info.method, args: cloneArgs(info.args), startMs: this.now(), endMs: undefined, outcome: undefined, refs: new Map() };
    for (const r of peerRefs(method.params, info.args)) {
      if (typeof r !== 'string') continue;
      const known = this.opts.lookup?.(info.node, r);
      if (known) call.refs.set(r, known);
    }
    this.calls.push(call);
    return (outcome) => {
      call.endMs = this.now();
      call.outcome = outcome;
      // join / addPeer resolve with the peer they reached: that names the address.
      if (outcome.ok && method.result?.shape === 'peer' && typeof info.args[0] === 'string') {
        const p = outcome.value as Partial<KnownPeer> | undefined;
        if (p && typeof p.id === 'string' && typeof p.name === 'string') call.refs.set(info.args[0], { id: p.id, name: p.name, addr: p.addr ?? info.args[0] });
      }
    };
  }

  /** Notes a hand decision on a datagram in flight (a REPL on simulated time): a `deliver` / `drop` step. */
  decision(kind: 'deliver' | 'drop', msgId: string): void {
    if (!this.recording) return;
    const t = this.now();
    this.calls.push({ node: '', method: `sim.${kind}`, args: [msgId], startMs: t, endMs: t, outcome: { ok: true, value: undefined }, refs: new Map() });
  }

  stop(): void {
    this.stoppedAt ??= this.now();
  }

  /** Writes the playbook (creating its folder). Can be called repeatedly while recording. */
  async write(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFile(this.file, this.toYaml());
  }

  toYaml(): string {
    return new PlaybookWriter(this.opts, this.file, this.calls, this.startedAt, this.stoppedAt ?? this.now()).render();
  }
}

function cloneArgs(args: unknown[]): unknown[] {
  try {
    return JSON.parse(JSON.stringify(args, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown[];
  } catch {
    return args.map((a) => (typeof a === 'object' ? String(a) : a));
  }
}
