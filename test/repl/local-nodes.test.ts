import { describe, expect, it } from 'vitest';
import { planLocalNodes } from '../../src/cli/repl-command.ts';
import { meshLocalNodes, startLocalNodes } from '../../src/repl/local-nodes.ts';

const base = { host: '127.0.0.1', port: 0 };

describe('--nodes K', () => {
  it('one node is planned exactly as `peerlab node` would be', () => {
    expect(planLocalNodes({ ...base, memory: true, name: 'solo' }, 1)).toEqual([{ host: '127.0.0.1', port: 0, name: 'solo', memory: true }]);
    expect(planLocalNodes({ ...base }, 1)[0]!.dataDir).toBe('.peerlab/node');
  });

  it('K nodes are alice, bob, carol, ... with their own data dirs, consecutive ports and seeds', () => {
    const plan = planLocalNodes({ ...base, port: 5001, data: 'd', seed: 10, drop: 0.1 }, 3);
    expect(plan.map((p) => [p.name, p.port, p.dataDir, p.seed, p.faults?.drop])).toEqual([
      ['alice', 5001, 'd/alice', 10, 0.1],
      ['bob', 5002, 'd/bob', 11, 0.1],
      ['carol', 5003, 'd/carol', 12, 0.1],
    ]);
    expect(planLocalNodes({ ...base, name: 'n', memory: true }, 2).map((p) => [p.name, p.dataDir, p.memory])).toEqual([
      ['n1', undefined, true],
      ['n2', undefined, true],
    ]);
    expect(planLocalNodes({ ...base }, 2).map((p) => p.dataDir)).toEqual(['.peerlab/alice', '.peerlab/bob']);
  });

  it('refuses impossible plans with one clear error', () => {
    expect(() => planLocalNodes({ ...base }, 0)).toThrow(/--nodes must be from 1 to 64/);
    expect(() => planLocalNodes({ ...base, port: 65535 }, 2)).toThrow(/leaves no room for 2 nodes/);
  });

  it('starts them and joins them all to the first, until everyone knows everyone', async () => {
    const { nodes, closeTrace } = await startLocalNodes(planLocalNodes({ ...base, memory: true, heartbeatInterval: 100 }, 3));
    try {
      expect(await meshLocalNodes(nodes)).toEqual([['bob', 'alice'], ['carol', 'alice']]);
      for (const n of nodes) expect(n.peers()).toHaveLength(2);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
      await closeTrace();
    }
  });
});
