import { PassThrough } from 'node:stream';
import { Node, type NodeOptions } from '../../src/runtime/node.ts';
import { ReplSession, type ReplSessionOptions, type SessionNode } from '../../src/repl/session.ts';

/** Real nodes on 127.0.0.1 with ephemeral ports, named as given. */
export async function startNamed(names: string[], opts: NodeOptions = {}): Promise<Node[]> {
  const nodes = names.map((name, i) => new Node({ name, memory: true, seed: 500 + i, heartbeat: { interval: 100, timeout: 1000 }, ...opts }));
  await Promise.all(nodes.map((n) => n.start()));
  return nodes;
}

export function entryOf(n: Node): SessionNode {
  return { name: n.name, target: n, local: true, id: n.id, addresses: [...new Set([n.address, n.advertised])], dataDir: n.config.dataDir ?? null };
}

/**
 * A REPL session driven through streams (the session's own input PassThrough, terminal: false),
 * with stdout and stderr collected as text.
 */
export class Harness {
  out = '';
  err = '';
  readonly output = new PassThrough();
  readonly errors = new PassThrough();
  session!: ReplSession;

  static async start(nodes: (Node | SessionNode)[], opts: Partial<ReplSessionOptions> = {}): Promise<Harness> {
    const h = new Harness();
    h.output.on('data', (d: Buffer) => (h.out += d.toString()));
    h.errors.on('data', (d: Buffer) => (h.err += d.toString()));
    h.session = await ReplSession.start({
      nodes: nodes.map((n) => (n instanceof Node ? entryOf(n) : n)),
      output: h.output,
      errorOutput: h.errors,
      terminal: false,
      showEvents: false,
      prompt: '',
      ...opts,
    });
    return h;
  }

  /** Runs a line; resolves with what it printed (once it and its awaits have settled). */
  async run(line: string): Promise<string> {
    const before = this.out.length;
    await this.session.feed(line);
    return this.out.slice(before);
  }

  /** Runs a line that must fail; resolves with the error text it printed (stdout or stderr). */
  async fail(line: string): Promise<string> {
    const o = this.out.length;
    const e = this.err.length;
    const failures = this.session.failures;
    await this.session.feed(line);
    if (this.session.failures !== failures + 1) throw new Error(`expected ${line} to fail; it printed ${this.out.slice(o)}`);
    return this.out.slice(o) + this.err.slice(e);
  }

  complete(line: string): Promise<[string[], string]> {
    const rl = this.session.server as unknown as { completer: (l: string, cb: (e: Error | null, r: [string[], string]) => void) => void };
    return new Promise((resolve, reject) => rl.completer(line, (e, r) => (e ? reject(e) : resolve(r))));
  }

  async close(): Promise<void> {
    this.session.close();
    await this.session.closed;
  }
}
