import { Command } from 'commander';
import { join } from 'node:path';
import { PeerlabError } from '../runtime/errors.ts';
import type { NodeOptions } from '../runtime/node.ts';
import { addUiOptions, prepareView, wantsUi, type UiCliOptions } from './live-view.ts';
import { addNodeOptions, parse, toNodeOptions, type NodeCliOptions } from './options.ts';

export interface ReplCliOptions extends NodeCliOptions, UiCliOptions {
  nodes?: number;
  record?: string;
  sim?: boolean;
  pace?: number;
}

export const FRIENDLY_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter'];
export const MAX_LOCAL_NODES = 64;

/** `peerlab repl [node options] [--nodes K] [--record FILE]` (DESIGN.md §2.1). */
export function replCommand(): Command {
  const cmd = new Command('repl').description('start a node (or K local nodes) and a REPL with `node` preloaded; a script on stdin runs line by line');
  addNodeOptions(cmd)
    .option('--nodes <k>', 'start K local nodes in this process (alice, bob, ...), joined to the first', parse.positiveInt)
    .option('--record <file>', 'record the node actions of this session as a playbook')
    .option('--sim', 'run the nodes on simulated time and a simulated network (sim in the REPL: pause, run, step, inflight, deliver, drop)')
    .option('--pace <x>', 'with --sim: simulated time at X times real time (default 1)', parse.positiveNumber);
  addUiOptions(cmd);
  cmd.action(async (o: ReplCliOptions) => {
    if (o.sim || o.pace !== undefined) {
      const misuse = simMisuse(o);
      if (misuse) {
        process.stderr.write(`peerlab repl: ${misuse}\n`);
        process.exit(2);
      }
      const { runSimRepl } = await import('../repl/sim-repl.ts');
      const k = o.nodes ?? 1;
      const opts = planLocalNodes({ ...o, memory: true, port: 0 }, k).map((x) => ({ ...x, name: x.name ?? 'node' }));
      process.exit(await runSimRepl(opts, { ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.record ? { record: o.record } : {}), ...(o.pace !== undefined ? { pace: o.pace } : {}) }));
    }
    // Loaded here so that other commands do not pay for the REPL.
    const { runRepl } = await import('../repl/run.ts');
    const k = o.nodes ?? 1;
    const unnamed = k === 1 && o.name === undefined && o.data === undefined && !o.memory;
    let plan = planLocalNodes(o, k);
    const view = wantsUi(o) ? await prepareView(o, { title: 'peerlab repl' }) : undefined;
    if (view) plan = view.tapOptions(plan);
    process.exit(await runRepl(plan, { ...o, freeDataDir: unnamed, ...(view ? { view } : {}) }));
  });
  return cmd;
}

/** What --sim cannot take: options about the real network and disk. */
function simMisuse(o: ReplCliOptions): string | undefined {
  if (!o.sim) return '--pace paces simulated time: add --sim';
  const real = [o.port ? '--port' : '', o.join?.length ? '--join' : '', o.advertise ? '--advertise' : '', o.data ? '--data' : ''].filter(Boolean);
  if (real.length) return `--sim runs the nodes on a simulated network in memory: ${real.join(', ')} ${real.length === 1 ? 'has' : 'have'} no meaning there`;
  if (wantsUi(o)) return '--ui does not watch a simulated REPL yet: drop --ui, or watch a simulated playbook with peerlab play FILE --sim --pace X --ui';
  return undefined;
}

/**
 * NodeOptions for each of `k` local nodes: one as the flags say, or K named alice, bob, carol, ...
 * (<name>1..<name>K with --name), with ports P, P+1, ... and data dirs DIR/<name> (or
 * ./.peerlab/<name>), seeds N, N+1, ...
 */
export function planLocalNodes(o: NodeCliOptions, k: number): NodeOptions[] {
  if (!Number.isInteger(k) || k < 1 || k > MAX_LOCAL_NODES) throw new PeerlabError('BAD_ARGUMENT', `--nodes must be from 1 to ${MAX_LOCAL_NODES}, got ${k}`);
  if (k === 1) return [toNodeOptions(o)];
  if (o.port && o.port + k - 1 > 65535) throw new PeerlabError('BAD_ARGUMENT', `--port ${o.port} leaves no room for ${k} nodes (ports ${o.port}..${o.port + k - 1})`);
  const names = Array.from({ length: k }, (_, i) => (o.name ? `${o.name}${i + 1}` : (FRIENDLY_NAMES[i] ?? `n${i + 1}`)));
  return names.map((name, i) => {
    const one: NodeCliOptions = { ...o, name, port: o.port ? o.port + i : 0 };
    delete one.data;
    const opts = toNodeOptions(one);
    if (!o.memory) opts.dataDir = o.data ? join(o.data, name) : `.peerlab/${name}`;
    if (o.seed !== undefined) opts.seed = o.seed + i;
    return opts;
  });
}
