/**
 * A node process driven by JSON lines on stdin, for tests that need real processes they can
 * SIGKILL: `{"id":1,"cmd":"join","addr":"127.0.0.1:5001"}` -> `{"re":1,"ok":true,"result":...}`.
 * Every accepted transaction is announced (`{"ev":"accepted","id":...}`) after it is durable.
 */
import { createInterface } from 'node:readline';
import { Node } from '../../src/runtime/node.ts';

const opts = JSON.parse(process.argv[2] ?? '{}') as ConstructorParameters<typeof Node>[0];
const node = new Node(opts);
const out = (o: unknown): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};
node.on('txn-accepted', (e) => out({ ev: 'accepted', id: (e.data as { id: string }).id }));
await node.start();
out({ ev: 'started', address: node.address, id: node.id });

const commands: Record<string, (c: Record<string, unknown>) => unknown> = {
  join: (c) => node.join(String(c.addr)),
  robot: (c) => node.robot.start(c.options as object),
  stopRobot: () => node.robot.stop(),
  faults: (c) => node.faults.set(c.faults as object),
  resetFaults: () => node.faults.reset(),
  report: () => ({ digest: node.digest(), transactions: node.transactions().map((t) => t.id), balances: node.balances(), peers: node.peers().length, pending: node.pending().length }),
  sync: () => node.sync(),
  stop: async () => {
    await node.stop();
    setImmediate(() => process.exit(0));
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  const c = JSON.parse(line) as Record<string, unknown> & { id: number; cmd: string };
  try {
    const result = await commands[c.cmd]!(c);
    out({ re: c.id, ok: true, result });
  } catch (err) {
    out({ re: c.id, ok: false, error: (err as Error).message });
  }
}
