/**
 * Bulk catch-up (sync/bulk.ts) between two durable ledgers over in-memory streams: what a pull
 * brings, how it is logged, and what the server refuses.
 */
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LamportClock, ManualClock } from '../../../src/runtime/clock.ts';
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
import { BulkSync } from '../../../src/runtime/sync/bulk.ts';

const random = new SeededRandom('bulk');
const PARAMS = ledgerParams(1000, 2);

function node(net: MemoryStreamNetwork, port: number, log = new MemoryAppendLog<Transaction>(), reach?: FaultPlan) {
  const clock = new ManualClock();
  const identity = Identity.generate(random);
  const ledger = new DurableLedger({
    identity, params: PARAMS, log, lamport: new LamportClock(), clock, stats: new Stats(), emit: () => undefined, names: { label: (a) => a.slice(0, 8) },
  });
  const mux = new StreamMux({ transport: net.transport('127.0.0.1', port), clock, ...(reach ? { reach } : {}) });
  const bulk = new BulkSync({ mux, ledger, clock, selfId: identity.id, peers: { getByAddr: () => undefined } });
  return { identity, ledger, log, mux, bulk, address: { host: '127.0.0.1', port } };
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

    const bad = await b.mux.dial(a.address, { timeoutMs: 100 });
    bad.write('PLS1{"from":"nobody","chains":[]}\n');
    await closed(bad);

    // Four silent pullers hold every serving slot (each waits for its request line)...
    const silent = await Promise.all([1, 2, 3, 4].map(async () => {
      const s = await b.mux.dial(a.address, { timeoutMs: 100 });
      s.write('PLS1');
      return s;
    }));
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
});
