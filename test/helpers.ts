import { Node, type NodeOptions } from '../src/runtime/node.ts';

/** Polls `cond` until it is true or `timeoutMs` passes; throws with `what` on timeout. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000, stepMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Starts in-memory-identity nodes on real UDP loopback sockets with ephemeral ports. */
export async function startNodes(n: number, opts: NodeOptions = {}, names = 'abcdefghijklmnopqrstuvwxyz'): Promise<Node[]> {
  const nodes = Array.from({ length: n }, (_, i) =>
    new Node({ name: names[i] ?? `n${i}`, memory: true, seed: 1000 + i, heartbeat: { interval: 100, timeout: 1000 }, ...opts }),
  );
  await Promise.all(nodes.map((x) => x.start()));
  return nodes;
}

export async function stopAll(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}
