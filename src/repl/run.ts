/**
 * The processes behind `peerlab repl` and `peerlab attach`: start (or reach) the node(s), print a
 * one-line banner, run the session (interactive, or a script from stdin), and stop cleanly.
 */
import { lstat } from 'node:fs/promises';
import { ControlClient } from '../runtime/control/control-client.ts';
import { startControlServer, type ControlServer } from '../runtime/control/control-server.ts';
import { PeerlabError } from '../runtime/errors.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import type { Node, NodeOptions } from '../runtime/node.ts';
import { controlSocketPath } from '../runtime/store/data-dir.ts';
import { meshLocalNodes, startLocalNodes } from './local-nodes.ts';
import { makePaint, type Paint } from './paint.ts';
import { installProcessHandlers, processIo, sessionIo, within } from './process-io.ts';
import { remoteNode } from './remote-node.ts';
import { formatError } from './render.ts';
import { ReplSession, type SessionNode } from './session.ts';

export interface RunReplOptions {
  join?: string[];
  record?: string;
  seed?: number;
  drop?: number;
  /** An unnamed node on its default data dir: a dir in use moves it to the next (`.peerlab/node-2`). */
  freeDataDir?: boolean;
  /** `--ui`: the live view, served once the nodes run (src/cli/live-view.ts). */
  view?: SessionView;
}

/** What the REPL needs of the live view: serve it for the nodes, and stop it. */
export interface SessionView {
  readonly listen: (e: PeerlabEvent) => void;
  /** Serves the view for these nodes of this process and prints its address. */
  openLocal(nodes: readonly Node[], print: (line: string) => void): Promise<unknown>;
  close(): Promise<void>;
}

/** `peerlab repl`: returns the exit code (script mode: 1 if a line failed). */
export async function runRepl(nodeOptions: NodeOptions[], o: RunReplOptions): Promise<number> {
  const io = processIo();
  const paint = makePaint(io.colour);
  const info = io.script ? process.stderr : process.stdout;
  const { nodes, closeTrace } = await startLocalNodes(nodeOptions, { freeDataDir: o.freeDataDir ?? false });
  const first = nodes[0]!;
  const controls: (ControlServer | undefined)[] = await Promise.all(
    nodes.map((n) =>
      startControlServer(n).catch((err: unknown) => {
        info.write(`${formatError(err, paint, `${n.name}: no control socket: `)}\n`);
        return undefined;
      }),
    ),
  );
  let setupJoins: [string, string][] = [];
  try {
    setupJoins = await meshLocalNodes(nodes);
  } catch (err) {
    info.write(`${formatError(err, paint, 'local nodes did not all join: ')}\n`);
  }
  info.write(`${banner('peerlab repl', nodes, controls, paint)}\n`);
  if (o.view) {
    for (const n of nodes) n.on('*', o.view.listen);
    await o.view.openLocal(nodes, (line) => info.write(`${line}\n`)).catch((err: unknown) => {
      info.write(`${formatError(err, paint, 'no live view: ')}\n`);
    });
  }

  const handlers = installProcessHandlers();
  const session = await ReplSession.start({
    nodes: nodes.map((n, i) => localEntry(n, controls[i], o)),
    ...sessionIo(io, first.config.dataDir, o.record),
    recorderSettings: {
      heartbeat: { interval: first.heartbeat.interval, timeout: first.heartbeat.timeout },
      initialBalance: first.config.params.initialBalance,
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
    },
    setupJoins,
  });
  handlers.attach(session);
  const joins = (o.join ?? []).map((addr) => ({ addr, call: () => (session.current.proxy as Node).join(addr, io.script ? {} : { timeout: Infinity }) }));
  if (io.script) {
    // A script's first line may rely on the network it joined.
    for (const j of joins) await j.call().catch((err: unknown) => session.reportError(prefixed(err, `--join ${j.addr}`), undefined));
    await session.feedStream(process.stdin);
    session.close();
  } else {
    for (const j of joins) {
      j.call().catch((err: unknown) => {
        if (!first.running) return;
        session.print(formatError(err, paint, `cannot join ${j.addr}: `));
      });
    }
  }
  await session.closed;
  // Stop cleanly (ports freed, data flushed), saying goodbye so that peers do not wait for their
  // heartbeat timeout; a stop that hangs does not keep the process alive.
  const stopped = await within(
    10_000,
    (async () => {
      await Promise.all(nodes.map((n) => (n.running ? n.leave().then(() => undefined) : n.stop()).catch(() => n.stop().catch(() => undefined))));
      await Promise.all(controls.map((c) => c?.stop()));
      await o.view?.close();
      await closeTrace();
      return true;
    })(),
  );
  handlers.remove();
  if (!io.script) session.write(process.stdout, `${paint.dim(stopped ? `stopped ${nodes.map((n) => n.name).join(', ')}` : 'nodes did not stop within 10 s')}\n`);
  return io.script && session.failures > 0 ? 1 : 0;
}

export interface RunAttachOptions {
  record?: string;
}

/** `peerlab attach DATA_DIR` (or the socket's path): the same REPL, on a running node. */
export async function runAttach(target: string, o: RunAttachOptions = {}): Promise<number> {
  const io = processIo();
  const paint = makePaint(io.colour);
  const info = io.script ? process.stderr : process.stdout;
  const path = await socketPathFor(target);
  const client = await ControlClient.connect(path);
  const d = await client.describe();
  const remote = remoteNode(client, d);
  info.write(
    `${[
      paint.bold('peerlab attach'),
      `${paint.cyan(d.name)} ${d.address}`,
      `id ${d.shortId}`,
      `pid ${d.pid}`,
      `data ${d.dataDir ?? 'memory'}`,
      `control ${d.controlSocket}`,
      paint.dim('help() for help; Ctrl+D detaches, the node keeps running'),
    ].join(paint.dim(' · '))}\n`,
  );
  const entry: SessionNode = {
    name: d.name,
    target: remote,
    local: false,
    id: d.id,
    addresses: unique([d.address, d.advertised]),
    dataDir: d.dataDir,
    controlSocket: d.controlSocket,
  };
  const known = await client.call('peers').catch(() => []);
  const handlers = installProcessHandlers();
  const session = await ReplSession.start({
    nodes: [entry],
    ...sessionIo(io, d.dataDir ?? undefined, o.record),
  });
  session.names.learn(known);
  handlers.attach(session);
  const offClose = client.onClose((reason) => {
    session.print(paint.yellow(`${reason}: ${d.name} is gone`));
    session.close();
  });
  if (io.script) {
    await session.feedStream(process.stdin);
    session.close();
  }
  await session.closed;
  offClose();
  await within(2000, client.close());
  handlers.remove();
  return io.script && session.failures > 0 ? 1 : 0;
}

/** A data dir names its control socket; a socket path is taken as it is. */
export async function socketPathFor(target: string): Promise<string> {
  try {
    const st = await lstat(target);
    if (st.isSocket()) return target;
    if (!st.isDirectory()) throw new PeerlabError('BAD_ARGUMENT', `${target} is neither a data directory nor a control socket`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PeerlabError('UNREACHABLE', `no such data directory: ${target}`);
    throw err;
  }
  return controlSocketPath(target);
}

function localEntry(n: Node, control: ControlServer | undefined, o: RunReplOptions): SessionNode {
  return {
    name: n.name,
    target: n,
    local: true,
    id: n.id,
    addresses: unique([n.address, n.advertised]),
    dataDir: n.config.dataDir ?? null,
    ...(control ? { controlSocket: control.path } : {}),
    ...(o.drop !== undefined ? { faults: { drop: o.drop } } : {}),
  };
}

/** `peerlab repl · alice 127.0.0.1:5001 · id 3fA9c2d1 · data .peerlab/alice · control …/control.sock` */
export function banner(title: string, nodes: Node[], controls: (ControlServer | undefined)[], paint: Paint): string {
  const first = nodes[0]!;
  const who =
    nodes.length === 1
      ? `${paint.cyan(first.name)} ${first.advertised}`
      : `${nodes.length} nodes ${nodes.map((n) => `${paint.cyan(n.name)} ${n.advertised}`).join(', ')} ${paint.dim(`(node = ${first.name})`)}`;
  return [
    paint.bold(title),
    who,
    `id ${first.shortId}`,
    `data ${first.config.dataDir ?? 'memory'}`,
    `control ${controls[0]?.path ?? 'none'}`,
    paint.dim('help() for help, .exit or Ctrl+D to stop'),
  ].join(paint.dim(' · '));
}

function prefixed(err: unknown, prefix: string): unknown {
  if (err instanceof PeerlabError) return new PeerlabError(err.code, `${prefix}: ${err.message}`, err.details);
  return err instanceof Error ? new Error(`${prefix}: ${err.message}`) : err;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
