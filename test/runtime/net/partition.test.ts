import { afterEach, describe, expect, it } from 'vitest';
import type { Node } from '../../../src/runtime/node.ts';
import { stopAll, until } from '../../helpers.ts';
import { MemoryWorld } from '../memory-world.ts';

let nodes: Node[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

describe('partitions (in-memory network)', () => {
  it('a partition that outlasts the timeout heals by itself once lifted', async () => {
    nodes = await new MemoryWorld().startNodes(3, { heartbeat: { interval: 100, timeout: 800 } });
    const [a, b, c] = nodes as [Node, Node, Node];
    await b.join(a.address);
    await c.join(a.address);
    await until(() => nodes.every((n) => n.peers().length === 2), 'full mesh');
    // [a] | [b, c]
    a.faults.partition([b.address, c.address]);
    b.faults.partition([a.address]);
    c.faults.partition([a.address]);
    await until(() => a.peers().length === 0 && b.peers().length === 1 && c.peers().length === 1, 'both sides remove across the cut', 5000);
    expect(a.logs('heartbeat-timeout').map((e) => (e.data as { name: string }).name).sort()).toEqual(['b', 'c']);
    for (const n of nodes) n.faults.heal();
    await until(() => nodes.every((n) => n.peers().length === 2), 'both sides readmit each other', 10_000);
    expect(a.logs('peer-added').filter((e) => (e.data as { via: string }).via === 'readmit').length).toBeGreaterThan(0);
  });
});
