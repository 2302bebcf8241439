/**
 * Dispatch benchmark sender, one process: floods a receiver with valid, pre-encoded peerlab
 * messages of one size for `--ms` milliseconds, keeping `--window` sends in flight (so it goes as
 * fast as the kernel takes them, without queueing without bound).
 *
 * `--as peer` first joins the receiver with a real Node (signed hello), then sends from a separate
 * socket with that node's id as sender: the receiver sees traffic from a known peer, the common
 * case. `--as stranger` uses a random id and no handshake (for the raw-dgram limit, where nothing
 * is decoded anyway; the datagrams are byte-for-byte the same size).
 *
 * JSON lines: `ready` (datagram size), `start`, a `sample` every 50 ms, `done`.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { v4 as uuidv4 } from 'uuid';
import { Node } from '../../src/runtime/node.ts';
import { decode, encode, PROTOCOL_VERSION, type Envelope } from '../../src/runtime/wire/messages.ts';

const { values: a } = parseArgs({
  options: {
    port: { type: 'string' },
    ms: { type: 'string', default: '3000' },
    as: { type: 'string', default: 'peer' },
    type: { type: 'string', default: 'ping' },
    window: { type: 'string', default: '64' },
  },
});
const port = Number(a.port);
const durationMs = Number(a.ms);
const windowSize = Number(a.window);
const type = a.type!;
if (!port || !durationMs || !windowSize || (a.as !== 'peer' && a.as !== 'stranger') || (type !== 'ping' && type !== 'ack')) {
  process.stderr.write('usage: dispatch-sender.ts --port P [--ms 3000] [--as peer|stranger] [--type ping|ack] [--window 64]\n');
  process.exit(2);
}

const out = (o: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};
const now = (): number => performance.timeOrigin + performance.now();

let node: Node | undefined;
let from: string;
let bindPort = 0;
if (a.as === 'peer') {
  node = new Node({ name: 'bench-tx', host: '127.0.0.1', port: 0, memory: true, seed: 2 });
  await node.start();
  await node.join(`127.0.0.1:${port}`, { timeout: '10s' });
  from = node.id;
  // The flood must come from the peer's own address: a known id from elsewhere is refused as spoofed.
  bindPort = node.port;
  await node.stop();
  node = undefined;
} else {
  from = randomBytes(32).toString('base64url');
}

// A pool of distinct valid messages, all the same length (fixed-width numbers, uuid ids).
const POOL = 1024;
const pool: Buffer[] = [];
for (let i = 0; i < POOL; i++) {
  const env: Envelope = { v: PROTOCOL_VERSION, t: type, f: from, l: 1_000_000 + i, id: uuidv4(), b: { seq: 1_000_000 + i } };
  const buf = encode(env);
  const check = decode(buf);
  if (!check.ok) throw new Error(`bench message does not decode: ${check.reason} ${check.detail}`);
  if (pool.length && buf.length !== pool[0]!.length) throw new Error('bench messages differ in size');
  pool.push(buf);
}

const sock = createSocket('udp4');
let replies = 0;
sock.on('message', () => {
  replies++;
});
let errors = 0;
const errorCodes: Record<string, number> = {};
sock.on('error', () => {
  errors++;
});
await new Promise<void>((resolve) => sock.bind(bindPort, '127.0.0.1', resolve));
await new Promise<void>((resolve) => sock.connect(port, '127.0.0.1', resolve));
out({ type: 'ready', bytes: pool[0]!.length, from: from.slice(0, 8) });

let sent = 0;
let inflight = 0;
let i = 0;
let running = true;
const onSent = (err: Error | null): void => {
  inflight--;
  if (err) {
    errors++;
    const code = (err as NodeJS.ErrnoException).code ?? 'ERR';
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  } else {
    sent++;
  }
  // Completed sends call back through process.nextTick; refilling the window from here would
  // starve timers and I/O, so refill once per event-loop turn.
  if (running && !scheduled) {
    scheduled = true;
    setImmediate(pump);
  }
};
let scheduled = false;
const pump = (): void => {
  scheduled = false;
  while (running && inflight < windowSize) {
    inflight++;
    sock.send(pool[i++ & (POOL - 1)]!, onSent);
  }
};

const sample = (): void => {
  const cpu = process.cpuUsage();
  out({ type: 'sample', t: now(), n: sent, cpuUs: cpu.user + cpu.system });
};
const started = now();
out({ type: 'start', t: started });
sample();
const timer = setInterval(sample, 50);
pump();
await new Promise((r) => setTimeout(r, durationMs));
running = false;
const ended = now();
sample();
clearInterval(timer);
while (inflight > 0) await new Promise((r) => setImmediate(r));
out({ type: 'done', t: ended, sent, errors, errorCodes, replies, bytes: pool[0]!.length });
sock.close();
await node?.stop();
process.exit(0);
