/**
 * Propagation worker (bench/propagation.ts): `--nodes` real Nodes in this process on 127.0.0.1
 * (real UDP and TCP, each with its own data dir, so every accepted transaction is fsynced before it
 * is forwarded), joined one after another through the first into a full mesh. Then `--txns`
 * transactions from random senders to random recipients, one every `--every` ms, not waiting for
 * each other. Prints one `result` line: per transaction, the time from the `send()` call until the
 * last node emitted `txn-accepted` for it; and the messages every node sent, by type, from just
 * before the first send until `--settle` ms after the last transaction reached everyone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Node } from '../../src/runtime/node.ts';
import { Prng } from '../../src/runtime/prng.ts';
import { now, out } from './rpc.ts';

const { values: a } = parseArgs({
  options: {
    nodes: { type: 'string', default: '16' },
    txns: { type: 'string', default: '200' },
    every: { type: 'string', default: '25' },
    interval: { type: 'string', default: '1000' },
    settle: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '7' },
    memory: { type: 'boolean', default: false },
  },
});
const N = Number(a.nodes);
const TXNS = Number(a.txns);
const EVERY = Number(a.every);
const INTERVAL = Number(a.interval);
const SETTLE = Number(a.settle);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (m: string): void => {
  process.stderr.write(`[propagation] ${m}\n`);
};

const dir = await mkdtemp(join(tmpdir(), 'peerlab-bench-prop-'));
const nodes = Array.from({ length: N }, (_, i) => {
  const name = `n${String(i).padStart(2, '0')}`;
  return new Node({
    name,
    ...(a.memory ? { memory: true } : { dataDir: join(dir, name) }),
    seed: Number(a.seed) * 100 + i,
    heartbeat: { interval: INTERVAL },
  });
});

async function waitUntil(what: string, pred: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = now();
  while (!pred()) {
    if (now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
  return now() - t0;
}

const TXN_TYPES = ['txn', 'txn-req', 'txn-batch', 'frontier'];
const sentByType = (): Record<string, number> => {
  const total: Record<string, number> = {};
  for (const n of nodes) for (const [k, v] of Object.entries(n.stats().outByType)) total[k] = (total[k] ?? 0) + v;
  return total;
};

try {
  const tStart = now();
  await Promise.all(nodes.map((n) => n.start()));
  for (const n of nodes.slice(1)) await n.join(nodes[0]!.address, { timeout: '10s' });
  const meshMs = await waitUntil('a full mesh', () => nodes.every((n) => n.peers().length === N - 1), 30_000);
  log(`${N} nodes started and meshed in ${Math.round(now() - tStart)} ms (mesh wait ${Math.round(meshMs)} ms)`);
  await sleep(2 * INTERVAL);

  // The loopback round trip between two nodes, for reference.
  const rtts: number[] = [];
  for (let i = 0; i < 20; i++) rtts.push(await nodes[1]!.ping(nodes[2]!.address));

  const accepted = new Map<string, number[]>();
  for (const n of nodes) {
    n.on('txn-accepted', (e) => {
      const id = (e.data as { id: string }).id;
      let list = accepted.get(id);
      if (!list) accepted.set(id, (list = []));
      list.push(now());
    });
  }
  const before = sentByType();
  const prng = new Prng(Number(a.seed));
  const sends: Array<Promise<{ id: string; t0: number; sendMs: number; from: number }>> = [];
  const t0 = now();
  for (let i = 0; i < TXNS; i++) {
    const due = t0 + i * EVERY;
    if (due > now()) await sleep(due - now());
    const from = prng.int(N);
    let to = prng.int(N - 1);
    if (to >= from) to++;
    const started = now();
    sends.push(nodes[from]!.send(nodes[to]!.id, '0.01').then((r) => ({ id: r.id, t0: started, sendMs: now() - started, from })));
  }
  const sent = await Promise.all(sends);
  const issueMs = now() - t0;
  await waitUntil('every transaction on every node', () => sent.every((s) => (accepted.get(s.id)?.length ?? 0) >= N), 60_000).catch((err: Error) => {
    const missing = sent.filter((s) => (accepted.get(s.id)?.length ?? 0) < N).length;
    throw new Error(`${err.message}: ${missing} of ${TXNS} transactions have not reached every node`);
  });
  const reachedAllAt = now();
  await sleep(SETTLE);
  const after = sentByType();
  const digests = new Set(nodes.map((n) => n.digest()));

  const latencies = sent.map((s) => Math.max(...accepted.get(s.id)!) - s.t0);
  const delta: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d) delta[k] = d;
  }
  const txnMessages = TXN_TYPES.reduce((s, k) => s + (delta[k] ?? 0), 0);
  out({
    type: 'result',
    nodes: N,
    txns: TXNS,
    everyMs: EVERY,
    intervalMs: INTERVAL,
    durable: !a.memory,
    latencies,
    sendMs: sent.map((s) => s.sendMs),
    issueMs,
    lastReachedAllMs: reachedAllAt - t0,
    settleMs: SETTLE,
    messagesByType: delta,
    txnMessages,
    converged: digests.size === 1,
    rttMs: rtts,
    sync: nodes.map((n) => n.stats().transactions),
  });
} finally {
  await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
