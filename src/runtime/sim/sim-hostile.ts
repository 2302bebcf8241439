/**
 * Hostile datagrams on the simulated network (issue 16: "hostile datagrams"): what a stranger
 * might throw at a node, sent from a throwaway address of the world with fresh keys — hellos with
 * forged signatures, datagrams over the size limit, bytes that are not JSON or not an envelope,
 * and hellos whose Lamport time is pushed far ahead. Everything is drawn from the world's seed, so
 * a run replays exactly. Written from the wire format (src/runtime/wire/), as
 * test/support/hostile-client.ts is; a correct node refuses every one and stays on the network.
 */
import { formatAddress, type Address } from '../address.ts';
import { Identity } from '../identity.ts';
import { SeededRandom, type Random } from '../random.ts';
import { DEFAULT_MAX_DATAGRAM, PROTOCOL_VERSION } from '../wire/messages.ts';
import { helloSigningBytes } from '../wire/membership.ts';
import type { SimNetwork } from './sim-network.ts';

export const HOSTILE_DATAGRAM_KINDS = ['forged', 'oversized', 'malformed', 'lamport'] as const;
export type HostileDatagramKind = (typeof HOSTILE_DATAGRAM_KINDS)[number];

/** Where hostile datagrams come from: a host no node of a playbook uses (TEST-NET-3, RFC 5737). */
const HOSTILE_HOST = '203.0.113.66';
/** A Lamport time far beyond what any sender may move a clock to. */
const PUSHED_LAMPORT = 2 ** 50;

export interface HostileBatch {
  /** The throwaway address they came from. */
  readonly from: string;
  /** How many of each kind were sent. */
  readonly sent: Readonly<Record<HostileDatagramKind, number>>;
}

/**
 * Sends `count` hostile datagrams to `to`, from a fresh address that is gone right after (answers
 * to it are lost, as to a spoofed source). `kind` 'mixed' sends each kind in turn. `label` (with
 * the world's seed) seeds the keys, ids and bytes: a distinct label per batch.
 */
export async function sendHostile(net: SimNetwork, to: Address, count: number, kind: HostileDatagramKind | 'mixed', seed: string): Promise<HostileBatch> {
  const random = new SeededRandom(seed);
  const t = net.transport(HOSTILE_HOST, 0, 'hostile');
  await t.start();
  const from = formatAddress(t.address);
  const sent: Record<HostileDatagramKind, number> = { forged: 0, oversized: 0, malformed: 0, lamport: 0 };
  try {
    for (let i = 0; i < count; i++) {
      const k = kind === 'mixed' ? HOSTILE_DATAGRAM_KINDS[i % HOSTILE_DATAGRAM_KINDS.length]! : kind;
      t.send(to, datagram(k, i, from, random));
      sent[k]++;
    }
  } finally {
    await t.stop();
  }
  return { from, sent };
}

function datagram(kind: HostileDatagramKind, i: number, from: string, random: Random): Buffer {
  const key = Identity.fromSeed(random.bytes(32));
  const envelope = (t: string, b: unknown, l: number): Buffer => Buffer.from(JSON.stringify({ v: PROTOCOL_VERSION, t, f: key.id, l, id: random.uuid(), b }));
  switch (kind) {
    case 'forged': {
      // A well-formed hello whose signature was made by another key.
      const body = hello(from, random);
      const forger = Identity.fromSeed(random.bytes(32));
      return envelope('hello', { ...body, sig: forger.sign(helloSigningBytes(key.id, body)).toString('base64url') }, 1 + i);
    }
    case 'lamport': {
      // A correctly signed hello from a stranger, its Lamport time pushed far ahead.
      const body = hello(from, random);
      return envelope('hello', { ...body, sig: key.sign(helloSigningBytes(key.id, body)).toString('base64url') }, PUSHED_LAMPORT + i);
    }
    case 'oversized':
      return envelope('ping', { seq: i, pad: 'x'.repeat(DEFAULT_MAX_DATAGRAM + 512) }, 1 + i);
    case 'malformed': {
      const shapes = [
        (): Buffer => Buffer.from(`{"v":${PROTOCOL_VERSION},"t":"ping","f":`), // cut off: not JSON
        (): Buffer => random.bytes(64), // noise
        (): Buffer => Buffer.from(JSON.stringify({ v: PROTOCOL_VERSION, t: 'ping', f: 'not-an-id', l: -1, id: 'x', b: [] })), // not an envelope
        (): Buffer => envelope('ping', { seq: 'one' }, 1 + i), // a body of the wrong shape
        (): Buffer => envelope('no-such-type', {}, 1 + i),
      ];
      return shapes[i % shapes.length]!();
    }
  }
}

function hello(from: string, random: Random): { name: string; addr: string; version: number; params: { initialBalance: string; scale: number }; nonce: string; reply: boolean } {
  return { name: 'mallory', addr: from, version: PROTOCOL_VERSION, params: { initialBalance: '1000.00', scale: 2 }, nonce: random.bytes(12).toString('base64url'), reply: true };
}
