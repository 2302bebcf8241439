import type { Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import type { FileSystem } from '../fs/file-system.ts';
import type { Emit } from '../events.ts';
import type { Messenger } from '../net/messenger.ts';
import type { StreamMux } from '../net/stream-mux.ts';
import type { StreamTransport } from '../net/stream-transport.ts';
import type { Random } from '../random.ts';
import type { TransferBodies, TransferMessageType } from '../wire/transfer.ts';
import type { FreeSpace } from './inbox.ts';
import type { SendTap } from './faults.ts';

/** A peer as the transfer service needs it: who (for bans and matching answers) and where. */
export interface PeerRef {
  id: string;
  address: Address;
}

/** Sends one UDP control message to a peer; the messenger wraps it in the envelope. */
export type SendControl = <T extends TransferMessageType>(peer: PeerRef, type: T, body: TransferBodies[T]) => void | Promise<void>;

/** Emits a typed event; the Node adds its name, Lamport time and wall time. */
export type EmitEvent = Emit;

/** What the service asks of the node's peer table. */
export interface TransferPeers {
  get(id: string): { address: Address } | undefined;
  isBanned(id: string): boolean;
}

export interface TransferTimeouts {
  /** Waiting for file-accept / file-refuse after each offer. */
  offerMs: number;
  /** Opening the TCP connection and getting the receiver's resume offset. */
  connectMs: number;
  /** No progress on an open connection (no acknowledgement on the sender, no bytes on the receiver). */
  idleMs: number;
  /** From the last byte sent to the receiver's verdict (it hashes, syncs and renames meanwhile). */
  confirmMs: number;
  /** A receiver drops a connection that has not presented its hello within this time. */
  helloMs: number;
  /** A receiver forgets a partial transfer nobody has touched for this long and deletes its temp file. */
  partialMs: number;
}

export const DEFAULT_TIMEOUTS: TransferTimeouts = {
  offerMs: 3_000,
  connectMs: 5_000,
  idleMs: 15_000,
  confirmMs: 30_000,
  helloMs: 5_000,
  partialMs: 120_000,
};

export interface RetryPolicy {
  /** Attempts after the first one (an unanswered offer, a broken connection, a failed hash). */
  retries: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseMs: 200, maxMs: 5_000 };

export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_INCOMING = 4;
/**
 * The resend bound: a sender never has more than this many bytes unacknowledged, so a broken
 * connection costs at most one chunk sent twice.
 */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

export interface TransferServiceOptions {
  /**
   * Where received files land (`received_file_*.dat`, index.jsonl, tmp/). Absent: a private temp
   * folder, removed when the service stops (a node without a data directory).
   */
  inboxDir?: string;
  /**
   * The node's stream mux: files share its listener (routed on `PLF1`) and its decision on which
   * addresses may be reached. Absent: the service listens on its own (`streams`, else TCP on
   * `host:port`) and starts and stops that listener itself.
   */
  mux?: StreamMux;
  streams?: StreamTransport;
  /** Own TCP listener's host (default 127.0.0.1) and port (default 0: a free one). */
  host?: string;
  port?: number;
  /** Control messages go through this messenger; the service registers its handlers on it. */
  messenger?: Pick<Messenger, 'handle' | 'send'>;
  /** Or, without a messenger, through this (answers then come in through `handleControl`). */
  sendControl?: SendControl;
  /** Known peers: where to answer them, and who is banned. */
  peers?: TransferPeers;
  emit: EmitEvent;
  clock?: Clock;
  /** Transfer ids and one-time tokens (default: node:crypto). */
  random?: Random;
  /** Largest file this node accepts (default 256 MiB). */
  maxFileBytes?: number;
  /** Incoming transfers at once before offers are refused as BUSY (default 4). */
  maxIncoming?: number;
  chunkBytes?: number;
  timeouts?: Partial<TransferTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** fsync the temp file before it is renamed into the inbox (default true). */
  fsync?: boolean;
  /** Minimum gap between two file-progress events of one transfer (default 100 ms). */
  progressIntervalMs?: number;
  /** Free-space probe for NO_SPACE refusals (default: `fs.freeBytes` of the inbox). */
  freeSpace?: FreeSpace;
  /** The disk: inbox, partial files, and the files sent (default: the real one). */
  fs?: FileSystem;
  /** Test hooks: never set in production. */
  faults?: { sendTap?: SendTap };
}

export interface SendOptions {
  /** Label shown to the receiver instead of the file's base name. */
  name?: string;
  timeouts?: Partial<TransferTimeouts>;
  retry?: Partial<RetryPolicy>;
}

export interface SendResult {
  transferId: string;
  /** The label the receiver recorded (sanitized, at most 255 code points). */
  name: string;
  sha256: string;
  bytes: number;
  /** From the offer to the receiver's confirmation. */
  ms: number;
  /** Offset the last connection resumed from (0 when it started from the beginning). */
  resumedFrom: number;
  /** Attempts after the first. */
  retries: number;
  /** File bytes put on the wire more than once (a broken connection costs at most one chunk). */
  resentBytes: number;
}
