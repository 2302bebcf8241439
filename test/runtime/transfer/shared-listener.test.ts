import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/runtime/clock.ts';
import { StreamMux } from '../../../src/runtime/net/stream-mux.ts';
import { TcpTransport } from '../../../src/runtime/net/tcp-transport.ts';
import { startNode, useTransferRig, writePseudoRandomFile } from './helpers.ts';

describe('one stream listener per node, shared with other protocols', () => {
  const rig = useTransferRig();
  let mux: StreamMux | undefined;

  afterEach(async () => {
    await mux?.stop();
    mux = undefined;
  });

  it('files arrive through a mux that also routes another protocol', async () => {
    mux = new StreamMux({ transport: new TcpTransport({ host: '127.0.0.1' }), clock: systemClock, helloTimeoutMs: 1_000 });
    const echoed: string[] = [];
    mux.handle('ECHO', (s: Duplex) => {
      s.once('data', (d: Buffer) => {
        echoed.push(d.toString());
        s.end(d);
      });
    });
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob', { mux });
    rig.nodes.push(alice, bob);
    await mux.start();
    expect(bob.service.port).toBe(mux.port);

    const src = join(rig.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 3 * 1024 * 1024, 5);
    await expect(alice.service.sendFile(bob.ref, src)).resolves.toMatchObject({ sha256: sha, retries: 0 });
    expect((await bob.service.inbox()).map((e) => e.sha256)).toEqual([sha]);

    // The other protocol on the same port: its magic is consumed, the rest is its own.
    const s = await mux.dial({ host: '127.0.0.1', port: mux.port }, { timeoutMs: 2_000 });
    const reply = new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
    s.write('ECHOhello');
    expect(await reply).toBe('hello');
    expect(echoed).toEqual(['hello']);
    s.destroy();
  });
});
