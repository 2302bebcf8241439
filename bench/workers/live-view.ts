/**
 * Live view worker (bench/live-view.ts): `--nodes` real Nodes in this process on 127.0.0.1 (memory
 * stores, real UDP), joined through the first into a full mesh, and the live view over them (the
 * same LiveHub and LiveView as `--ui`). Prints `ready` with the view's address, then serves
 * commands: `robots` {on, every} starts or stops a robot on every node; `counts` returns the
 * messages the nodes have sent so far. Stops its nodes when stdin closes.
 */
import { parseArgs } from 'node:util';
import { Node } from '../../src/runtime/node.ts';
import { LiveHub, localLiveNode } from '../../src/ui/live-source.ts';
import { LiveView } from '../../src/ui/server.ts';
import { out, serve } from './rpc.ts';

const { values: a } = parseArgs({ options: { nodes: { type: 'string', default: '16' }, interval: { type: 'string', default: '1000' } } });
const N = Number(a.nodes);
const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil'];
const nodes: Node[] = [];
const hub = new LiveHub(() => live);
for (let i = 0; i < N; i++) {
  const node = new Node({ name: names[i] ?? `n${i + 1}`, memory: true, seed: 100 + i, trace: hub.trace, heartbeat: { interval: Number(a.interval), timeout: 10 * Number(a.interval) } });
  node.on('*', hub.listen);
  nodes.push(node);
}
const live = nodes.map(localLiveNode);
await Promise.all(nodes.map((n) => n.start()));
for (const n of nodes.slice(1)) await n.join(nodes[0]!.address, { timeout: '20s' });
for (let i = 0; i < 200 && !nodes.every((n) => n.peers().length === N - 1); i++) await new Promise((r) => setTimeout(r, 50));
const view = await LiveView.start({ source: hub });
out({ type: 'ready', url: view.url, mesh: nodes.every((n) => n.peers().length === N - 1) });

serve(
  {
    robots: (args) => {
      nodes.forEach((n, i) => (args.on ? n.robot.start({ every: `${Number(args.every)}ms`, maxAmount: 5, seed: i + 1 }) : n.robot.stop()));
      return { running: nodes.filter((n) => n.robot.status().running).length };
    },
    counts: () => {
      const byType: Record<string, number> = {};
      for (const n of nodes) for (const [k, v] of Object.entries(n.stats().outByType)) byType[k] = (byType[k] ?? 0) + v;
      return { messagesOut: Object.values(byType).reduce((x, y) => x + y, 0), byType, transactions: nodes[0]!.transactions().length };
    },
  },
  async () => {
    await view.stop();
    await Promise.all(nodes.map((n) => n.stop()));
  },
);
