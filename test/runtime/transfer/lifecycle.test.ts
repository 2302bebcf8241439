import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { Transform } from 'node:stream';
import { stallAt, type SendTap } from '../../../src/runtime/transfer/faults.ts';
import type { FileAcceptBody } from '../../../src/runtime/wire/transfer.ts';
import { ControlChannel, startNode, tempRoot, useTransferRig, writePseudoRandomFile } from './helpers.ts';

const MiB = 1024 * 1024;

describe('dead peers, lost messages and stopping', () => {
  const rig = useTransferRig();

  it('sending to a peer that never answers fails with a clear error after its retries', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { retry: { retries: 2, baseMs: 20, maxMs: 40 }, timeouts: { offerMs: 100 } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    rig.channel.detach(bob.ref.id); // bob's node is gone: offers vanish
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 1000, 1);

    const err = await alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);

    expect(isPeerlabError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toBe(
      `sending "f.bin" (1000 B) failed after 3 attempt(s): 127.0.0.1:${bob.ref.address.port} did not answer the file offer within 100ms`,
    );
    expect(rig.channel.count('file-offer')).toBe(3);
    expect(alice.events.of('file-retry').map((d) => d.delayMs)).toEqual([20, 40]);
    expect(alice.events.of('file-failed')).toMatchObject([{ direction: 'out', code: 'TIMEOUT', attempts: 3 }]);
  });

  it('a peer that accepts but whose TCP port is dead fails as UNREACHABLE after its retries', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { retry: { retries: 1, baseMs: 10, maxMs: 10 } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    rig.channel.rewrite = (m) => (m.type === 'file-accept' ? { ...(m.body as FileAcceptBody), port: 1 } : m.body);
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 1000, 1);
    const err = await alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'UNREACHABLE')).toBe(true);
    expect((err as Error).message).toMatch(/failed after 2 attempt\(s\): cannot connect to 127\.0\.0\.1:1: ECONNREFUSED/);
  });

  it('a receiver that cannot write the file fails the transfer at once with a clear error', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    await rm(join(bob.inboxDir, 'tmp'), { recursive: true }); // every write to a temp file now fails
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 100_000, 1);
    const err = await alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'FILE_FAILED')).toBe(true);
    expect((err as Error).message).toBe('the receiver could not store "f.bin" (97.7 KiB)');
    expect(rig.channel.count('file-offer')).toBe(1); // not worth a retry
    expect(bob.events.of('file-failed')).toMatchObject([{ reason: 'the file could not be written' }]);
    expect(bob.service.stats().incoming).toBe(0);
  });

  it('a lost UDP confirmation does not matter: the TCP verdict confirms', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    rig.channel.drop = (m) => m.type === 'file-confirm';
    const src = join(rig.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 50_000, 1);
    await expect(alice.service.sendFile(bob.ref, src)).resolves.toMatchObject({ sha256: sha, retries: 0 });
  });

  it('duplicated control messages change nothing: one connection, no retry', async () => {
    // A gate in the sender's stream holds the connection open mid-transfer while a late copy of the
    // offer arrives at the receiver.
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const sendTap: SendTap = (ctx) => {
      let at = ctx.offset;
      return new Transform({
        transform(chunk: Buffer, _e, cb) {
          const held = at >= MiB;
          at += chunk.length;
          if (held) gate.then(() => cb(null, chunk), cb);
          else cb(null, chunk);
        },
      });
    };
    const alice = await startNode(rig.channel, rig.dir, 'alice', { faults: { sendTap } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    rig.channel.duplicate = true;
    const src = join(rig.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 8 * MiB, 1);
    const sending = alice.service.sendFile(bob.ref, src);
    sending.catch(() => {});
    await bob.events.waitFor('file-progress', (d) => d.bytes === MiB);
    const offer = (await rig.channel.waitFor('file-offer')).body;
    const accepts = rig.channel.count('file-accept');
    bob.service.handleControl(alice.ref, 'file-offer', offer);
    await new Promise((r) => setImmediate(r));
    expect(rig.channel.count('file-accept')).toBe(accepts); // the late copy is ignored
    open();
    await expect(sending).resolves.toMatchObject({ sha256: sha, retries: 0, resentBytes: 0 });
    expect(bob.events.of('file-received')).toMatchObject([{ connections: 1 }]);
    expect(bob.service.stats().rejectedConnections).toBe(0);
  });

  it('a lost accept is answered again on the re-offer with the same token', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { retry: { retries: 2, baseMs: 10, maxMs: 10 }, timeouts: { offerMs: 500 } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    let dropped = 0;
    rig.channel.drop = (m) => m.type === 'file-accept' && dropped++ === 0;
    const src = join(rig.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 50_000, 1);
    await expect(alice.service.sendFile(bob.ref, src)).resolves.toMatchObject({ sha256: sha, retries: 1 });
    const tokens = rig.channel.log.filter((m) => m.type === 'file-accept').map((m) => (m.body as FileAcceptBody).token);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
  });

  it('re-offering a transfer the receiver already stored brings its confirmation back', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { retry: { retries: 2, baseMs: 10, maxMs: 10 }, timeouts: { confirmMs: 5_000 } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    // A receiver that stored the file, but whose verdict and confirmation were both lost:
    // emulate by dropping the first confirm and cutting the sender's side before it reads the verdict.
    rig.channel.drop = (m) => m.type === 'file-confirm' && rig.channel.count('file-confirm') === 1;
    const src = join(rig.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 10_000, 1);
    const r1 = await alice.service.sendFile(bob.ref, src);
    // Now offer the same transfer id again directly: bob answers with a confirmation, not an accept.
    const before = rig.channel.count('file-confirm');
    bob.service.handleControl(alice.ref, 'file-offer', { transferId: r1.transferId, attempt: 2, name: 'f.bin', size: 10_000, sha256: sha });
    await new Promise((r) => setImmediate(r));
    expect(rig.channel.count('file-confirm')).toBe(before + 1);
    expect(rig.channel.log.filter((m) => m.type === 'file-accept')).toHaveLength(1);
  });

  it('stop() is idempotent, fails transfers in flight with STOPPED and removes temp files', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { faults: { sendTap: stallAt(1 * MiB, 'all') } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 4 * MiB, 1);
    const sending = alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);
    await bob.events.waitFor('file-progress', (d) => d.bytes === 1 * MiB);
    expect(await readdir(join(bob.inboxDir, 'tmp'))).toHaveLength(1);

    await Promise.all([bob.service.stop(), bob.service.stop()]);
    await bob.service.stop();
    expect(await readdir(join(bob.inboxDir, 'tmp'))).toEqual([]);
    expect(bob.service.port).toBeGreaterThan(0);

    await alice.service.stop();
    const err = await sending;
    expect(isPeerlabError(err, 'STOPPED')).toBe(true);
    await expect(alice.service.sendFile(bob.ref, src)).rejects.toMatchObject({ code: 'NOT_RUNNING' });
  });

  it('a stopped service can start again and send and receive', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    await alice.service.stop();
    await bob.service.stop();
    await alice.service.start();
    await bob.service.start();
    expect(bob.service.port).toBeGreaterThan(0);
    const src = join(rig.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 100_000, 1);
    await expect(alice.service.sendFile(bob.ref, src)).resolves.toMatchObject({ sha256: sha });
  });
});

describe('retries on a manual clock', () => {
  it('a dead peer gets exactly retries + 1 offers, spaced by the offer timeout and the backoff', async () => {
    const { ManualClock } = await import('../../../src/runtime/clock.ts');
    const root = await tempRoot();
    const clock = new ManualClock(0);
    const channel = new ControlChannel();
    const offerTimes: number[] = [];
    channel.drop = (m) => {
      if (m.type === 'file-offer') offerTimes.push(clock.now());
      return true; // nobody ever answers
    };
    const alice = await startNode(channel, root.dir, 'alice', { clock, retry: { retries: 2, baseMs: 1000, maxMs: 1500 }, timeouts: { offerMs: 3000 } });
    try {
      const src = join(root.dir, 'f.bin');
      await writePseudoRandomFile(src, 10, 1);
      const bob = { id: 'B'.repeat(43), address: { host: '127.0.0.1', port: 9 } };
      const sending = alice.service.sendFile(bob, src).catch((e: unknown) => e);
      for (const [n, backoff] of [[1, 1000], [2, 1500], [3, 0]] as const) {
        await channel.waitFor('file-offer', n);
        clock.advance(3000);
        if (backoff) {
          await alice.events.waitFor('file-retry', (d) => d.attempt === n);
          clock.advance(backoff);
        }
      }
      const err = await sending;
      expect(isPeerlabError(err, 'TIMEOUT')).toBe(true);
      expect(offerTimes).toEqual([0, 4000, 8500]);
      expect(clock.pendingTimers()).toBe(0);
    } finally {
      await alice.service.stop();
      await root.cleanup();
    }
  });
});
