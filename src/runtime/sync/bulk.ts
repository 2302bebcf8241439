import type { Duplex } from 'node:stream';
import { PeerlabError } from '../errors.ts';
import type { Transaction } from '../ledger/transaction.ts';
import { toWire, type FrontierChainWire } from '../wire/ledger.ts';

/**
 * Bulk catch-up over TCP (DESIGN.md §3.5: join, clear-and-rebuild, long partitions). The puller
 * opens a connection, writes the 4-byte magic `PLS1` and one JSON line with its frontier; the
 * server answers with the transactions the puller lacks, one JSON line each, dependencies first,
 * then `{"end":n}`. The stream is flow-controlled, so 100k transactions cost constant memory on
 * both sides apart from the ledger itself.
 */
export const SYNC_MAGIC = Buffer.from('PLS1', 'latin1');
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** A transaction line is a few KiB at most; anything longer is an abusive server. */
const MAX_LINE_BYTES = 256 * 1024;

export interface PullRequest {
  from: string;
  chains: FrontierChainWire[];
}

/** Serves one pull on an accepted stream (the magic already consumed). */
export async function servePull(
  stream: Duplex,
  missingFor: (chains: FrontierChainWire[]) => Transaction[],
  timeoutMs = 10_000,
): Promise<number> {
  const request = await readLine(stream, MAX_REQUEST_BYTES, timeoutMs);
  let chains: FrontierChainWire[];
  try {
    const parsed = JSON.parse(request) as PullRequest;
    if (!parsed || !Array.isArray(parsed.chains)) throw new Error('no chains');
    chains = parsed.chains.filter(
      (c) => c && typeof c.from === 'string' && Array.isArray(c.tips) &&
        c.tips.every((t) => t && Number.isSafeInteger(t.seq) && typeof t.id === 'string'),
    );
  } catch {
    stream.destroy();
    throw new PeerlabError('BAD_ARGUMENT', 'malformed pull request');
  }
  const txns = missingFor(chains);
  for (const t of txns) {
    if (!stream.write(JSON.stringify(toWire(t)) + '\n')) await drain(stream, timeoutMs);
  }
  await new Promise<void>((resolve) => stream.end(JSON.stringify({ end: txns.length }) + '\n', () => resolve()));
  return txns.length;
}

/**
 * Pulls from a connected stream: sends the request, hands transactions to `ingest` in batches
 * (awaited, so a slow disk slows the sender instead of filling memory). Returns how many arrived.
 * A server cannot make it hold more than one line of MAX_LINE_BYTES, stall it past the idle
 * timeout, or keep it busy past the overall deadline.
 */
export async function pull(
  stream: Duplex,
  request: PullRequest,
  ingest: (batch: unknown[]) => Promise<void>,
  opts: { batch?: number; idleTimeoutMs?: number; deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batchSize = opts.batch ?? 512;
  const idleMs = opts.idleTimeoutMs ?? 15_000;
  stream.write(Buffer.concat([SYNC_MAGIC, Buffer.from(JSON.stringify(request) + '\n')]));
  let received = 0;
  let ended = false;
  let failure: Error | undefined;
  const fail = (err: Error): void => {
    failure ??= err;
    stream.destroy();
  };
  let idle = setTimeout(() => fail(new PeerlabError('TIMEOUT', `bulk sync stalled for ${idleMs / 1000} s`)), idleMs);
  const deadline = setTimeout(() => fail(new PeerlabError('TIMEOUT', 'bulk sync took too long')), opts.deadlineMs ?? 10 * 60_000);
  const onAbort = (): void => fail(new PeerlabError('STOPPED', 'the node stopped'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let partial = '';
  let batch: unknown[] = [];
  // Two batches in flight: the next one is validated while the previous one's fsync runs.
  const inflight: Promise<void>[] = [];
  const submit = async (b: unknown[]): Promise<void> => {
    inflight.push(ingest(b).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err)))));
    if (inflight.length >= 2) await inflight.shift();
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      clearTimeout(idle);
      idle = setTimeout(() => fail(new PeerlabError('TIMEOUT', `bulk sync stalled for ${idleMs / 1000} s`)), idleMs);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      if (partial.length > MAX_LINE_BYTES) throw new PeerlabError('IO', 'bulk sync stream sent an overlong line');
      for (const line of lines) {
        if (!line) continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          throw new PeerlabError('IO', 'bulk sync stream sent a line that is not JSON');
        }
        if (value && typeof value === 'object' && 'end' in value) {
          ended = true;
          break;
        }
        batch.push(value);
        received++;
      }
      if (batch.length >= batchSize || ended) {
        const b = batch;
        batch = [];
        await submit(b);
      }
      if (ended) break;
    }
    if (batch.length) await submit(batch);
    await Promise.all(inflight);
  } catch (err) {
    if (!failure) throw err;
  } finally {
    clearTimeout(idle);
    clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
  if (failure) throw failure;
  if (!ended) throw new PeerlabError('IO', `bulk sync stream ended early after ${received} transactions`);
  return received;
}

/** Waits for the reader to take more; a reader that stops reading is cut off after `timeoutMs`. */
function drain(stream: Duplex, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      onClose();
    }, timeoutMs);
    const onDrain = (): void => {
      clearTimeout(timer);
      stream.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      clearTimeout(timer);
      stream.off('drain', onDrain);
      reject(new PeerlabError('IO', 'bulk sync connection closed'));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

/** Reads one `\n`-terminated line (at most `max` bytes); anything after it is pushed back. */
export function readLine(stream: Duplex, max: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(new PeerlabError('TIMEOUT', 'no request line in time')), timeoutMs);
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
      if (rest.length) stream.unshift(rest);
      finish(undefined, Buffer.concat(chunks).toString('utf8'));
    };
    const onEnd = (): void => finish(new PeerlabError('IO', 'connection closed before the request line'));
    function finish(err: Error | undefined, line?: string): void {
      clearTimeout(timer);
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
