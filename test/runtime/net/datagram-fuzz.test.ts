/**
 * DESIGN.md §3.1 and §5: a running node fed malformed datagrams from a plain socket stays up, keeps
 * its peer table, and counts every datagram as rejected with a reason.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMPORT_MAX_AHEAD, LAMPORT_WINDOW } from '../../../src/runtime/clock.ts';
import { Identity } from '../../../src/runtime/identity.ts';
import { MemoryStreamNetwork } from '../../../src/runtime/net/memory-streams.ts';
import { MemoryNetwork } from '../../../src/runtime/net/memory-transport.ts';
import { Node } from '../../../src/runtime/node.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { helloSigningBytes, type HelloBody } from '../../../src/runtime/wire/membership.ts';
import { assertValidBody, decode, DEFAULT_MAX_DATAGRAM, knownTypes, PROTOCOL_VERSION, type Envelope } from '../../../src/runtime/wire/messages.ts';
import { createTransaction } from '../../../src/runtime/ledger/transaction.ts';
import { toWire } from '../../../src/runtime/wire/ledger.ts';
import { MemoryWorld } from '../memory-world.ts';
import { lamportViolations, MemoryTrace } from './trace-check.ts';
import { startNodes, stopAll, until } from '../../helpers.ts';
import { HostileClient } from '../../support/hostile-client.ts';

const TOTAL = 10_000;
const rng = new Prng('datagram-fuzz');
const fuzzer = Identity.generate();
const strangers = Array.from({ length: 4 }, () => Identity.generate());

function uuid(): string {
  const h = Array.from({ length: 32 }, () => '0123456789abcdef'[rng.int(16)]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function token(n = 16): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  return Array.from({ length: n }, () => abc[rng.int(abc.length)]).join('');
}

function envelope(t: string, b: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: PROTOCOL_VERSION, t, f: fuzzer.id, l: 1 + rng.int(1000), id: uuid(), b, ...over };
}

const json = (x: unknown): Buffer => Buffer.from(JSON.stringify(x));

function helloBody(signer: Identity, over: Partial<Omit<HelloBody, 'sig'>> = {}): HelloBody {
  const body: Omit<HelloBody, 'sig'> = {
    name: 'fuzzer', addr: `127.0.0.1:${1024 + rng.int(60_000)}`, version: PROTOCOL_VERSION,
    params: { initialBalance: '1000.00', scale: 2 }, nonce: token(), reply: rng.chance(0.5), ...over,
  };
  return { ...body, sig: signer.sign(helloSigningBytes(signer.id, body)).toString('base64url') };
}

/** Valid bodies of every membership type (the raw material for truncation and mutation). */
function validBody(t: string): unknown {
  switch (t) {
    case 'hello': return helloBody(fuzzer);
    case 'refuse': return { code: 'INCOMPATIBLE', reason: 'different parameters', re: token() };
    case 'ping': return rng.chance(0.5) ? { seq: rng.int(1e6) } : { seq: rng.int(1e6), dg: token(32) };
    case 'ack': return { seq: rng.int(1e6) };
    case 'ping-req': return { target: strangers[0]!.id, addr: '127.0.0.1:5999', seq: rng.int(1e6) };
    case 'indirect-ack': return { target: strangers[1]!.id, seq: rng.int(1e6) };
    case 'peers-req': return { seq: rng.int(1e6) };
    case 'peers': return { peers: strangers.map((s, i) => ({ id: s.id, addr: `127.0.0.1:${6000 + i}`, name: `s${i}` })), re: 1 };
    default: return {};
  }
}
const TYPES = ['hello', 'refuse', 'ping', 'ack', 'ping-req', 'indirect-ack', 'peers-req', 'peers', 'bye'];
function validOf(t: string): Buffer {
  return json(envelope(t, validBody(t)));
}

const WRONG_VALUES: unknown[] = ['1', 1, -1, 1.5, null, true, [], {}, [1], { x: 1 }, '', 'x'.repeat(70)];

function wrongTyped(): Buffer {
  const t = rng.pick(TYPES.filter((x) => x !== 'bye'));
  const body = validBody(t) as Record<string, unknown>;
  const keys = Object.keys(body);
  const k = rng.pick(keys);
  body[k] = rng.pick(WRONG_VALUES.filter((v) => typeof v !== typeof body[k] || Array.isArray(v) || v === null));
  return json(envelope(t, body));
}

function nested(depth: number, open: string, close: string, leaf = '1'): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

const POISON = ['__proto__', 'constructor', 'prototype'];

function poisoned(): Buffer {
  const key = rng.pick(POISON);
  const payload = rng.pick(['{"polluted":true}', '{"isAdmin":true,"seq":"x"}', '1', '"x"', '[]', 'null']);
  const t = rng.pick(TYPES);
  const base = JSON.stringify(envelope(t, validBody(t)));
  switch (rng.int(4)) {
    case 0: // in the envelope, last
      return Buffer.from(`${base.slice(0, -1)},"${key}":${payload}}`);
    case 1: // in the envelope, first
      return Buffer.from(`{"${key}":${payload},${base.slice(1)}`);
    case 2: { // in the body
      const i = base.indexOf('"b":{') + 5;
      return Buffer.from(`${base.slice(0, i)}"${key}":${payload}${base[i] === '}' ? '' : ','}${base.slice(i)}`);
    }
    default: { // nested inside hello params or a peers entry
      if (rng.chance(0.5)) {
        const h = JSON.stringify(envelope('hello', helloBody(fuzzer)));
        return Buffer.from(h.replace('"scale":2', `"scale":2,"${key}":${payload}`));
      }
      const p = JSON.stringify(envelope('peers', validBody('peers')));
      return Buffer.from(p.replace('"name":"s0"', `"name":"s0","${key}":${payload}`));
    }
  }
}

type Expect = 'decode' | 'bad-signature' | 'self' | 'lamport-ahead';

interface Case {
  kind: string;
  data: Buffer;
  /** Why the node must refuse it: decode()'s reason, or a deeper check for decodable ones. */
  expect: Expect;
}

/** Builds the corpus; `nodeId` is the target's id (for self-claims), `peerId` its joined peer's. */
function corpus(nodeId: string, peerId: string): Case[] {
  const cases: Case[] = [];
  const add = (kind: string, n: number, make: () => Buffer, expect: Expect = 'decode'): void => {
    for (let i = 0; i < n; i++) {
      // Categories that rely on decode() must produce something decode() refuses; retry otherwise.
      for (let attempt = 0; ; attempt++) {
        const data = make();
        const ok = decode(data, DEFAULT_MAX_DATAGRAM).ok;
        if ((expect === 'decode') === !ok) {
          cases.push({ kind, data, expect });
          break;
        }
        if (attempt > 50) throw new Error(`generator ${kind} cannot make a ${expect === 'decode' ? 'undecodable' : 'decodable'} datagram`);
      }
    }
  };

  add('random bytes', 1200, () => Buffer.from(Array.from({ length: 1 + rng.int(400) }, () => rng.int(256))));
  add('truncated', 1300, () => {
    const full = validOf(rng.pick(TYPES));
    return full.subarray(0, 1 + rng.int(full.length - 1));
  });
  add('mutated', 1500, () => {
    const m = Buffer.from(validOf(rng.pick(TYPES)));
    const n = 1 + rng.int(4);
    for (let i = 0; i < n; i++) m[rng.int(m.length)] = rng.chance(0.5) ? rng.int(256) : rng.pick([0x22, 0x7b, 0x7d, 0x2c, 0x3a, 0x30, 0x5c]);
    return m;
  });
  add('wrong field types', 600, wrongTyped);
  add('unknown types', 400, () => json(envelope(rng.pick(['txn', 'file-offerz', 'PING', 'constructor', '__proto__', 'toString', token(8)]), {})));
  add('non-string types', 200, () => json(envelope('ping', { seq: 1 }, { t: rng.pick([1, null, ['ping'], { t: 'ping' }, true]) })));
  add('bad envelopes', 500, () => {
    const e = envelope('ping', { seq: 1 });
    switch (rng.int(7)) {
      case 0: delete e[rng.pick(Object.keys(e))]; break;
      case 1: e.f = token(rng.pick([10, 42, 44])); break;
      case 2: e.id = rng.pick(['x', uuid().toUpperCase(), 42, uuid() + '0']); break;
      case 3: e.l = rng.pick([-1, 1.5, '1', Number.MAX_SAFE_INTEGER + 2, null]); break;
      case 4: e.b = rng.pick([null, [], 'body', 7]); break;
      case 5: e.extra = 1; break;
      default: return json(rng.pick([null, 1, 'x', [], [e], true]));
    }
    return json(e);
  });
  add('oversize', 300, () => {
    const size = DEFAULT_MAX_DATAGRAM + 1 + rng.int(6000);
    if (rng.chance(0.5)) return Buffer.from(Array.from({ length: size }, () => rng.int(256)));
    return json(envelope('peers-req', { seq: 1, pad: 'x'.repeat(size) }));
  });
  add('deep nesting', 500, () => {
    const depth = 50 + rng.int(1300);
    switch (rng.int(4)) {
      case 0: return Buffer.from(nested(depth, '[', ']'));
      case 1: return Buffer.from(nested(depth, '{"a":', '}'));
      case 2: return Buffer.from(nested(depth, '[', '')); // unbalanced
      default: {
        const t = rng.pick(TYPES);
        const base = JSON.stringify(envelope(t, {}));
        return Buffer.from(base.replace('"b":{}', `"b":{"x":${nested(depth, '{"y":[', ']}')}}`));
      }
    }
  });
  add('prototype pollution', 1000, poisoned);
  add('unsupported version', 800, () => {
    const t = rng.pick(TYPES);
    return json(envelope(t, validBody(t), { v: rng.pick([0, 1, 3, 99, 65535, 1e9]) }));
  });
  // Decodable but forged: only the node's deeper checks can refuse these.
  add('hello with a random signature', 500, () => {
    const b = helloBody(fuzzer);
    b.sig = Buffer.from(Array.from({ length: 64 }, () => rng.int(256))).toString('base64url');
    return json(envelope('hello', b));
  }, 'bad-signature');
  add('hello signed by another key', 400, () => {
    const signer = rng.pick(strangers);
    return json(envelope('hello', helloBody(signer), { f: fuzzer.id }));
  }, 'bad-signature');
  add('hello impersonating the joined peer', 300, () => {
    return json(envelope('hello', helloBody(fuzzer, { name: 'b', addr: '127.0.0.1:9' }), { f: peerId }));
  }, 'bad-signature');
  add('hello tampered after signing', 300, () => {
    const b = helloBody(fuzzer);
    const tamper = rng.int(4);
    if (tamper === 0) b.name = 'mallory';
    else if (tamper === 1) b.addr = '127.0.0.1:1';
    else if (tamper === 2) b.params = { initialBalance: '999999.00', scale: 2 };
    else b.reply = !b.reply;
    return json(envelope('hello', b));
  }, 'bad-signature');
  add('claims to be the node itself', 100, () => {
    const t = rng.pick(['ping', 'hello', 'peers-req']);
    return json(envelope(t, t === 'hello' ? helloBody(fuzzer) : { seq: rng.int(1000) }, { f: nodeId }));
  }, 'self');
  add('absurd Lamport time', 100, () => json(envelope('ping', { seq: 1 }, { l: 1e15 + rng.int(1e6), f: rng.pick(strangers).id })), 'lamport-ahead');
  return cases;
}

function expectedReason(c: Case): string {
  if (c.expect !== 'decode') return c.expect;
  const r = decode(c.data, DEFAULT_MAX_DATAGRAM);
  if (r.ok) throw new Error(`corpus bug: ${c.kind} decodes`);
  return r.reason;
}

function send(sock: Socket, data: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => sock.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

/** Resolves once the node has counted `target` rejections (event-driven, bounded). */
function rejectedReaches(node: Node, target: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): boolean => node.stats().messages.rejected >= target;
    if (done()) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`node counted ${node.stats().messages.rejected} rejections, expected ${target} (lost datagrams, or a datagram not counted)`));
    }, ms);
    const off = node.on('message-rejected', () => {
      if (!done()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe('datagram fuzz against a running node (real UDP)', () => {
  let nodes: Node[] = [];
  let sock: Socket;

  beforeAll(async () => {
    nodes = await startNodes(2, { heartbeat: { interval: 200, timeout: 5000 } });
    const [a, b] = nodes as [Node, Node];
    await b.join(a.address);
    await until(() => a.peers().length === 1 && b.peers().length === 1, 'a and b know each other');
    sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    await new Promise<void>((r) => sock?.close(() => r()));
    await stopAll(nodes);
  });

  it(`survives ${TOTAL} malformed datagrams, keeps its peers, and counts each one with a reason`, async () => {
    const [a, b] = nodes as [Node, Node];
    const cases = corpus(a.id, b.id);
    expect(cases).toHaveLength(TOTAL);
    const expected: Record<string, number> = {};
    for (const c of cases) {
      const r = expectedReason(c);
      expected[r] = (expected[r] ?? 0) + 1;
    }
    // The corpus covers every reason decode() knows, and the deeper ones.
    expect(Object.keys(expected).sort()).toEqual(
      ['bad-body', 'bad-envelope', 'bad-signature', 'lamport-ahead', 'not-json', 'self', 'too-large', 'unknown-type', 'unsupported-version'],
    );

    const peersBefore = a.peers().map((p) => ({ id: p.id, addr: p.addr, name: p.name }));
    const bPeersBefore = b.peers().map((p) => ({ id: p.id, addr: p.addr, name: p.name }));
    const before = a.stats();
    const membershipEvents: string[] = [];
    const offA = a.on('*', (e) => {
      if (e.type === 'peer-added' || e.type === 'peer-removed' || e.type === 'heartbeat-timeout') membershipEvents.push(`a ${e.type}`);
    });
    const offB = b.on('*', (e) => {
      if (e.type === 'peer-added' || e.type === 'peer-removed' || e.type === 'heartbeat-timeout') membershipEvents.push(`b ${e.type}`);
    });

    // Paced batches, bounded by an estimate of kernel buffer use, so socket-buffer loss cannot
    // spoil the count; after each batch wait (bounded) until the node has counted it.
    const BUDGET = 96 * 1024;
    let sent = 0;
    for (let i = 0; i < cases.length; ) {
      let cost = 0;
      const batch: Buffer[] = [];
      while (i < cases.length && (batch.length === 0 || cost + Math.max(2048, 2 * cases[i]!.data.length) <= BUDGET) && batch.length < 100) {
        batch.push(cases[i]!.data);
        cost += Math.max(2048, 2 * cases[i]!.data.length);
        i++;
      }
      await Promise.all(batch.map((d) => send(sock, d, a.port)));
      sent += batch.length;
      await rejectedReaches(a, before.messages.rejected + sent, 3000);
    }
    offA();
    offB();

    const after = a.stats();
    expect(a.running).toBe(true);
    expect(after.messages.rejected - before.messages.rejected).toBe(TOTAL);
    const delta: Record<string, number> = {};
    for (const [k, v] of Object.entries(after.rejectedByReason)) {
      const d = v - (before.rejectedByReason[k] ?? 0);
      if (d) delta[k] = d;
    }
    expect(delta).toEqual(expected);

    // State unchanged: same peers on both sides, nothing retried or banned, nothing polluted.
    expect(a.peers().map((p) => ({ id: p.id, addr: p.addr, name: p.name }))).toEqual(peersBefore);
    expect(b.peers().map((p) => ({ id: p.id, addr: p.addr, name: p.name }))).toEqual(bPeersBefore);
    expect(a.details()).toMatchObject({ retrying: [], banned: { ids: [], addrs: [] } });
    expect(membershipEvents).toEqual([]);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Still answering: its peer's ping, and a well-formed ping from the fuzzing socket itself.
    expect(await b.ping(a.address, { timeout: '2s' })).toBeGreaterThanOrEqual(0);
    expect(await a.ping(b.address, { timeout: '2s' })).toBeGreaterThanOrEqual(0);
    const acked = new Promise<Envelope>((resolve) => {
      sock.on('message', (m) => {
        const r = decode(m);
        if (r.ok && r.msg.t === 'ack' && (r.msg.b as { seq: number }).seq === 424242) resolve(r.msg);
      });
    });
    await send(sock, json(envelope('ping', { seq: 424242 })), a.port);
    const ack = await Promise.race([acked, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no ack to a raw ping')), 2000))]);
    expect(ack.f).toBe(a.id);
  }, 30_000);
});

describe('hostile Lamport times', () => {
  // DESIGN.md §3.1: Lamport values must be safe integers. A stranger that keeps sending times just
  // under the old "absurdly far ahead" bound must not walk this node's clock out of the safe range,
  // after which every message the node sends fails the envelope schema at its peers.
  it('a stranger cannot push a node clock past Number.MAX_SAFE_INTEGER, nor far at all', async () => {
    const net = new MemoryNetwork();
    const node = new Node({ name: 'target', memory: true, seed: 1, transport: net.transport('127.0.0.1', 7001), streams: new MemoryStreamNetwork().transport() });
    await node.start();
    const h = await HostileClient.memory(net, 7002);
    try {
      const steps = 20_000;
      for (let i = 0; i < steps; i++) {
        const l = Math.min(node.lamportTime + LAMPORT_MAX_AHEAD, Number.MAX_SAFE_INTEGER);
        h.send(node.address, 'ping', { seq: i }, { l });
        await Promise.resolve(); // memory delivery is a microtask
        await Promise.resolve();
      }
      await h.barrier(node.address);
      expect(Number.isSafeInteger(node.lamportTime), `lamport ${node.lamportTime}`).toBe(true);
      expect(node.lamportTime).toBeLessThan(LAMPORT_WINDOW + 2 * steps);
      expect(node.stats().rejectedByReason['lamport-ahead']).toBe(steps);
      // What the node says afterwards must still be acceptable to its peers.
      const answer = h.received.at(-1)!;
      expect(decode(Buffer.from(JSON.stringify(answer.env))).ok).toBe(true);
      // And it told the stranger, signed, what its clock is (at most once a second per address).
      const refusals = h.received.filter((r) => r.env.t === 'refuse');
      expect(refusals.length).toBeGreaterThanOrEqual(1);
      expect(refusals[0]!.env.b).toMatchObject({ code: 'LAMPORT_AHEAD' });
      expect(refusals[0]!.env.b.clock).toBeLessThan(LAMPORT_WINDOW);
    } finally {
      await node.stop();
      await h.close();
    }
  });
});

describe('fuzz past decode: an admitted hostile peer (the hostile client)', () => {
  // Decodable, schema-valid messages of every type with random meaning — made-up ids, seqs,
  // transfers, frontiers, forged transactions, signed refusals with any code and clock, hellos
  // answering nothing — from a peer the node admitted: they reach the handlers. The node stays up,
  // keeps its honest peer, its ledger and its clock, logs no handler error, and still transacts.
  it('3,000 well-formed messages of every type change nothing they should not', async () => {
    const world = new MemoryWorld();
    const trace = new MemoryTrace();
    const [a, b] = (await world.startNodes(2, { trace, heartbeat: { interval: 100, timeout: 3000 } })) as [Node, Node];
    const h = await HostileClient.memory(world.datagrams, 7100);
    try {
      await b.join(a.address);
      await a.send(b.address, 3);
      await until(() => b.digest() === a.digest(), 'a and b converge');
      await h.handshake(a.address);
      await until(() => a.peers().length === 2, 'the hostile client is admitted');
      const errors: string[] = [];
      a.on('log', (e) => e.data.level === 'error' && errors.push(e.data.message));
      const digest = a.digest();
      const mallory = Identity.generate();
      const hex = (): string => Array.from({ length: 64 }, () => '0123456789abcdef'[rng.int(16)]).join('');
      const someId = (): string => rng.pick([a.id, b.id, h.id, mallory.id, strangers[0]!.id]);
      const forgedTxn = (): unknown => {
        const seq = 1 + rng.int(3);
        const to = rng.pick([a.id, b.id, h.id]);
        const t = toWire(createTransaction(mallory, { to, amount: 1 + rng.int(5000), seq, prev: seq === 1 ? null : hex(), lamport: rng.int(1e9), time: 1_700_000_000_000 }));
        const k = rng.pick(['amount', 'to', 'seq', 'sig', 'lamport'] as const);
        const mutated = { ...t } as Record<string, unknown>;
        if (k === 'amount') mutated.amount = '999999.00';
        else if (k === 'to') mutated.to = [a.id, b.id, h.id].find((x) => x !== to);
        else if (k === 'seq') mutated.seq = (t.seq as number) + 1;
        else if (k === 'lamport') mutated.lamport = (t.lamport as number) + 1;
        else mutated.sig = 'A'.repeat(86);
        return mutated;
      };
      const chain = (): unknown => ({ from: someId(), tips: [{ seq: 1 + rng.int(100), id: hex() }] });
      const dg = (): string => `${rng.int(1e6)}.${token(43)}`;
      const bodies: Record<string, () => unknown> = {
        hello: () => h.helloBody({ re: token(16), reply: rng.chance(0.5), name: rng.pick(['a', 'b', 'mallory']) }),
        refuse: () => {
          const r = { code: rng.pick(['BANNED', 'FULL', 'INCOMPATIBLE', 'LAMPORT_AHEAD', token(8)]), reason: 'fuzz', re: rng.pick([token(16), uuid()]), clock: rng.int(1000) };
          return { ...r, sig: h.key.sign(JSON.stringify(['peerlab-refuse', h.id, r.code, r.reason, r.re, r.clock])) };
        },
        ping: () => (rng.chance(0.5) ? { seq: rng.int(1e9) } : { seq: rng.int(1e9), dg: dg() }),
        ack: () => ({ seq: rng.int(1e9), dg: dg() }),
        'ping-req': () => ({ target: someId(), addr: rng.pick([b.address, '127.0.0.1:9', '10.0.0.1:5000']), seq: rng.int(1e9) }),
        'indirect-ack': () => ({ target: someId(), seq: rng.int(100) }),
        'peers-req': () => ({ seq: rng.int(1e6) }),
        peers: () => ({ peers: Array.from({ length: rng.int(5) }, (_, i) => ({ id: Identity.generate().id, addr: `127.0.0.1:${40_000 + rng.int(1000)}`, name: `p${i}` })), re: rng.int(10) }),
        bye: () => ({ sig: h.key.sign(JSON.stringify(['peerlab-bye', h.id, a.id, token(16)])) }),
        txn: () => ({ txn: forgedTxn(), hops: rng.int(10) }),
        'txn-req': () => ({ ids: Array.from({ length: 1 + rng.int(5) }, hex), re: uuid() }),
        'txn-batch': () => ({ txns: Array.from({ length: rng.int(3) }, forgedTxn), re: uuid(), more: rng.chance(0.3) }),
        digest: () => ({ dg: dg() }),
        frontier: () => ({ dg: dg(), chains: Array.from({ length: rng.int(3) }, chain), reply: rng.chance(0.5), re: uuid() }),
        'balance-req': () => (rng.chance(0.5) ? {} : { account: someId() }),
        balance: () => ({ account: someId(), balance: '1.00', spendable: '0.00', re: uuid() }),
        'file-offer': () => ({ transferId: uuid(), attempt: 1 + rng.int(3), name: rng.pick(['../../etc/passwd', 'x.bin', 'CON']), size: rng.int(4096), sha256: hex() }),
        'file-accept': () => ({ transferId: uuid(), attempt: 1, port: 1 + rng.int(65535), token: token(43), offset: rng.int(100) }),
        'file-refuse': () => ({ transferId: uuid(), attempt: 1, reason: rng.pick(['TOO_LARGE', 'BUSY', 'BANNED']), limit: rng.int(100) }),
        'file-confirm': () => ({ transferId: uuid(), sha256: hex(), size: rng.int(100) }),
        'file-cancel': () => ({ transferId: uuid(), reason: rng.pick(['GAVE_UP', 'STOPPED', 'IO_ERROR', 'EXPIRED']) }),
      };
      expect(Object.keys(bodies).sort()).toEqual(knownTypes().sort());
      const types = Object.keys(bodies);
      for (let i = 0; i < 3000; i++) {
        const t = types[i % types.length]!;
        const body = bodies[t]!();
        expect(() => assertValidBody(t, body), t).not.toThrow();
        h.send(a.address, t, body, { l: h.clock + 1 + rng.pick([0, 10, 1000, 50_000]) });
        if (i % 100 === 99) await h.barrier(a.address, 5000);
      }
      await h.barrier(a.address, 5000);
      expect(a.running).toBe(true);
      expect(errors).toEqual([]);
      expect(a.digest()).toBe(digest);
      expect(a.peers().find((p) => p.id === b.id)?.addr).toBe(b.address);
      expect(a.lamportTime - b.lamportTime).toBeLessThan(1_000_000);
      expect(await a.inbox()).toEqual([]);
      await a.send(b.address, 1);
      await b.send(a.address, 2);
      await until(() => a.transactions().length === 3 && a.digest() === b.digest(), 'a and b still converge');
      expect(lamportViolations(trace.records)).toEqual([]);
    } finally {
      await stopAll([a, b]);
      await h.close();
    }
  }, 60_000);
});
