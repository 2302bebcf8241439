/**
 * Ledger ingest worker (bench/ledger-ingest.ts), one process pinned to one CPU. Commands:
 * - `load {fixture, count}`: reads the first `count` transactions of the fixture as JSON text;
 * - `verify {ms}`: the single-core Ed25519 verify rate on those transactions (the limit);
 * - `ingest {batch, inflight}`: a fresh DurableLedger with a real AppendLog (fsync on) in a temp dir
 *   takes in every loaded transaction the way the network path does: each one parsed from its JSON
 *   line, then `ingest(batch, via)` (schema, id, signature, chain and economics checks, one
 *   group-committed write + fdatasync per batch, events). `inflight` calls may be pending at once
 *   (the UDP path: one transaction per message, many messages queued). Answers the rate.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LamportClock, systemClock } from '../../src/runtime/clock.ts';
import { EventBus, EventLog, type PeerlabEvent } from '../../src/runtime/events.ts';
import { Identity } from '../../src/runtime/identity.ts';
import { ledgerParams } from '../../src/runtime/ledger/params.ts';
import type { Transaction } from '../../src/runtime/ledger/transaction.ts';
import { Stats } from '../../src/runtime/stats.ts';
import { AppendLog } from '../../src/runtime/store/append-log.ts';
import { DurableLedger } from '../../src/runtime/ledger/durable-ledger.ts';
import { measureVerifyRate, readFixtureLines } from './ledger-common.ts';
import { now, out, serve } from './rpc.ts';

let lines: string[] = [];
const dirs: string[] = [];

serve(
  {
    async load(a) {
      lines = await readFixtureLines(String(a.fixture), Number(a.count));
      return { count: lines.length };
    },
    verify(a) {
      return measureVerifyRate(lines, Number(a.ms ?? 1500));
    },
    async ingest(a) {
      const batch = Number(a.batch ?? 512);
      const inflight = Number(a.inflight ?? 1);
      // A bulk pull hands each transaction over with its line (logged as it came); gossip cannot.
      const withLines = a.lines !== false;
      const count = Math.min(lines.length, Number(a.count ?? lines.length));
      const dir = await mkdtemp(join(tmpdir(), 'peerlab-bench-ingest-'));
      dirs.push(dir);
      const self = Identity.generate();
      const via = Identity.generate().id;
      const log = new AppendLog<Transaction>(join(dir, 'ledger.log'));
      // The node's own event path: every accepted transaction becomes an event in the log and on the bus.
      const eventLog = new EventLog();
      const bus = new EventBus();
      const lamport = new LamportClock();
      let events = 0;
      const stats = new Stats();
      const node = new DurableLedger({
        identity: self,
        params: ledgerParams(1000, 2),
        log,
        lamport,
        clock: systemClock,
        stats,
        emit: (type, data) => {
          events++;
          const e: PeerlabEvent = { type, node: 'bench', lamport: lamport.time, time: Date.now(), data };
          eventLog.add(e);
          bus.emit(e);
        },
        names: { label: (account) => account.slice(0, 8) },
      });
      await node.open();
      let stored = 0;
      const outcomes: Record<string, number> = {};
      const running = new Set<Promise<void>>();
      const t0 = now();
      for (let i = 0; i < count; i += batch) {
        // As a bulk pull does (sync/bulk.ts): each line parsed, and handed over with its text.
        const json = lines.slice(i, Math.min(count, i + batch));
        const items = json.map((l) => JSON.parse(l) as unknown);
        const p = node.ingest(items, via, withLines ? json : undefined).then((r) => {
          stored += r.stored.length;
          for (const x of r.results) outcomes[x.outcome] = (outcomes[x.outcome] ?? 0) + 1;
        });
        if (inflight <= 1) {
          await p;
        } else {
          const tracked: Promise<void> = p.finally(() => running.delete(tracked));
          running.add(tracked);
          if (running.size >= inflight) await Promise.race(running);
        }
      }
      await Promise.all(running);
      const ms = now() - t0;
      const logStats = { ...log.stats };
      await node.flushAndClose();
      const logBytes = (await stat(join(dir, 'ledger.log'))).size;
      await rm(dir, { recursive: true, force: true });
      if (stored !== count) throw new Error(`stored ${stored} of ${count} transactions (${JSON.stringify(outcomes)})`);
      return { rate: (count * 1000) / ms, ms, count, batch, inflight, stored, outcomes, events, fsyncs: logStats.fsyncs, writes: logStats.batches, logBytes };
    },
  },
  async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  },
);
out({ type: 'ready', pid: process.pid });
