/**
 * File transfer (DESIGN.md §3.6, §4; issue 4): 1 GiB between two node processes on loopback, from
 * the offer to the verified, stored file, next to a raw Node pipeline doing the same work in the
 * same run; peak RSS of both node processes (goal <= 150 MB each).
 *
 * The file (random bytes) is written once to a temp dir and deleted at the end; both pipelines
 * read it from the page cache. Each round runs a fresh pair of processes of each kind, sender on
 * CPU 0, receiver on CPU 1 (when taskset exists); 2 rounds (1 with --quick, which also uses
 * 256 MiB), raw first in odd rounds and peerlab first in even ones, 1 s apart; the best round of
 * each kind counts.
 *
 * - peerlab (bench/workers/node-host.ts): the sender joins the receiver, then `node.sendFile`; the
 *   time runs from that call (which hashes the file before its UDP offer) until it resolves, i.e.
 *   until the receiver has written, hashed, fsynced (final fsync, plus its background write-back
 *   every 16 MiB), verified and renamed the file into its inbox and confirmed.
 * - raw (bench/workers/raw-file.ts): the sender hashes the file (read stream), connects over TCP,
 *   sends a header and the bytes; the receiver hashes and writes them as they arrive, starts
 *   write-back (fdatasync) every 16 MiB like peerlab's receiver, fsyncs the file at the end, checks
 *   the hash, renames it and answers; the time runs from the start of the hashing to the answer.
 *   Both receivers fsync the file before the rename, neither fsyncs the directory, and neither
 *   sender fsyncs anything (it only reads).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { canPin, makeTempDir, removeTempDir, round1, RssSampler, sleep, spawnWorker, startRpcWorker, type JsonProcess } from './lib.ts';

const NAME = 'file-transfer';
const MiB = 1024 * 1024;
const RSS_GOAL = 150e6;

interface Round {
  kind: 'raw' | 'peerlab';
  ms: number;
  mibPerSec: number;
  senderRss: number;
  receiverRss: number;
  detail: Record<string, unknown>;
}

async function writeTestFile(path: string, bytes: number): Promise<void> {
  const block = randomBytes(16 * MiB);
  const fh = await open(path, 'w');
  try {
    for (let off = 0; off < bytes; off += block.length) await fh.write(block, 0, Math.min(block.length, bytes - off), off);
  } finally {
    await fh.close();
  }
}

async function rawRound(file: string, size: number, dir: string): Promise<Round> {
  const procs: JsonProcess[] = [];
  const rss = new RssSampler(() => procs.filter((p) => p.alive).map((p) => p.pid), 100);
  try {
    const recv = spawnWorker('raw receiver', 'raw-file.ts', ['recv', '--dir', dir], { cpu: 1 });
    procs.push(recv);
    const ready = await recv.waitLine((l) => l.type === 'ready', 'raw receiver ready', 30_000);
    const send = spawnWorker('raw sender', 'raw-file.ts', ['send', '--port', String(ready.port), '--file', file], { cpu: 0 });
    procs.push(send);
    const done = await send.waitLine((l) => l.type === 'done', 'raw transfer done', 300_000);
    const received = await recv.waitLine((l) => l.type === 'received', 'raw receiver verdict', 30_000);
    rss.sample();
    if (done.ok !== true || received.ok !== true || received.bytes !== size) throw new Error(`raw transfer failed: ${JSON.stringify({ done, received })}`);
    const ms = done.ms as number;
    return {
      kind: 'raw', ms, mibPerSec: size / MiB / (ms / 1000), senderRss: rss.peak(send.pid) ?? 0, receiverRss: rss.peak(recv.pid) ?? 0,
      detail: { hashMs: Math.round(done.hashedMs as number) },
    };
  } finally {
    rss.stop();
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  }
}

async function peerlabRound(file: string, size: number, dir: string): Promise<Round> {
  const procs: JsonProcess[] = [];
  const rss = new RssSampler(() => procs.filter((p) => p.alive).map((p) => p.pid), 100);
  try {
    const recv = await startRpcWorker('peerlab receiver', 'node-host.ts', ['--name', 'receiver', '--data', join(dir, 'receiver'), '--max-file-size', String(2 * size), '--seed', '3'], { cpu: 1 });
    procs.push(recv.proc);
    const send = await startRpcWorker('peerlab sender', 'node-host.ts', ['--name', 'sender', '--seed', '4'], { cpu: 0 });
    procs.push(send.proc);
    await send.rpc.call('join', { addr: recv.ready.address });
    const r = await send.rpc.call<{ ms: number; hashMs: number | null; result: { sha256: string; bytes: number; retries: number; resentBytes: number } }>('send-file', { to: 'receiver', path: file }, 600_000);
    const got = await recv.proc.waitLine((l) => l.type === 'file-received', 'file-received on the receiver', 30_000);
    rss.sample();
    if (got.sha256 !== r.result.sha256 || got.size !== size) throw new Error(`received ${JSON.stringify(got)}, sent ${JSON.stringify(r.result)}`);
    return {
      kind: 'peerlab', ms: r.ms, mibPerSec: size / MiB / (r.ms / 1000), senderRss: rss.peak(send.proc.pid) ?? 0, receiverRss: rss.peak(recv.proc.pid) ?? 0,
      detail: { hashMs: r.hashMs === null ? null : Math.round(r.hashMs), retries: r.result.retries, resentBytes: r.result.resentBytes, receiverMs: Math.round(got.ms as number), connections: got.connections },
    };
  } finally {
    rss.stop();
    await Promise.all(procs.map((p) => p.finish(10_000)));
  }
}

export const fileTransfer: Benchmark = {
  name: NAME,
  description: '1 GiB between two node processes on loopback, offer to verified file, vs a raw hash+TCP+hash+write+fsync pipeline; peak RSS',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const size = opts.quick ? 256 * MiB : 1024 * MiB;
    const rounds = opts.quick ? 1 : 2;
    const dir = makeTempDir('file');
    try {
      const file = join(dir, 'payload.bin');
      const tw = Date.now();
      await writeTestFile(file, size);
      opts.log(`${NAME}: wrote a ${size / MiB} MiB test file in ${Date.now() - tw} ms`);
      const raw: Round[] = [];
      const node: Round[] = [];
      for (let i = 1; i <= rounds; i++) {
        // Alternate which goes first, and let the disk settle after deleting the previous copy.
        for (const kind of i % 2 === 1 ? (['raw', 'peerlab'] as const) : (['peerlab', 'raw'] as const)) {
          await sleep(1000);
          const rdir = join(dir, `${kind}-${i}`);
          await mkdir(rdir, { recursive: true });
          const r = kind === 'raw' ? await rawRound(file, size, rdir) : await peerlabRound(file, size, rdir);
          await rm(rdir, { recursive: true, force: true });
          (kind === 'raw' ? raw : node).push(r);
          opts.log(`${NAME} round ${i}/${rounds} ${kind.padEnd(7)}: ${Math.round(r.ms)} ms, ${r.mibPerSec.toFixed(1)} MiB/s; peak RSS sender ${(r.senderRss / MiB).toFixed(0)} MiB, receiver ${(r.receiverRss / MiB).toFixed(0)} MiB`);
        }
      }
      const best = (rs: Round[]): Round => rs.reduce((a, b) => (b.mibPerSec > a.mibPerSec ? b : a));
      const bn = best(node);
      const br = best(raw);
      const nodeRss = Math.max(...node.map((r) => Math.max(r.senderRss, r.receiverRss)));
      const rawRss = Math.max(...raw.map((r) => Math.max(r.senderRss, r.receiverRss)));
      const summary = (r: Round): Record<string, unknown> => ({ ms: Math.round(r.ms), mibPerSec: round1(r.mibPerSec), senderRssMiB: round1(r.senderRss / MiB), receiverRssMiB: round1(r.receiverRss / MiB), ...r.detail });
      return [
        makeFigure(NAME, {
          name: `${size / MiB} MiB offer to verified file, loopback`,
          value: bn.mibPerSec,
          unit: 'MiB/s',
          limit: { name: 'raw Node: hash, TCP, hash + write + fsync, rename', value: br.mibPerSec, unit: 'MiB/s' },
          goal: { on: 'ratio', op: '>=', target: 0.8 },
          details: {
            bytes: size, bestOf: rounds, pinned: canPin() ? 'sender CPU 0, receiver CPU 1' : 'no',
            peerlab: node.map(summary), raw: raw.map(summary),
            fsync: 'both receivers start write-back (fdatasync) every 16 MiB and fsync the file before renaming it; no directory fsync on either side; senders only read',
          },
        }),
        makeFigure(NAME, {
          name: 'peak RSS of a node process during the transfer',
          value: nodeRss,
          unit: 'bytes',
          limit: { name: 'raw pipeline process', value: rawRss, unit: 'bytes' },
          ratio: false,
          goal: { on: 'value', op: '<=', target: RSS_GOAL, text: '<= 150 MB (each)' },
          details: { perRound: node.map((r) => ({ senderBytes: r.senderRss, receiverBytes: r.receiverRss })), note: 'VmHWM of each process (sender and receiver), the larger one; processes run through tsx' },
        }),
      ];
    } finally {
      await removeTempDir(dir);
    }
  },
};
