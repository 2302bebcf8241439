/** The nodes of a `peerlab repl` process: started together, joined to the first. */
import { isPeerlabError } from '../runtime/errors.ts';
import { Node, type NodeOptions } from '../runtime/node.ts';
import { TraceWriter } from '../runtime/trace.ts';

/** How many default data dirs an unnamed node tries (`.peerlab/node`, `.peerlab/node-2`, ...). */
const MAX_DEFAULT_DIRS = 64;

/**
 * Starts a node. With `freeDataDir` (an unnamed node on its default data dir), a dir that another
 * live process holds is not an error: the node takes the next one, `.peerlab/node-2`, and so on,
 * so unnamed nodes started in one folder do not collide. `prepare` sees each node before it starts.
 */
export async function startNode(opts: NodeOptions, o: { freeDataDir?: boolean; prepare?: (node: Node) => void } = {}): Promise<Node> {
  for (let i = 1; ; i++) {
    const node = new Node(i === 1 || !opts.dataDir ? opts : { ...opts, dataDir: `${opts.dataDir}-${i}` });
    o.prepare?.(node);
    try {
      return await node.start();
    } catch (err) {
      if (!o.freeDataDir || !opts.dataDir || i >= MAX_DEFAULT_DIRS || !isPeerlabError(err, 'ALREADY_RUNNING')) throw err;
    }
  }
}

/**
 * Starts the nodes (all or none: if one fails, the started ones are stopped). Several nodes with
 * one --trace file share one writer; `closeTrace` closes it after the nodes have stopped.
 */
export async function startLocalNodes(opts: NodeOptions[], o: { freeDataDir?: boolean } = {}): Promise<{ nodes: Node[]; closeTrace: () => Promise<void> }> {
  if (opts.length === 1) {
    const node = await startNode(opts[0]!, o);
    return { nodes: [node], closeTrace: async () => undefined };
  }
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
