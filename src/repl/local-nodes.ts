/** The nodes of a `peerlab repl` process: started together, joined to the first. */
import { Node, type NodeOptions } from '../runtime/node.ts';
import { TraceWriter } from '../runtime/trace.ts';

/**
 * Starts the nodes (all or none: if one fails, the started ones are stopped). Several nodes with
 * one --trace file share one writer; `closeTrace` closes it after the nodes have stopped.
 */
export async function startLocalNodes(opts: NodeOptions[]): Promise<{ nodes: Node[]; closeTrace: () => Promise<void> }> {
  let shared: TraceWriter | undefined;
  if (opts.length > 1 && typeof opts[0]?.trace === 'string') {
    shared = new TraceWriter(opts[0].trace);
    opts = opts.map((x) => ({ ...x, trace: shared }));
  }
  const nodes = opts.map((x) => new Node(x));
  const results = await Promise.allSettled(nodes.map((n) => n.start()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await shared?.close();
    throw failed.reason;
  }
  return { nodes, closeTrace: async () => void (await shared?.close()) };
}

/**
 * Joins nodes 2..K to the first and waits (event-driven, bounded) until every node knows every
 * other. Returns the joins made, as [node, peer] names.
 */
export async function meshLocalNodes(nodes: Node[], timeoutMs = 5000): Promise<[string, string][]> {
  if (nodes.length < 2) return [];
  const [first, ...rest] = nodes as [Node, ...Node[]];
  await Promise.all(rest.map((n) => n.join(first.advertised, { timeout: `${timeoutMs}ms` })));
  const want = nodes.length - 1;
  const full = (): boolean => nodes.every((n) => n.peers().length >= want);
  if (!full()) {
    await new Promise<void>((resolve) => {
      const offs: (() => void)[] = [];
      const done = (): void => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const n of nodes) offs.push(n.on('peer-added', () => full() && done()));
    });
  }
  return rest.map((n) => [n.name, first.name]);
}
