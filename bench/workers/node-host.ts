/**
 * One real peerlab Node in its own process, driven by JSON commands (bench/workers/rpc.ts), for
 * the benchmarks that need nodes in separate processes (idle-sync, catch-up, file-transfer).
 *
 * Options: `--name`, `--data DIR` (default: memory), `--ledger FILE` (copied to DIR/ledger.log
 * before the start, so the node restores it like its own log), `--interval`/`--timeout` (ms),
 * `--max-file-size BYTES`, `--seed`, `--count-bytes` (a trace sink that counts the bytes of every
 * message sent, by type), `--fixture FILE` (transactions for `verify-rate`).
 *
 * Prints `ready` {address, id, transactions, startMs}, and `file-received` events. Commands:
 * info, join {addr, expect?}, peers, counters, reset-counters, verify-rate {ms}, send-file {to, path},
 * wait-size {n, timeoutMs}, stop.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Node } from '../../src/runtime/node.ts';
import type { TraceRecord, TraceSink } from '../../src/runtime/trace.ts';
import { measureVerifyRate, readFixtureLines } from './ledger-common.ts';
import { now, out, serve } from './rpc.ts';

const { values: a } = parseArgs({
  options: {
    name: { type: 'string', default: 'bench' },
    data: { type: 'string' },
    ledger: { type: 'string' },
    interval: { type: 'string' },
    timeout: { type: 'string' },
    'max-file-size': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'count-bytes': { type: 'boolean', default: false },
    fixture: { type: 'string' },
  },
});

/** Bytes and messages sent, by message type, from the node's own trace records. */
class ByteCounter implements TraceSink {
  bytes: Record<string, number> = {};
  messages: Record<string, number> = {};
  /** Bytes of the `dg` field piggybacked on pings and acks: `,"dg":"<digest>"`. */
  digestFieldBytes = 0;
  digestOf: () => string = () => '';
  write(r: TraceRecord): void {
    if (r.kind !== 'send') return;
    this.bytes[r.type] = (this.bytes[r.type] ?? 0) + (r.bytes ?? 0);
    this.messages[r.type] = (this.messages[r.type] ?? 0) + 1;
    // The heartbeat attaches the digest to every ping and ack it sends (heartbeat.ts withDigest),
    // except pings it relays for an indirect probe, which an idle pair never sends.
    if (r.type === 'ping' || r.type === 'ack') this.digestFieldBytes += ',"dg":""'.length + Buffer.byteLength(this.digestOf());
  }
  reset(): void {
    this.bytes = {};
    this.messages = {};
    this.digestFieldBytes = 0;
  }
  async close(): Promise<void> {}
}

const counter = a['count-bytes'] ? new ByteCounter() : undefined;
if (a.data && a.ledger) {
  await mkdir(a.data, { recursive: true, mode: 0o700 });
  await copyFile(a.ledger, join(a.data, 'ledger.log'));
}
const t0 = now();
const node = new Node({
  name: a.name,
  ...(a.data ? { dataDir: a.data } : { memory: true }),
  seed: Number(a.seed),
  ...(a.interval ? { heartbeat: { interval: Number(a.interval), ...(a.timeout ? { timeout: Number(a.timeout) } : {}) } } : {}),
  ...(a['max-file-size'] ? { maxFileSize: Number(a['max-file-size']) } : {}),
  ...(counter ? { trace: counter } : {}),
});
await node.start();
if (counter) counter.digestOf = () => node.digest();
const size = (): number => Number.parseInt(node.digest(), 10);
node.on('file-received', (e) => out({ type: 'file-received', t: now(), ...(e.data as Record<string, unknown>) }));
let offeredAt: number | undefined;
node.on('file-offered', (e) => {
  if ((e.data as { direction?: string }).direction === 'out') offeredAt = now();
});

function waitSize(n: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = now();
    const check = (): void => {
      if (size() >= n) return resolve(now());
      if (now() - started > timeoutMs) return reject(new Error(`holds ${size()} transactions after ${timeoutMs} ms, expected ${n}`));
      setTimeout(check, 5);
    };
    check();
  });
}

serve(
  {
    info: () => ({ address: node.address, id: node.id, transactions: size(), digest: node.digest(), peers: node.peers().length }),
    peers: () => node.peers().map((p) => ({ name: p.name, addr: p.addr, state: p.state })),
    async join(args) {
      const start = now();
      const peer = await node.join(String(args.addr), { timeout: '10s' });
      const joined = now();
      const expect = args.expect === undefined ? 0 : Number(args.expect);
      const done = expect ? await waitSize(expect, Number(args.timeoutMs ?? 300_000)) : joined;
      return { joinMs: joined - start, allMs: done - start, transactions: size(), peer: peer.name, stats: node.stats() };
    },
    async 'wait-size'(args) {
      return { t: await waitSize(Number(args.n), Number(args.timeoutMs ?? 60_000)) };
    },
    counters: () => ({
      t: now(),
      stats: node.stats(),
      bytes: counter?.bytes ?? {},
      messages: counter?.messages ?? {},
      digestFieldBytes: counter?.digestFieldBytes ?? 0,
      digest: node.digest(),
      transactions: size(),
      peers: node.peers().length,
    }),
    'reset-counters': () => {
      counter?.reset();
      return { t: now() };
    },
    async 'verify-rate'(args) {
      if (!a.fixture) throw new Error('no --fixture');
      const lines = await readFixtureLines(a.fixture, 4096);
      return measureVerifyRate(lines, Number(args.ms ?? 1500));
    },
    async 'send-file'(args) {
      const start = now();
      offeredAt = undefined;
      const r = await node.sendFile(String(args.to), String(args.path));
      // file-offered (out) is emitted once the file is hashed, just before the UDP offer.
      return { ms: now() - start, hashMs: offeredAt === undefined ? null : offeredAt - start, result: r };
    },
    async stop() {
      await node.stop();
      return {};
    },
  },
  () => node.stop(),
);
out({ type: 'ready', address: node.address, id: node.id, transactions: size(), startMs: now() - t0, pid: process.pid });
