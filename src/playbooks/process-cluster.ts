import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../runtime/control/index.ts';
import { PeerlabError } from '../runtime/errors.ts';
import { formatUnits } from '../runtime/ledger/amount.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import type { TraceRecord, TraceSink } from '../runtime/trace.ts';
import { faultInput, layoutNodes, type Cluster, type NodeHandle } from './cluster.ts';
import type { Plan, PlanNode } from './plan.ts';

const BIN = fileURLToPath(new URL('../../bin/peerlab.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** A `peerlab node` child process driven through its control socket. */
class ProcessHandle implements NodeHandle {
  child: ChildProcess | undefined;
  client: ControlClient | undefined;
  address = '';
  id = '';
  exited: Promise<void> = Promise.resolve();

  constructor(readonly name: string) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null && !!this.client && !this.client.closed;
  }

  async call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (!this.client || !this.running) throw new PeerlabError('NOT_RUNNING', `${this.name} is not running`);
    return this.client.call<T>(method, args);
  }
}

/**
 * `isolation: process`: every node is its own OS process (`peerlab node`), driven through its
 * control socket, so `crash` is a real SIGKILL and `restart` reloads the node's data directory.
 */
export class ProcessCluster implements Cluster {
  private readonly handles = new Map<string, ProcessHandle>();
  private dirs = new Map<string, string>();
  private ports = new Map<string, number>();
  private tmpRoot = '';
  private readonly traceFiles: string[] = [];

  constructor(
    private readonly plan: Plan,
    private readonly trace: TraceSink | undefined,
    /** Told every event of every node (read from its `--json` lines), from its start. */
    private readonly listen?: (e: PeerlabEvent) => void,
  ) {}

  async start(): Promise<void> {
    ({ tmpRoot: this.tmpRoot, dirs: this.dirs, ports: this.ports } = await layoutNodes(this.plan));
    for (const spec of this.plan.nodes) this.handles.set(spec.name, new ProcessHandle(spec.name));
    await Promise.all(this.plan.nodes.map((spec) => this.boot(spec)));
  }

  private args(spec: PlanNode): string[] {
    const s = this.plan.settings;
    const args = [BIN, 'node', '--json', '--name', spec.name, '--host', spec.host, '--port', String(this.ports.get(spec.name)), '--data', this.dirs.get(spec.name)!, '--seed', String(spec.seed), '--scale', String(s.network.scale)];
    if (s.network.initialBalance !== undefined) args.push('--initial-balance', formatUnits(s.network.initialBalance, s.network.scale));
    if (s.heartbeat.intervalMs !== undefined) args.push('--heartbeat-interval', `${s.heartbeat.intervalMs}ms`);
    if (s.heartbeat.timeoutMs !== undefined) args.push('--heartbeat-timeout', `${s.heartbeat.timeoutMs}ms`);
    if (s.files.maxBytes !== undefined) args.push('--max-file-size', String(s.files.maxBytes));
    if (this.trace) {
      const file = join(this.tmpRoot, `${spec.name}.${this.traceFiles.length}.trace.jsonl`);
      this.traceFiles.push(file);
      args.push('--trace', file);
    }
    return args;
  }

  private async boot(spec: PlanNode): Promise<void> {
    const h = this.handles.get(spec.name)!;
    const child = spawn(process.execPath, this.args(spec), { stdio: ['ignore', 'pipe', 'pipe'] });
    h.child = child;
    h.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    // Ready once it has said where it listens (node-started) and where it takes commands.
    const started = await new Promise<{ address: string; id: string; control: string }>((resolve, reject) => {
      let address = '';
      let id = '';
      const timer = setTimeout(() => reject(new PeerlabError('TIMEOUT', `${spec.name} did not start within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim()}`)), START_TIMEOUT_MS);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new PeerlabError('IO', `${spec.name} exited with code ${code} while starting: ${stderr.trim()}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const e = JSON.parse(line) as { type?: string; address?: string; id?: string; path?: string };
          if (this.listen && e.type !== 'control-socket') this.listen(eventOf(e));
          if (e.type === 'node-started') {
            address = e.address!;
            id = e.id!;
          } else if (e.type === 'control-socket') {
            clearTimeout(timer);
            resolve({ address, id, control: e.path! });
          }
        } catch {
          // Only JSON event lines matter here.
        }
      });
    });
    h.address = started.address;
    h.id = started.id;
    this.ports.set(spec.name, Number(started.address.split(':').at(-1)));
    h.client = await ControlClient.connect(started.control);
    const faults = faultInput(spec.faults);
    if (Object.keys(faults).length) await h.call('faults.set', faults);
  }

  get(name: string): NodeHandle {
    const h = this.handles.get(name);
    if (!h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name} in this playbook`);
    return h;
  }

  all(): NodeHandle[] {
    return this.plan.nodes.map((n) => this.handles.get(n.name)!);
  }

  /** The OS process id of a node (undefined before it starts). */
  pid(name: string): number | undefined {
    return this.handles.get(name)?.child?.pid;
  }

  /** A real crash: SIGKILL, no goodbye, no flush beyond what was already durable. */
  async crash(name: string): Promise<void> {
    const h = this.handles.get(name);
    if (!h?.child) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    h.child.kill('SIGKILL');
    await h.exited;
    h.client?.close();
  }

  async restart(name: string): Promise<void> {
    const spec = this.plan.nodes.find((n) => n.name === name);
    const h = this.handles.get(name);
    if (!spec || !h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    if (h.running) await this.crash(name);
    await this.boot(spec);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.handles.values()].map(async (h) => {
        if (!h.child || h.child.exitCode !== null || h.child.signalCode !== null) return;
        h.child.kill('SIGTERM');
        const timer = setTimeout(() => h.child?.kill('SIGKILL'), 5000);
        await h.exited;
        clearTimeout(timer);
        h.client?.close();
      }),
    );
    if (this.trace) await this.mergeTraces(this.trace);
    await rm(this.tmpRoot, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Each process wrote its own trace; the playbook's trace is their union in time order. */
  private async mergeTraces(sink: TraceSink): Promise<void> {
    const records: TraceRecord[] = [];
    for (const f of this.traceFiles) {
      const text = await readFile(f, 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          records.push(JSON.parse(line) as TraceRecord);
        } catch {
          // A process killed mid-write leaves a torn last line; it is skipped.
        }
      }
    }
    records.sort((a, b) => a.time - b.time);
    for (const r of records) sink.write(r);
  }
}

/** A `peerlab node --json` line back as an event: its fixed keys, and the rest as data. */
function eventOf(line: Record<string, unknown>): PeerlabEvent {
  const { type, node, lamport, time, ...data } = line;
  // A line our own `peerlab node --json` wrote for an event it emitted: its type and data match.
  return { type, node: String(node), lamport: Number(lamport), time: Number(time), data } as PeerlabEvent;
}
