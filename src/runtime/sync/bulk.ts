import type { Duplex } from 'node:stream';
import { formatAddress, type Address } from '../address.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import { verifySignature, type Identity } from '../identity.ts';
import type { DurableLedger } from '../ledger/durable-ledger.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { StreamContext, StreamMux } from '../net/stream-mux.ts';
import type { Random } from '../random.ts';
import {
  decodeBulkLine, decodeChallenge, decodePullAuth, decodePullRequest, encodeBulkEnd, encodeBulkTxn, encodeChallenge,
  encodePullAuth, encodePullRequest, MAX_AUTH_LINE_BYTES, MAX_BULK_LINE_BYTES, MAX_PULL_REQUEST_BYTES, pullSigningBytes,
  SYNC_MAGIC, SYNC_MAGIC_TEXT, type PullRequest,
} from '../wire/bulk-sync.ts';
import type { FrontierChainWire } from '../wire/ledger.ts';

/** At most this many peers pull from us at once (each pull walks the whole ledger). */
const MAX_SERVING = 4;
const CONNECT_TIMEOUT_MS = 5000;
/** A puller has this long to answer the challenge. */
const AUTH_TIMEOUT_MS = 5000;

export interface BulkSyncOptions {
  mux: StreamMux;
  ledger: DurableLedger;
  clock: Clock;
  /** This node's key: pulls are signed answers to the server's challenge. */
  identity: Identity;
  /** Challenges. */
  random: Random;
  /**
   * Who is behind an address (the ledger's `via`, and the id a server must answer as), and who
   * is an admitted peer (only they may pull).
   */
  peers: { getByAddr(addr: string): { id: string } | undefined; has(id: string): boolean };
}

/**
 * Bulk catch-up over streams (DESIGN.md §3.5: join, clear-and-rebuild, long partitions): serves
 * pulls on the node's stream mux (`PLS2`), to admitted peers only (a signed answer to a fresh
 * challenge: issue 15.5), at most MAX_SERVING at a time, and pulls from peers.
 * The wire format is in wire/bulk-sync.ts. Streams are flow-controlled, so 100k transactions cost
 * constant memory on both sides apart from the ledger itself.
 */
export class BulkSync {
  private serving = 0;
  /** Aborts pulls in flight when the node stops. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: BulkSyncOptions) {
    o.mux.handle(SYNC_MAGIC_TEXT, (stream, ctx) => this.serve(stream, ctx));
  }

  /** Pulls everything the node at `address` has that we lack; resolves with the count received. */
  async pull(address: Address): Promise<number> {
    const stream = await this.o.mux.dial(address, { timeoutMs: CONNECT_TIMEOUT_MS });
    const ledger = this.o.ledger;
    const via = this.o.peers.getByAddr(formatAddress(address))?.id;
    const self = this.o.identity.id;
    try {
      stream.write(SYNC_MAGIC);
      const c = decodeChallenge(await readLine(stream, MAX_AUTH_LINE_BYTES, CONNECT_TIMEOUT_MS, this.o.clock));
      if (!c) throw new PeerlabError('IO', `${formatAddress(address)} sent no bulk-sync challenge`);
      if (via !== undefined && c.id !== via) throw new PeerlabError('IO', `${formatAddress(address)} answered as another node (${c.id.slice(0, 8)})`);
      const sig = this.o.identity.sign(pullSigningBytes(c.id, c.challenge, self)).toString('base64url');
      stream.write(encodePullAuth({ from: self, sig }));
    } catch (err) {
      stream.destroy();
      throw err;
    }
    return pull(
      stream,
      { from: self, chains: ledger.digest.frontier() },
      async (items, json) => {
        await ledger.ingest(items, via, json);
      },
      { clock: this.o.clock, signal: this.stopping.signal },
    );
  }

  stop(): void {
    this.stopping.abort();
  }

  /** A pull: only an admitted peer's signed answer to our challenge gets anything. */
  private serve(stream: Duplex, ctx: StreamContext): void {
    void this.authenticate(stream)
      .then((from) => {
        if (from === undefined || this.serving >= MAX_SERVING) {
          stream.destroy();
          return;
        }
        ctx.authenticated();
        this.serving++;
        // Only durable transactions are served (see DurableLedger.missingFor).
        return servePull(stream, (chains) => this.o.ledger.missingFor(chains), this.o.clock).finally(() => this.serving--);
      })
      .catch(() => stream.destroy());
  }

  /** Sends a fresh challenge; resolves with the admitted peer that answered it, or undefined. */
  private async authenticate(stream: Duplex): Promise<string | undefined> {
    const self = this.o.identity.id;
    const challenge = this.o.random.bytes(32).toString('base64url');
    stream.write(encodeChallenge({ challenge, id: self }));
    const auth = decodePullAuth(await readLine(stream, MAX_AUTH_LINE_BYTES, AUTH_TIMEOUT_MS, this.o.clock));
    if (!auth || !this.o.peers.has(auth.from)) return undefined;
    return verifySignature(auth.from, pullSigningBytes(self, challenge, auth.from), Buffer.from(auth.sig, 'base64url')) ? auth.from : undefined;
  }
}

/** Serves one pull on an accepted stream (the magic already consumed). */
export async function servePull(
  stream: Duplex,
  missingFor: (chains: FrontierChainWire[]) => Transaction[],
  clock: Clock,
  timeoutMs = 10_000,
): Promise<number> {
  const request = decodePullRequest(await readLine(stream, MAX_PULL_REQUEST_BYTES, timeoutMs, clock));
  if (!request) {
    stream.destroy();
    throw new PeerlabError('BAD_ARGUMENT', 'malformed pull request');
  }
  const txns = missingFor(request.chains);
  for (const t of txns) {
    if (!stream.write(encodeBulkTxn(t))) await drain(stream, timeoutMs, clock);
  }
  await new Promise<void>((resolve) => stream.end(encodeBulkEnd(txns.length), () => resolve()));
  return txns.length;
}

export interface PullOptions {
  clock: Clock;
  batch?: number;
  idleTimeoutMs?: number;
  deadlineMs?: number;
  signal?: AbortSignal;
}

/**
 * Pulls from a connected stream: sends the request, hands transactions to `ingest` in batches
 * (awaited, so a slow disk slows the sender instead of filling memory), each with the line it came
 * in. Returns how many arrived. A server cannot make it hold more than one line of
 * MAX_BULK_LINE_BYTES, stall it past the idle timeout, or keep it busy past the overall deadline.
 */
export async function pull(
  stream: Duplex,
  request: PullRequest,
  ingest: (items: unknown[], json: string[]) => Promise<void>,
  opts: PullOptions,
): Promise<number> {
  const { clock } = opts;
  const batchSize = opts.batch ?? 512;
  const idleMs = opts.idleTimeoutMs ?? 15_000;
  stream.write(encodePullRequest(request));
  let received = 0;
  let ended = false;
  let failure: Error | undefined;
  const fail = (err: Error): void => {
    failure ??= err;
    stream.destroy();
  };
  const stalled = (): void => fail(new PeerlabError('TIMEOUT', `bulk sync stalled for ${idleMs / 1000} s`));
  let idle = clock.setTimeout(stalled, idleMs);
  const deadline = clock.setTimeout(() => fail(new PeerlabError('TIMEOUT', 'bulk sync took too long')), opts.deadlineMs ?? 10 * 60_000);
  const onAbort = (): void => fail(new PeerlabError('STOPPED', 'the node stopped'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let partial = '';
  let items: unknown[] = [];
  let lines: string[] = [];
  // Two batches in flight: the next one is validated while the previous one's fsync runs.
  const inflight: Promise<void>[] = [];
  const submit = async (): Promise<void> => {
    const b = items;
    const j = lines;
    items = [];
    lines = [];
    inflight.push(ingest(b, j).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err)))));
    if (inflight.length >= 2) await inflight.shift();
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      clock.clearTimeout(idle);
      idle = clock.setTimeout(stalled, idleMs);
      const split = (partial + chunk.toString('utf8')).split('\n');
      partial = split.pop()!;
      if (partial.length > MAX_BULK_LINE_BYTES) throw new PeerlabError('IO', 'bulk sync stream sent an overlong line');
      for (const text of split) {
        if (!text) continue;
        const line = decodeBulkLine(text);
        if (!line) throw new PeerlabError('IO', 'bulk sync stream sent a line that is not JSON');
        if ('end' in line) {
          ended = true;
          break;
        }
        items.push(line.txn);
        lines.push(line.json);
        received++;
      }
      if (items.length >= batchSize || ended) await submit();
      if (ended) break;
    }
    if (items.length) await submit();
    await Promise.all(inflight);
  } catch (err) {
    if (!failure) throw err;
  } finally {
    clock.clearTimeout(idle);
    clock.clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
  if (failure) throw failure;
  if (!ended) throw new PeerlabError('IO', `bulk sync stream ended early after ${received} transactions`);
  return received;
}

/** Waits for the reader to take more; a reader that stops reading is cut off after `timeoutMs`. */
function drain(stream: Duplex, timeoutMs: number, clock: Clock): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      stream.destroy();
      onClose();
    }, timeoutMs);
    const onDrain = (): void => {
      clock.clearTimeout(timer);
      stream.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      clock.clearTimeout(timer);
      stream.off('drain', onDrain);
      reject(new PeerlabError('IO', 'bulk sync connection closed'));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

/** Reads one `\n`-terminated line (at most `max` bytes); anything after it is pushed back. */
export function readLine(stream: Duplex, max: number, timeoutMs: number, clock: Clock): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer: TimerHandle = clock.setTimeout(() => finish(new PeerlabError('TIMEOUT', 'no request line in time')), timeoutMs);
    const onData = (chunk: Buffer): void => {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > max) finish(new PeerlabError('BAD_ARGUMENT', 'request line too long'));
        return;
      }
      chunks.push(chunk.subarray(0, nl));
      const rest = chunk.subarray(nl + 1);
      // Finish (listener off, stream paused) before pushing the rest back: unshifted into a
      // flowing stream, it would come straight back into this line.
      finish(undefined, Buffer.concat(chunks).toString('utf8'));
      if (rest.length) stream.unshift(rest);
    };
    const onEnd = (): void => finish(new PeerlabError('IO', 'connection closed before the request line'));
    function finish(err: Error | undefined, line?: string): void {
      clock.clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onEnd);
      stream.pause();
      if (err) {
        stream.destroy();
        reject(err);
      } else resolve(line!);
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onEnd);
    stream.resume();
  });
}
