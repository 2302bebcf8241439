/**
 * Bulk catch-up (sync/bulk.ts) between two durable ledgers over in-memory streams: what a pull
 * brings, how it is logged, and what the server refuses.
 */
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LamportClock, ManualClock, systemClock } from '../../../src/runtime/clock.ts';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { Identity } from '../../../src/runtime/identity.ts';
import { DurableLedger } from '../../../src/runtime/ledger/durable-ledger.ts';
import { ledgerParams } from '../../../src/runtime/ledger/params.ts';
import type { Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { FaultPlan } from '../../../src/runtime/net/faults.ts';
import { MemoryStreamNetwork } from '../../../src/runtime/net/memory-streams.ts';
import { StreamMux } from '../../../src/runtime/net/stream-mux.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { SeededRandom } from '../../../src/runtime/random.ts';
import { Stats } from '../../../src/runtime/stats.ts';
import { MemoryAppendLog } from '../../../src/runtime/store/memory-append-log.ts';
import { PassThrough } from 'node:stream';
import { BulkSync, readLine } from '../../../src/runtime/sync/bulk.ts';
import { decodeChallenge, encodePullAuth, pullSigningBytes, SYNC_MAGIC } from '../../../src/runtime/wire/bulk-sync.ts';

const random = new SeededRandom('bulk');
const PARAMS = ledgerParams(1000, 2);

/** Every node made here counts the others as admitted peers, unless told otherwise. */
const admitted = new Set<string>();

function node(net: MemoryStreamNetwork, port: number, log = new MemoryAppendLog<Transaction>(), reach?: FaultPlan, peer = true) {
  const clock = new ManualClock();
  const identity = Identity.generate(random);
  if (peer) admitted.add(identity.id);
  const ledger = new DurableLedger({
    identity, params: PARAMS, log, lamport: new LamportClock(), clock, stats: new Stats(), emit: () => undefined, names: { label: (a) => a.slice(0, 8) },
  });
  const mux = new StreamMux({ transport: net.transport('127.0.0.1', port), clock, ...(reach ? { reach } : {}) });
  const bulk = new BulkSync({ mux, ledger, clock, identity, random, peers: { getByAddr: () => undefined, has: (id) => admitted.has(id) } });
  return { identity, ledger, log, mux, bulk, address: { host: '127.0.0.1', port } };
}

/** Dials `to` and answers its challenge as `who`; the stream is then ready for a request line. */
async function authenticated(from: ReturnType<typeof node>, to: ReturnType<typeof node>, who: Identity = from.identity): Promise<Duplex> {
  const s = await from.mux.dial(to.address, { timeoutMs: 100 });
  s.write(SYNC_MAGIC);
  const line = await new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString('utf8'))));
  const c = decodeChallenge(line.split('\n')[0]!)!;
  s.write(encodePullAuth({ from: who.id, sig: who.sign(pullSigningBytes(c.id, c.challenge, who.id)).toString('base64url') }));
  return s;
}

describe('bulk sync over streams', () => {
  it('pulls what the other side holds, and logs the lines as they came', async () => {
    const net = new MemoryStreamNetwork();
    const a = node(net, 9101);
    const b = node(net, 9102);
    await Promise.all([a.ledger.open(), b.ledger.open(), a.mux.start(), b.mux.start()]);
    for (let i = 0; i < 300; i++) await a.ledger.send(b.identity.id, '0.01');
    expect(await b.bulk.pull(a.address)).toBe(300);
    expect(b.ledger.ledger.size).toBe(300);
    expect(b.ledger.digest.digest().text).toBe(a.ledger.digest.digest().text);
    // A second pull finds nothing missing.
    expect(await b.bulk.pull(a.address)).toBe(0);
    // What b logged reloads to the same ledger (the records are the received lines, verbatim).
    await b.ledger.flushAndClose();
    const again = node(net, 9103, b.log);
    expect(await again.ledger.open()).toBe(300);
    expect(again.ledger.digest.digest().text).toBe(a.ledger.digest.digest().text);
  });

  it('serves four pulls at a time, refuses a malformed request, and dials nobody across a partition', async () => {
    const net = new MemoryStreamNetwork();
    const plan = new FaultPlan(new Prng(1));
    const a = node(net, 9201);
    const b = node(net, 9202, undefined, plan);
    await Promise.all([a.ledger.open(), b.ledger.open(), a.mux.start(), b.mux.start()]);
    await a.ledger.send(b.identity.id, 1);
    const closed = (s: Duplex): Promise<void> => new Promise((r) => (s.once('close', () => r()), s.resume()));

    const bad = await authenticated(b, a);
    bad.write('{"from":"nobody","chains":[]}\n');
    await closed(bad);

    // Four silent pullers, admitted peers, hold every serving slot (each waits for its request line)...
    const silent = await Promise.all([1, 2, 3, 4].map(() => authenticated(b, a)));
    await new Promise((r) => setImmediate(r));
    // ...so a fifth is closed at once, and the pull says the stream ended early.
    await expect(b.bulk.pull(a.address)).rejects.toThrow(/ended early/);
    for (const s of silent) s.destroy();
    await new Promise((r) => setImmediate(r));
    expect(await b.bulk.pull(a.address)).toBe(1);

    plan.partition(['127.0.0.1:9201']);
    const err = await b.bulk.pull(a.address).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'UNREACHABLE')).toBe(true);
  });

  it('serves nothing to a puller that is not an admitted peer, or that signs for another', async () => {
    const net = new MemoryStreamNetwork();
    const a = node(net, 9301);
    const stranger = node(net, 9302, undefined, undefined, false);
    const b = node(net, 9303);
    await Promise.all([a.ledger.open(), stranger.ledger.open(), b.ledger.open(), a.mux.start(), stranger.mux.start(), b.mux.start()]);
    await a.ledger.send(b.identity.id, 1);
    await expect(stranger.bulk.pull(a.address)).rejects.toThrow(/ended early after 0/);
    // Claiming an admitted peer's id without its key: the signature does not hold.
    const forged = await authenticated(stranger, a, { id: b.identity.id, sign: (d: Uint8Array) => stranger.identity.sign(d) } as Identity);
    forged.write(JSON.stringify({ from: b.identity.id, chains: [] }) + '\n');
    const text = await new Promise<string>((r) => {
      let t = '';
      forged.on('data', (d: Buffer) => (t += d.toString()));
      forged.once('close', () => r(t));
    });
    expect(text).toBe('');
    expect(await b.bulk.pull(a.address)).toBe(1);
  });

  it('reads one line and leaves the next in the stream, when both arrive in one chunk', async () => {
    const s = new PassThrough();
    s.write('{"first":1}\n{"second":2}\n');
    expect(await readLine(s, 1024, 1000, systemClock)).toBe('{"first":1}');
    expect(await readLine(s, 1024, 1000, systemClock)).toBe('{"second":2}');
  });
});
