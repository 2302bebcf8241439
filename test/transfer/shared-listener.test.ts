import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpMux } from '../../src/runtime/net/tcp-mux.ts';
import { TcpListener } from '../../src/runtime/net/tcp-transport.ts';
import { FILE_PROTOCOL_MAGIC } from '../../src/runtime/transfer/index.ts';
import { ControlChannel, startNode, tempRoot, writePseudoRandomFile, type TestNode } from './helpers.ts';

describe('one TCP listener per node, shared with other protocols', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let listener: TcpListener;
  const nodes: TestNode[] = [];

  beforeEach(async () => {
    root = await tempRoot();
    listener = new TcpListener({ host: '127.0.0.1' });
  });

  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.service.stop();
    await listener.stop();
    await root.cleanup();
  });

  it.each([
    ['the router consumes the magic', true],
    ['the router keeps the magic', false],
  ])('files arrive through a magic-routing listener (%s)', async (_what, consumed) => {
    const channel = new ControlChannel();
    const alice = await startNode(channel, root.dir, 'alice');
    const bob = await startNode(channel, root.dir, 'bob', { sharedListener: { port: () => listener.port } });
    nodes.push(alice, bob);
    const mux = new TcpMux(1_000);
    mux.route(FILE_PROTOCOL_MAGIC, (s) => bob.service.acceptStream(s, { magicConsumed: consumed }));
    await listener.start((s) => mux.accept(s, consumed ? new Set() : new Set([FILE_PROTOCOL_MAGIC])));
    expect(bob.service.port).toBe(listener.port);

    const src = join(root.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 3 * 1024 * 1024, 5);
    await expect(alice.service.sendFile(bob.ref, src)).resolves.toMatchObject({ sha256: sha, retries: 0 });
    expect((await bob.service.inbox()).map((e) => e.sha256)).toEqual([sha]);
  });
});
