import type { Clock } from '../clock.ts';
import type { FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { Identity } from '../identity.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { Random } from '../random.ts';
import { AppendLog } from './append-log.ts';
import { FileChainHeadStore, type ChainHeadStore } from './chain-head.ts';
import { lockDataDir, prepareDataDir } from './data-dir.ts';
import type { RecordLog } from './group-commit-log.ts';
import { loadOrCreateIdentity } from './identity-file.ts';
import { MemoryAppendLog } from './memory-append-log.ts';
import { FilePeerStore, MemoryPeerStore, type PeerStore } from './peer-store.ts';

/** What a node keeps: in its data directory, or (without one) in memory only. */
export interface NodeStore {
  identity: Identity;
  /** The ledger's append-only log (closed by the ledger). */
  log: RecordLog<Transaction>;
  /** The record of the node's own chain length (closed by the ledger); none in memory. */
  chainHead: ChainHeadStore | undefined;
  /** The peer list (closed by the peer book). */
  peers: PeerStore;
  /** Where received files go; undefined: a temp folder of the transfer service. */
  inboxDir: string | undefined;
  /** The disk all of this lives on, and the one the node reads files to send from. */
  fs: FileSystem;
  /** Releases the data directory's lock (idempotent). */
  release(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Absent: memory only (`--memory`), and so a new identity on every start. */
  dataDir: string | undefined;
  /** Use this identity rather than the one in the data directory (or a new one). */
  identity: Identity | undefined;
  clock: Clock;
  random: Random;
  /** The disk (default: the real one; a MemoryFileSystem in simulation). */
  fs?: FileSystem | undefined;
  /** fsync the ledger log (default true; off only for the `skip-fsync` plant, on simulated time). */
  fsync?: boolean;
}

/**
 * Opens a node's storage (DESIGN.md §2.5): the data directory is created and locked (one process
 * at a time), its identity loaded or created, its ledger log and peer list opened.
 */
export async function openNodeStore(o: OpenStoreOptions): Promise<NodeStore> {
  const fs = o.fs ?? nodeFileSystem;
  if (!o.dataDir) {
    return {
      identity: o.identity ?? Identity.generate(o.random),
      log: new MemoryAppendLog<Transaction>(),
      chainHead: undefined,
      peers: new MemoryPeerStore(),
      inboxDir: undefined,
      fs,
      release: async () => undefined,
    };
  }
  const layout = await prepareDataDir(o.dataDir, fs);
  const lock = await lockDataDir(layout, { fs, now: () => o.clock.now(), random: o.random });
  try {
    return {
      identity: o.identity ?? (await loadOrCreateIdentity(o.dataDir, o.random, fs)),
      log: new AppendLog<Transaction>(layout.ledgerLog, { fs, fsync: o.fsync ?? true }),
      chainHead: new FileChainHeadStore(layout.chainHead, fs),
      peers: new FilePeerStore(layout.peers, { clock: o.clock, debounceMs: 20, fs }),
      inboxDir: layout.inbox,
      fs,
      release: () => lock.release(),
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
