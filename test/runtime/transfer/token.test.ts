import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../../../src/runtime/net/tcp-transport.ts';
import { encodeHello, FRAME_LENGTH, FrameKind, HELLO_MAGIC } from '../../../src/runtime/wire/file-stream.ts';
import type { FileAcceptBody } from '../../../src/runtime/wire/transfer.ts';
import { ControlChannel, startNode, tempRoot, writePseudoRandomFile, type TestNode } from './helpers.ts';

const tcp = new TcpTransport({ host: '127.0.0.1' });
const tcpConnect = (port: number): Promise<Duplex> => tcp.connect({ host: '127.0.0.1', port }, { timeoutMs: 2_000 });

/** Connects, writes `data`, optionally ends, and collects everything the server says until it closes. */
async function probe(port: number, data: Buffer | null, end = false): Promise<Buffer> {
  const s: Duplex = await tcpConnect(port);
  const got: Buffer[] = [];
  s.on('data', (c: Buffer) => got.push(c));
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  if (data) s.write(data);
  if (end) s.end();
  await closed;
  return Buffer.concat(got);
}

describe('the TCP listener only serves connections with a valid one-time token', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let channel: ControlChannel;
  let alice: TestNode;
  let bob: TestNode;

  beforeEach(async () => {
    root = await tempRoot();
    channel = new ControlChannel();
    alice = await startNode(channel, root.dir, 'alice', { retry: { retries: 0 }, timeouts: { offerMs: 200 } });
    bob = await startNode(channel, root.dir, 'bob', { timeouts: { helloMs: 500 } });
  });

  afterEach(async () => {
    await alice.service.stop();
    await bob.service.stop();
    await root.cleanup();
  });

  it('garbage, a silent client and a half hello are closed without a byte written back', async () => {
    expect(await probe(bob.service.port, randomBytes(52))).toHaveLength(0);
    expect(await probe(bob.service.port, null)).toHaveLength(0); // closed after helloMs
    expect(await probe(bob.service.port, Buffer.concat([HELLO_MAGIC, randomBytes(10)]), true)).toHaveLength(0);
    expect(await probe(bob.service.port, Buffer.alloc(4096, 0x41))).toHaveLength(0);
    expect(bob.service.stats().rejectedConnections).toBe(4);
    expect(await readdir(join(bob.inboxDir, 'tmp'))).toEqual([]);
  });

  it('a known transfer id with a wrong or reused token is closed without a byte written', async () => {
    // Keep the accept from reaching alice, so the transfer waits at bob with an unused token.
    channel.drop = (m) => m.type === 'file-accept';
    const src = join(root.dir, 'f.bin');
    await writePseudoRandomFile(src, 100_000, 3);
    const sending = alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);
    const accept = (await channel.waitFor('file-accept')).body as FileAcceptBody;

    const wrong = encodeHello(accept.transferId, randomBytes(32).toString('base64url'));
    expect(await probe(bob.service.port, wrong)).toHaveLength(0);
    expect(await readdir(join(bob.inboxDir, 'tmp'))).toEqual([]);

    // The right token is answered with the resume offset (and then served)...
    const right = encodeHello(accept.transferId, accept.token);
    const s = await tcpConnect(bob.service.port);
    const first = new Promise<Buffer>((resolve) => s.once('data', (c: Buffer) => resolve(c)));
    s.write(right);
    const frame = await first;
    expect(frame.length).toBeGreaterThanOrEqual(FRAME_LENGTH);
    expect(frame[0]).toBe(FrameKind.OFFSET);
    expect(frame.readBigUInt64BE(1)).toBe(0n);
    // ...but only once.
    expect(await probe(bob.service.port, right)).toHaveLength(0);
    s.destroy();
    expect(bob.service.stats().rejectedConnections).toBe(2);
    await sending;
  });
});
