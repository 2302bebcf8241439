import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { formatAddress, tryParseAddress } from '../runtime/address.ts';
import { NAME_PATTERN, type NodeOptions } from '../runtime/config.ts';
import { parseAmount } from '../runtime/ledger/amount.ts';
import { readDuration, tryParseBytes } from '../runtime/units.ts';

/** Option parsers: each turns a bad value into one clear line (commander prints it, we exit 2). */
export const parse = {
  port(v: string): number {
    if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535.');
    return Number(v);
  },
  address(v: string): string {
    const a = tryParseAddress(v);
    if (!a) throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:5001.');
    return formatAddress(a);
  },
  addresses(v: string, prev: string[] = []): string[] {
    return [...prev, parse.address(v)];
  },
  /** A duration with its unit, longer than 0 and within what a timer can hold (DESIGN.md §2.1). */
  duration(v: string): number {
    const r = readDuration(v);
    if (!r.ok && r.kind === 'bare') throw new InvalidArgumentError(`A duration ${r.message}`);
    // The value itself is already in commander's line ("argument '2400h' is invalid").
    if (!r.ok && r.kind === 'range') throw new InvalidArgumentError(`A duration ${r.message.replace(/, got .*$/, '')}.`);
    if (!r.ok) throw new InvalidArgumentError('expected a duration like 200ms, 2s or 1m.');
    if (r.ms <= 0) throw new InvalidArgumentError('expected a duration longer than 0, like 200ms, 2s or 1m.');
    return r.ms;
  },
  /** `--allow-paths DIR` (repeatable): an existing folder, made absolute. */
  folders(v: string, prev: string[] = []): string[] {
    const dir = resolve(v);
    let ok = false;
    try {
      ok = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!ok) throw new InvalidArgumentError('no such folder.');
    return [...prev, dir];
  },
  bytes(v: string): number {
    const b = tryParseBytes(v);
    if (b === null || b <= 0) throw new InvalidArgumentError('expected a size like 4096, 10MB or 256MiB.');
    return b;
  },
  probability(v: string): number {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a probability between 0 and 1.');
    return n;
  },
  integer(v: string): number {
    if (!/^-?\d{1,15}$/.test(v)) throw new InvalidArgumentError('expected an integer.');
    return Number(v);
  },
  positiveNumber(v: string): number {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number greater than 0.');
    return n;
  },
  positiveInt(v: string): number {
    if (!/^\d{1,6}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a positive integer.');
    return Number(v);
  },
  amount(v: string): string {
    const r = parseAmount(v, 8, { allowZero: true });
    if (!r.ok) throw new InvalidArgumentError(`${r.message}.`);
    return v;
  },
  scale(v: string): number {
    if (!/^\d$/.test(v) || Number(v) > 8) throw new InvalidArgumentError('expected a whole number from 0 to 8.');
    return Number(v);
  },
  name(v: string): string {
    if (!NAME_PATTERN.test(v)) throw new InvalidArgumentError("expected 1-64 letters, digits, '.', '_' or '-'.");
    return v;
  },
  host(v: string): string {
    if (!tryParseAddress(`${v.includes(':') ? `[${v}]` : v}:1`)) throw new InvalidArgumentError('expected an IP address or host name.');
    return v;
  },
};

/** The node options shared by `peerlab node` and `peerlab repl` (DESIGN.md §2.1). */
export function addNodeOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'node name (a label)', parse.name)
    .option('--host <host>', 'bind address', parse.host, '127.0.0.1')
    .option('--port <port>', 'UDP and TCP port (0 picks a free one)', parse.port, 0)
    .option('--advertise <host:port>', 'the address peers should use (e.g. when binding 0.0.0.0)', parse.address)
    .option('--join <host:port>', 'join the network through this peer (retried until it answers; repeatable)', parse.addresses)
    .option('--data <dir>', 'data directory (default ./.peerlab/<name>)')
    .option('--memory', 'keep nothing on disk (a new identity each start)')
    .option('--seed <n>', 'seed for fault decisions and robots', parse.integer)
    .option('--heartbeat-interval <duration>', 'how often quiet peers are probed (default 5s)', parse.duration)
    .option('--heartbeat-timeout <duration>', 'silence before a peer is removed (default 15s)', parse.duration)
    .option('--drop <p>', 'chance that each outgoing datagram is lost', parse.probability)
    .option('--scale <n>', 'network parameter: decimal places of amounts (default 2)', parse.scale)
    .option('--initial-balance <amount>', 'network parameter: every account starts with this (default 1000)', parse.amount)
    .option('--max-file-size <bytes>', 'largest file this node accepts (default 256MiB)', parse.bytes)
    .option('--trace <file>', 'write a JSON-lines trace of messages and events');
}

export interface NodeCliOptions {
  name?: string;
  host: string;
  port: number;
  advertise?: string;
  join?: string[];
  data?: string;
  memory?: boolean;
  seed?: number;
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
  drop?: number;
  initialBalance?: string;
  scale?: number;
  maxFileSize?: number;
  trace?: string;
}

/** CLI options -> NodeOptions (default data dir: ./.peerlab/<name>). */
export function toNodeOptions(o: NodeCliOptions, defaultName = 'node'): NodeOptions {
  const opts: NodeOptions = { host: o.host, port: o.port };
  if (o.name !== undefined) opts.name = o.name;
  if (o.advertise !== undefined) opts.advertise = o.advertise;
  if (o.memory) opts.memory = true;
  else opts.dataDir = o.data ?? `.peerlab/${o.name ?? defaultName}`;
  if (o.seed !== undefined) opts.seed = o.seed;
  if (o.heartbeatInterval !== undefined || o.heartbeatTimeout !== undefined) {
    opts.heartbeat = {};
    if (o.heartbeatInterval !== undefined) opts.heartbeat.interval = o.heartbeatInterval;
    if (o.heartbeatTimeout !== undefined) opts.heartbeat.timeout = o.heartbeatTimeout;
  }
  if (o.drop !== undefined) opts.faults = { drop: o.drop };
  if (o.initialBalance !== undefined) opts.initialBalance = o.initialBalance;
  if (o.scale !== undefined) opts.scale = o.scale;
  if (o.maxFileSize !== undefined) opts.maxFileSize = o.maxFileSize;
  if (o.trace !== undefined) opts.trace = o.trace;
  return opts;
}
