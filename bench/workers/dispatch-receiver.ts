/**
 * Dispatch benchmark receiver, one process. `raw`: a bare node:dgram socket that only counts
 * datagrams (the limit). `node`: a real peerlab Node on a real UDP socket; its counters say how many
 * messages it decoded, validated and dispatched. Prints JSON lines: `ready`, a `sample` every 50 ms
 * (counter, CPU time, event-loop time) and `final` once stdin closes.
 */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { Node } from '../../src/runtime/node.ts';

const mode = process.argv[2];
if (mode !== 'raw' && mode !== 'node') {
  process.stderr.write('usage: dispatch-receiver.ts raw|node\n');
  process.exit(2);
}

const out = (o: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};
const now = (): number => performance.timeOrigin + performance.now();

let received: () => number;
let details: () => Record<string, unknown>;
let stop: () => Promise<void>;
let port: number;

if (mode === 'raw') {
  const sock = createSocket('udp4');
  let n = 0;
  let bytes = 0;
  sock.on('message', (m) => {
    n++;
    bytes += m.length;
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  port = sock.address().port;
  received = () => n;
  details = () => ({ datagrams: n, bytes, rcvbuf: sock.getRecvBufferSize() });
  stop = () => new Promise((resolve) => sock.close(() => resolve()));
} else {
  const node = new Node({ name: 'bench-rx', host: '127.0.0.1', port: 0, memory: true, seed: 1 });
  await node.start();
  port = node.port;
  // Datagrams that reached the node: dispatched plus rejected (no faults are set, so none dropped).
  received = () => {
    const m = node.stats().messages;
    return m.in + m.rejected;
  };
  details = () => {
    const s = node.stats();
    return { dispatched: s.messages.in, rejected: s.messages.rejected, rejectedByReason: s.rejectedByReason, inByType: s.inByType, outByType: s.outByType, peers: node.peers().length };
  };
  stop = () => node.stop();
}

out({ type: 'ready', port, pid: process.pid });

const sample = (): void => {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  out({ type: 'sample', t: now(), n: received(), cpuUs: cpu.user + cpu.system, active: elu.active, idle: elu.idle });
};
const timer = setInterval(sample, 50);

process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  sample();
  out({ type: 'final', t: now(), n: received(), ...details() });
  void stop().then(() => process.exit(0));
});
