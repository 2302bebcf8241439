import { formatAddress, isValidHost, isValidPort, parseAddress } from './address.ts';
import type { Clock } from './clock.ts';
import { PeerlabError } from './errors.ts';
import type { FileSystem } from './fs/file-system.ts';
import type { Identity } from './identity.ts';
import { DEFAULT_SCALE, MAX_SCALE, formatUnits, parseAmount } from './ledger/amount.ts';
import { DEFAULT_HEARTBEAT, validateHeartbeat, type HeartbeatSettings } from './membership/heartbeat.ts';
import { DEFAULT_MAX_PEERS } from './membership/peer-table.ts';
import type { FaultInput } from './net/faults.ts';
import type { StreamTransport } from './net/stream-transport.ts';
import type { Transport } from './net/transport.ts';
import { randomSeed, type Random } from './random.ts';
import { readPlant, type PlantName } from './plants.ts';
import type { TraceSink } from './trace.ts';
import { durationMs, parseBytes } from './units.ts';
import { DEFAULT_MAX_DATAGRAM } from './wire/messages.ts';
import { DEFAULT_MAX_FILE_BYTES } from './transfer/types.ts';
import type { NetworkParams } from './wire/membership.ts';

export interface NodeOptions {
  name?: string;
  /** Bind address; default 127.0.0.1. */
  host?: string;
  /** UDP (and TCP) port; 0 or absent picks a free one. */
  port?: number;
  /** `host:port` peers should use (e.g. when binding 0.0.0.0). */
  advertise?: string;
  /** Data directory; absent means memory only. */
  dataDir?: string;
  memory?: boolean;
  seed?: number;
  heartbeat?: { interval?: number | string; timeout?: number | string };
  faults?: FaultInput;
  initialBalance?: number | string;
  scale?: number;
  maxPeers?: number;
  maxDatagram?: number;
  maxFileSize?: number | string;
  /** Events kept in the node's log (`node.logs()`), newest last; default 10,000 (a big simulation keeps fewer per node). */
  logCapacity?: number;
  /** A trace file path, or a sink shared by several nodes. */
  trace?: string | TraceSink;
  /** Injected for tests (and, later, simulation): time and timers. */
  clock?: Clock;
  /** Datagrams (default: UDP on host:port). */
  transport?: Transport;
  /**
   * Streams for bulk sync and files (default: TCP on host and the UDP port; with an injected
   * `transport`, whose port numbers are not real, on a free TCP port).
   */
  streams?: StreamTransport;
  /** Message ids, nonces, tokens, transfer ids and new keys (default: node:crypto). */
  random?: Random;
  identity?: Identity;
  /**
   * The disk: the data directory (identity, ledger log, peers, lock, inbox, partial transfers) and
   * the files the node reads to send (default: the real one; a MemoryFileSystem in simulation).
   */
  fs?: FileSystem;
  /** A bug planted on purpose, for labs (src/runtime/plants.ts); refused unless the clock is simulated. */
  plant?: PlantName;
}

export interface NodeConfig {
  name: string | undefined;
  host: string;
  port: number;
  advertise: string | undefined;
  dataDir: string | undefined;
  seed: number;
  heartbeat: HeartbeatSettings;
  params: NetworkParams;
  initialUnits: bigint;
  maxPeers: number;
  maxDatagram: number;
  maxFileSize: number;
  logCapacity: number;
  plant: PlantName | undefined;
}

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const DEFAULT_INITIAL_BALANCE = 1000;
export const DEFAULT_LOG_CAPACITY = 10_000;

/** Validates options into a config; every problem is one clear PeerlabError naming the option. */
export function resolveConfig(o: NodeOptions): NodeConfig {
  if (o.name !== undefined && (typeof o.name !== 'string' || !NAME_PATTERN.test(o.name))) {
    throw new PeerlabError('BAD_ARGUMENT', `name must be 1-64 letters, digits, '.', '_' or '-', got ${JSON.stringify(o.name)}`);
  }
  const host = o.host ?? '127.0.0.1';
  if (!isValidHost(host)) throw new PeerlabError('BAD_ADDRESS', `host must be an IP address or host name, got ${JSON.stringify(host)}`);
  const port = o.port ?? 0;
  if (!isValidPort(port, true)) throw new PeerlabError('BAD_ARGUMENT', `port must be an integer from 0 to 65535, got ${JSON.stringify(o.port)}`);
  const advertise = o.advertise === undefined ? undefined : formatAddress(parseAddress(o.advertise, 'advertise'));
  const scale = o.scale ?? DEFAULT_SCALE;
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new PeerlabError('BAD_ARGUMENT', `scale must be an integer from 0 to ${MAX_SCALE}, got ${JSON.stringify(o.scale)}`);
  }
  const initial = parseAmount(o.initialBalance ?? DEFAULT_INITIAL_BALANCE, scale, { allowZero: true });
  if (!initial.ok) throw new PeerlabError('BAD_AMOUNT', `initial balance: ${initial.message}`);
  const heartbeat: HeartbeatSettings = {
    interval: o.heartbeat?.interval === undefined ? DEFAULT_HEARTBEAT.interval : durationMs(o.heartbeat.interval, 'heartbeat interval'),
    timeout: o.heartbeat?.timeout === undefined ? DEFAULT_HEARTBEAT.timeout : durationMs(o.heartbeat.timeout, 'heartbeat timeout'),
  };
  if (o.heartbeat?.interval !== undefined && o.heartbeat.timeout === undefined) {
    heartbeat.timeout = Math.max(heartbeat.timeout, 3 * heartbeat.interval);
  }
  validateHeartbeat(heartbeat);
  const seed = o.seed ?? randomSeed(o.random);
  if (!Number.isSafeInteger(seed)) throw new PeerlabError('BAD_ARGUMENT', `seed must be an integer, got ${JSON.stringify(o.seed)}`);
  const maxPeers = o.maxPeers ?? DEFAULT_MAX_PEERS;
  if (!Number.isInteger(maxPeers) || maxPeers < 1) throw new PeerlabError('BAD_ARGUMENT', `maxPeers must be a positive integer`);
  const maxDatagram = o.maxDatagram ?? DEFAULT_MAX_DATAGRAM;
  if (!Number.isInteger(maxDatagram) || maxDatagram < 1024 || maxDatagram > 65_000) {
    throw new PeerlabError('BAD_ARGUMENT', `maxDatagram must be between 1024 and 65000 bytes`);
  }
  const maxFileSize = o.maxFileSize === undefined ? DEFAULT_MAX_FILE_BYTES : parseBytes(o.maxFileSize, 'max file size');
  const logCapacity = o.logCapacity ?? DEFAULT_LOG_CAPACITY;
  if (!Number.isInteger(logCapacity) || logCapacity < 1) throw new PeerlabError('BAD_ARGUMENT', `logCapacity must be a positive integer, got ${JSON.stringify(o.logCapacity)}`);
  if (o.memory && o.dataDir) throw new PeerlabError('BAD_ARGUMENT', 'choose either a data directory or memory, not both');
  return {
    name: o.name, host, port, advertise, dataDir: o.memory ? undefined : o.dataDir, seed, heartbeat,
    params: { initialBalance: formatUnits(initial.units, scale), scale }, initialUnits: initial.units,
    maxPeers, maxDatagram, maxFileSize, logCapacity, plant: readPlant(o.plant),
  };
}
