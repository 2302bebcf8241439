import type { Clock, LamportClock } from './clock.ts';
import type { NodeConfig } from './config.ts';
import type { Emit } from './events.ts';
import { DurableLedger } from './ledger/durable-ledger.ts';
import { ledgerParams } from './ledger/params.ts';
import { LedgerView } from './ledger/view.ts';
import { AccountNames } from './membership/account-names.ts';
import { Heartbeat, type HeartbeatSettings } from './membership/heartbeat.ts';
import { Membership } from './membership/membership.ts';
import { PeerBook } from './membership/peer-book.ts';
import { PeerDirectory } from './membership/peer-directory.ts';
import { PeerExchange } from './membership/peer-exchange.ts';
import { DEFAULT_PROMOTE_MS, PeerTable } from './membership/peer-table.ts';
import type { FaultPlan } from './net/faults.ts';
import { Messenger } from './net/messenger.ts';
import type { StreamMux } from './net/stream-mux.ts';
import type { Transport } from './net/transport.ts';
import type { Prng } from './prng.ts';
import type { Random } from './random.ts';
import type { Stats } from './stats.ts';
import type { NodeStore } from './store/node-store.ts';
import { BulkSync } from './sync/bulk.ts';
import { SyncEngine } from './sync/sync-engine.ts';
import { Ticker } from './ticker.ts';
import type { TraceSink } from './trace.ts';
import { TransferService } from './transfer/service.ts';

/** What the node hands its parts: its seams, its settings, and the resources it has opened. */
export interface PartsContext {
  /** The node itself: its id, name and advertised address (read when needed). */
  self: { readonly id: string; readonly name: string; readonly advertised: string };
  config: NodeConfig;
  clock: Clock;
  random: Random;
  lamport: LamportClock;
  /** Live heartbeat settings (`node.heartbeat.set()` changes them in place). */
  hb: HeartbeatSettings;
  /** The node's seeded PRNG: each part forks its own stream of decisions from it. */
  prng: Prng;
  faultPlan: FaultPlan;
  stats: Stats;
  emit: Emit;
  trace: TraceSink | undefined;
  store: NodeStore;
  /** Started: datagrams, and the stream mux over the stream transport. */
  transport: Transport;
  mux: StreamMux;
}

/**
 * The parts a running node is made of (DESIGN.md §1), built on the node's opened resources. Each
 * part gets the components it needs and registers its own message and stream handlers (libp2p
 * style), so nothing here routes anything: it only says who talks to whom.
 */
export async function buildParts(x: PartsContext) {
  const { config: c, clock, random, lamport, hb, emit, store, transport, mux } = x;
  const { identity } = store;
  const base = { clock, emit, maxDatagram: c.maxDatagram };
  const table = new PeerTable(identity.id, () => x.self.advertised, c.maxPeers, () => Math.max(DEFAULT_PROMOTE_MS, 4 * hb.timeout));
  const messenger = new Messenger({ ...base, transport, selfId: identity.id, self: x.self, lamport, random, faults: x.faultPlan, stats: x.stats, trace: x.trace });
  const membership = new Membership({ clock, emit, identity, table, messenger, random, params: c.params, self: x.self, heartbeat: hb, lamport, prng: x.prng.fork('views') });
  const names = new AccountNames(table, membership);
  names.remember(identity.id, x.self.name);
  const exchange = new PeerExchange({ table, messenger, membership, clock, prng: x.prng.fork('membership'), heartbeat: hb, maxDatagram: c.maxDatagram });
  const directory = new PeerDirectory({ table, membership, clock, emit, self: x.self });
  const book = new PeerBook({ store: store.peers, table, membership, clock, heartbeat: hb });
  const heartbeat = new Heartbeat({ settings: hb, table, membership, messenger, clock, prng: x.prng.fork('heartbeat'), emit, naive: c.plant === 'naive-heartbeat' });
  const params = { ...ledgerParams(c.params.initialBalance, c.params.scale), ...(c.plant === 'no-fork-check' ? { noForkCheck: true } : {}) };
  const ledger = new DurableLedger({ identity, params, log: store.log, head: store.chainHead, lamport, clock, stats: x.stats, emit, names });
  await ledger.open();
  const view = new LedgerView({ ledger, self: x.self, names, scale: c.params.scale, clock });
  const bulk = new BulkSync({ mux, ledger, clock, identity, random, peers: table });
  const sync = new SyncEngine({ ...base, ledger, messenger, heartbeat, membership, bulk, table, prng: x.prng.fork('sync'), selfId: identity.id });
  const transfer = new TransferService({ inboxDir: store.inboxDir, fs: store.fs, mux, messenger, peers: table, emit, clock, random, maxFileBytes: c.maxFileSize });
  await transfer.start();
  const ticking = [['heartbeat', heartbeat], ['membership', membership], ['peer exchange', exchange], ['sync', sync], ['pending', ledger]] as const;
  const ticker = new Ticker(clock, () => heartbeat.tickMs, ticking, (part, err) => {
    emit('log', { level: 'error', message: `${part} tick: ${(err as Error)?.message ?? String(err)}` });
  });
  return { store, transport, mux, table, messenger, membership, exchange, names, directory, book, heartbeat, ledger, view, bulk, sync, transfer, ticker };
}

export type Parts = Awaited<ReturnType<typeof buildParts>>;
