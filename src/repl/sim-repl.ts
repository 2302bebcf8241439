/**
 * `peerlab repl --sim [--nodes K]` (issue 10 item 6): the REPL's nodes in one simulated world,
 * time paced with the wall clock, and `sim` in the context. The nodes start as a simulated
 * playbook's would (identities, seeds and addresses from the seed and the names, one after
 * another), and join the first one in turn, so a recording of the session replays as the same run.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PeerlabError } from '../runtime/errors.ts';
import { Node, type NodeOptions } from '../runtime/node.ts';
import { hashString } from '../runtime/prng.ts';
import { afterMicrotasks } from '../runtime/sim/real-time.ts';
import { SimWorld } from '../runtime/sim/sim-world.ts';
import { TraceWriter, type TraceSink } from '../runtime/trace.ts';
import { makePaint } from './paint.ts';
import { installProcessHandlers, processIo, sessionIo } from './process-io.ts';
import { formatError } from './render.ts';
import { ReplSession, type SessionNode } from './session.ts';
import { SimControl, type SimSessionHooks } from './sim-control.ts';

export interface SimNodes {
  world: SimWorld;
  nodes: Node[];
  /** What the session calls: each node, with the files it sends read from the real disk first. */
  targets: Node[];
  /** The joins made at start, [node, peer] (recorded as the playbook's first steps). */
  setupJoins: [string, string][];
  /** The session's `sim` and line hooks. */
  hooks: SimSessionHooks;
  /** Tells the peers goodbye, stops every node and closes the trace. */
  stop(): Promise<void>;
}

/** How long the joins at start may take to reach every node (as a recorded playbook's waitFor). */
const MESH_WITHIN_MS = 5000;
const MESH_POLL_MS = 100;

/**
 * Starts the nodes in a new simulated world, joins them (simulated time runs as fast as it can
 * meanwhile), then lets time run paced at `pace` (default 1) with the wall clock.
 */
export async function startSimNodes(
  opts: NodeOptions[],
  o: { seed: number; trace?: TraceSink; pace?: number; decided?: (kind: 'deliver' | 'drop', id: string) => void },
): Promise<SimNodes> {
  // The simulated disk sees the working folder's files as the REPL's user does (loaded when sent),
  // and answers at once: a send must complete while time is paused (a recording says fsync 0ms).
  const world = new SimWorld(o.seed, { cwd: process.cwd(), fsyncMs: 0 });
  world.trace = o.trace;
  const nodes = opts.map((x) => {
    const name = x.name ?? 'node';
    const { dataDir: _d, trace: _t, port: _p, memory: _m, ...rest } = x;
    const seams = world.seams(name, x.host ?? '127.0.0.1');
    return new Node({ ...rest, name, seed: hashString(`${o.seed}:node:${name}`), ...(o.trace ? { trace: o.trace } : {}), ...seams });
  });
  for (const n of nodes) await world.driver.track(n.start());
  const targets = nodes.map((n) => withRealFiles(world, n));
  const setupJoins = await world.drive(joinInTurn(world, nodes));
  world.driver.runFree(o.pace ?? 1);
  const control = new SimControl({
    world,
    nameOf: (addr) => nodes.find((n) => n.address === addr)?.name,
    decided: (kind, id) => o.decided?.(kind, id),
  });
  const hooks: SimSessionHooks = {
    control,
    before: () => world.driver.boundary(),
    watch: (running, fail) => {
      afterMicrotasks(() =>
        afterMicrotasks(() => {
          if (running() && world.driver.isPaused && !world.driver.active) {
            fail(new PeerlabError('SIM_PAUSED', "simulated time is paused and this waits for the network: sim.resume() lets time go on, or await sim.run('1s') runs a second of it"));
          }
        }),
      );
    },
  };
  return {
    world,
    nodes,
    targets,
    setupJoins,
    hooks,
    async stop() {
      await world.drive(Promise.all(nodes.map((n) => (n.running ? n.leave().then(() => undefined) : n.stop()).catch(() => n.stop().catch(() => undefined)))));
      world.driver.stop();
      await o.trace?.close();
    },
  };
}

/**
 * The node as the REPL's user calls it: a file named in `sendFile` / `sendWithFile` is read from
 * the real disk onto the simulated one first, while simulated time stands still (a playbook's
 * files are loaded before its run instead).
 */
function withRealFiles(world: SimWorld, node: Node): Node {
  const load = async (path: unknown): Promise<void> => {
    if (typeof path !== 'string' || path === '') return;
    const abs = resolve(path);
    try {
      world.fs.preload(abs, await readFile(abs));
    } catch {
      // Missing or unreadable: the call itself says so, as it would on a real node.
    }
  };
  const wrapped = {
    sendFile: async (to: string, path: string) => {
      await world.driver.track(load(path));
      return node.sendFile(to, path);
    },
    sendWithFile: async (to: string, amount: number | string, path: string, fields?: Record<string, unknown>) => {
      await world.driver.track(load(path));
      return node.sendWithFile(to, amount, path, fields);
    },
  };
  return new Proxy(node, { get: (t, k) => (k === 'sendFile' || k === 'sendWithFile' ? wrapped[k] : Reflect.get(t, k, t)) });
}

/** Nodes 2..K join the first, one after another; then, as a playbook's waitFor, until everyone knows everyone. */
async function joinInTurn(world: SimWorld, nodes: Node[]): Promise<[string, string][]> {
  if (nodes.length < 2) return [];
  const [first, ...rest] = nodes as [Node, ...Node[]];
  for (const n of rest) await n.join(first.advertised);
  const t0 = world.control.monotonic();
  while (!nodes.every((n) => n.peers().length >= nodes.length - 1) && world.control.monotonic() - t0 < MESH_WITHIN_MS) await world.sleep(MESH_POLL_MS);
  return rest.map((n) => [n.name, first.name]);
}

export interface SimReplOptions {
  seed?: number;
  record?: string;
  pace?: number;
}

/** `peerlab repl --sim`: returns the exit code (script mode: 1 if a line failed). */
export async function runSimRepl(nodeOptions: NodeOptions[], o: SimReplOptions): Promise<number> {
  const io = processIo();
  const paint = makePaint(io.colour);
  const info = io.script ? process.stderr : process.stdout;
  const seed = o.seed ?? 1;
  const traceFile = typeof nodeOptions[0]?.trace === 'string' ? nodeOptions[0].trace : undefined;
  let session: ReplSession | undefined;
  const sim = await startSimNodes(nodeOptions, {
    seed,
    ...(traceFile ? { trace: new TraceWriter(traceFile) } : {}),
    ...(o.pace !== undefined ? { pace: o.pace } : {}),
    decided: (kind, id) => session?.recording?.decision(kind, id),
  });
  const { nodes, world } = sim;
  const first = nodes[0]!;
  info.write(
    `${[
      paint.bold('peerlab repl --sim'),
      nodes.length === 1 ? `${paint.cyan(first.name)} ${first.advertised}` : `${nodes.length} nodes ${nodes.map((n) => `${paint.cyan(n.name)} ${n.advertised}`).join(', ')} ${paint.dim(`(node = ${first.name})`)}`,
      `seed ${seed}`,
      `simulated time ${(world.now() / 1000).toFixed(3)}s, paced ${world.driver.pace ?? 1}x`,
      paint.dim('help(sim) for the clock and the network, help() for the rest, .exit or Ctrl+D to stop'),
    ].join(paint.dim(' · '))}\n`,
  );
  const handlers = installProcessHandlers();
  session = await ReplSession.start({
    nodes: sim.targets.map((n): SessionNode => ({ name: n.name, target: n, local: true, id: n.id, addresses: [n.address], dataDir: null })),
    ...sessionIo(io, undefined, o.record),
    recorderSettings: {
      heartbeat: { interval: first.heartbeat.interval, timeout: first.heartbeat.timeout },
      initialBalance: first.config.params.initialBalance,
      seed,
      simulated: true,
    },
    setupJoins: sim.setupJoins,
    sim: sim.hooks,
    recorderNow: () => world.now(),
  });
  handlers.attach(session);
  if (io.script) {
    await session.feedStream(process.stdin);
    session.close();
  }
  await session.closed;
  await sim.stop().catch((err: unknown) => info.write(`${formatError(err, paint, 'stopping: ')}\n`));
  handlers.remove();
  if (!io.script) session.write(process.stdout, `${paint.dim(`stopped ${nodes.map((n) => n.name).join(', ')} at simulated ${(world.now() / 1000).toFixed(3)}s`)}\n`);
  return io.script && session.failures > 0 ? 1 : 0;
}
