/**
 * A round trip for every message the protocol has (STYLE.md §2): each UDP message type through the
 * envelope codec, the file stream's hello and frames, and the bulk-sync request and lines. A new
 * message type without a sample here fails the first test.
 */
import { describe, expect, it } from 'vitest';
import { Identity, verifySignature } from '../../../src/runtime/identity.ts';
import { createTransaction } from '../../../src/runtime/ledger/transaction.ts';
import { SeededRandom } from '../../../src/runtime/random.ts';
import {
  decodeBulkLine, decodeChallenge, decodePullAuth, decodePullRequest, encodeBulkEnd, encodeBulkTxn, encodeChallenge,
  encodePullAuth, encodePullRequest, pullSigningBytes, SYNC_MAGIC, type PullRequest,
} from '../../../src/runtime/wire/bulk-sync.ts';
import {
  decodeFrame, decodeHello, encodeFrame, encodeHello, FRAME_LENGTH, FrameKind, HELLO_LENGTH, HELLO_MAGIC,
} from '../../../src/runtime/wire/file-stream.ts';
import { formatDigest, fromWire, toWire } from '../../../src/runtime/wire/ledger.ts';
import {
  byeSigningBytes, helloSigningBytes, refuseSigningBytes, type ByeBody, type HelloBody, type RefuseBody,
} from '../../../src/runtime/wire/membership.ts';
import { assertValidBody, decode, encode, knownTypes, PROTOCOL_VERSION, type Envelope } from '../../../src/runtime/wire/messages.ts';

const random = new SeededRandom('codecs');
const alice = Identity.generate(random);
const bob = Identity.generate(random);
const HASH = 'Q'.repeat(43);
const TRANSFER = random.uuid();
const SHA = 'ab'.repeat(32);

function signedHello(id: Identity): HelloBody {
  const body: Omit<HelloBody, 'sig'> = {
    name: 'alice', addr: '127.0.0.1:5001', version: PROTOCOL_VERSION,
    params: { initialBalance: '1000.00', scale: 2 }, nonce: 'abcdefgh12345678', reply: true,
  };
  return { ...body, sig: id.sign(helloSigningBytes(id.id, body)).toString('base64url') };
}

function signedRefuse(id: Identity, b: Omit<RefuseBody, 'sig'>): RefuseBody {
  return { ...b, sig: id.sign(refuseSigningBytes(id.id, b)).toString('base64url') };
}

const first = createTransaction(alice, { to: bob.id, amount: '25.50', seq: 1, prev: null, lamport: 3, time: 1_700_000_000_000 });
const second = createTransaction(alice, {
  to: bob.id, amount: 1, seq: 2, prev: first.id, lamport: 9, time: 1_700_000_000_100,
  fields: { Name: 'Connor', n: 2, ok: true, none: null }, file: { sha256: SHA, name: 'notes.txt', size: 12 },
});
const credit = createTransaction(bob, { to: alice.id, amount: '0.01', seq: 1, prev: null, lamport: 4, time: 1_700_000_000_050 });
const claiming = createTransaction(alice, { to: bob.id, amount: '3', seq: 3, prev: second.id, claims: [credit.id], lamport: 12, time: 1_700_000_000_200 });

/** One body per message type, in the shapes the services send. */
const SAMPLES: Record<string, object> = {
  // membership
  hello: signedHello(alice),
  refuse: signedRefuse(alice, { code: 'LAMPORT_AHEAD', reason: 'your Lamport time is too far ahead', re: TRANSFER, clock: 1_000_000_123 }),
  ping: { seq: 1, dg: formatDigest(12, HASH) },
  ack: { seq: 1 },
  'ping-req': { target: bob.id, addr: '127.0.0.1:5002', seq: 42 },
  'indirect-ack': { target: bob.id, seq: 42 },
  'peers-req': { seq: 3 },
  peers: { peers: [{ id: bob.id, addr: '[::1]:5002', name: 'bob' }], re: 3 },
  bye: { sig: alice.sign(byeSigningBytes(alice.id, bob.id, 'abcdefgh12345678')).toString('base64url') },
  // ledger and sync
  txn: { txn: toWire(second), hops: 2 },
  'txn-req': { ids: [first.id, second.id], re: TRANSFER },
  'txn-batch': { txns: [toWire(first), toWire(credit), toWire(claiming)], re: TRANSFER, more: false },
  digest: { dg: formatDigest(3, HASH) },
  frontier: { dg: formatDigest(3, HASH), chains: [{ from: alice.id, tips: [{ seq: 2, id: second.id }] }], reply: true, re: TRANSFER },
  'balance-req': { account: bob.id },
  balance: { account: bob.id, balance: '1024.49', spendable: '1000.00', re: TRANSFER },
  // files
  'file-offer': { transferId: TRANSFER, attempt: 1, name: 'notes.txt', size: 12, sha256: SHA },
  'file-accept': { transferId: TRANSFER, attempt: 1, port: 5002, token: random.bytes(32).toString('base64url'), offset: 0 },
  'file-refuse': { transferId: TRANSFER, attempt: 2, reason: 'TOO_LARGE', limit: 1024 },
  'file-confirm': { transferId: TRANSFER, sha256: SHA, size: 12 },
  'file-cancel': { transferId: TRANSFER, reason: 'GAVE_UP' },
};

describe('UDP messages: every type round-trips through the envelope codec', () => {
  it('has a sample for every message type the decoder knows, and no other', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(knownTypes().sort());
  });

  for (const [type, body] of Object.entries(SAMPLES)) {
    it(`${type}`, () => {
      const env: Envelope = { v: PROTOCOL_VERSION, t: type, f: alice.id, l: 7, id: random.uuid(), b: body };
      expect(() => assertValidBody(type, body)).not.toThrow();
      expect(decode(encode(env))).toEqual({ ok: true, msg: env });
    });
  }

  it('transactions survive the trip intact: same id, a signature that still verifies', () => {
    const r = decode(encode({ v: PROTOCOL_VERSION, t: 'txn-batch', f: alice.id, l: 1, id: random.uuid(), b: SAMPLES['txn-batch']! }));
    if (!r.ok) throw new Error(r.detail);
    const txns = (r.msg.b as { txns: unknown[] }).txns.map((t) => fromWire(t));
    expect(txns.map((t) => (t.ok ? t.txn : null))).toEqual([first, credit, claiming].map(toWire));
  });

  it('a decoded hello verifies for its signer only', () => {
    const b = SAMPLES.hello as HelloBody;
    expect(verifySignature(alice.id, helloSigningBytes(alice.id, b), Buffer.from(b.sig, 'base64url'))).toBe(true);
    expect(verifySignature(bob.id, helloSigningBytes(bob.id, b), Buffer.from(b.sig, 'base64url'))).toBe(false);
  });

  it('a decoded refuse and bye verify for their signer, and a bye for its recipient and session only', () => {
    const r = SAMPLES.refuse as RefuseBody;
    expect(verifySignature(alice.id, refuseSigningBytes(alice.id, r), Buffer.from(r.sig, 'base64url'))).toBe(true);
    expect(verifySignature(alice.id, refuseSigningBytes(alice.id, { ...r, clock: 1 }), Buffer.from(r.sig, 'base64url'))).toBe(false);
    const b = SAMPLES.bye as ByeBody;
    const sig = Buffer.from(b.sig, 'base64url');
    expect(verifySignature(alice.id, byeSigningBytes(alice.id, bob.id, 'abcdefgh12345678'), sig)).toBe(true);
    expect(verifySignature(alice.id, byeSigningBytes(alice.id, alice.id, 'abcdefgh12345678'), sig)).toBe(false);
    expect(verifySignature(alice.id, byeSigningBytes(alice.id, bob.id, 'another-session'), sig)).toBe(false);
  });
});

describe('file streams: the sender hello and the receiver frames', () => {
  it('the hello round-trips (magic, transfer id, token)', () => {
    const token = random.bytes(32);
    const hello = encodeHello(TRANSFER, token.toString('base64url'));
    expect(hello).toHaveLength(HELLO_LENGTH);
    expect(hello.subarray(0, 4)).toEqual(HELLO_MAGIC);
    expect(decodeHello(hello)).toEqual({ transferId: TRANSFER, token });
  });

  it('a hello with another magic or length is not one', () => {
    const hello = encodeHello(TRANSFER, random.bytes(32).toString('base64url'));
    expect(decodeHello(Buffer.concat([Buffer.from('PLS1'), hello.subarray(4)]))).toBeNull();
    expect(decodeHello(hello.subarray(0, HELLO_LENGTH - 1))).toBeNull();
  });

  for (const [name, kind] of Object.entries(FrameKind)) {
    it(`the ${name} frame round-trips, up to 2^53 - 1`, () => {
      for (const value of [0, 1, 65_536, Number.MAX_SAFE_INTEGER]) {
        const frame = encodeFrame(kind, value);
        expect(frame).toHaveLength(FRAME_LENGTH);
        expect(decodeFrame(frame)).toEqual({ kind, value });
      }
    });
  }

  it('frames with an unknown kind or a value past 2^53 are errors, not numbers', () => {
    const bad = encodeFrame(FrameKind.ACK, 5);
    bad[0] = 9;
    expect(decodeFrame(bad)).toEqual({ error: expect.stringMatching(/kind 9/) });
    const huge = Buffer.alloc(FRAME_LENGTH);
    huge[0] = FrameKind.ACK;
    huge.writeBigUInt64BE(2n ** 60n, 1);
    expect(decodeFrame(huge)).toHaveProperty('error');
  });
});

describe('bulk sync: the pull request and the answer lines', () => {
  const request: PullRequest = {
    from: bob.id,
    chains: [
      { from: alice.id, tips: [{ seq: 2, id: second.id }] },
      { from: bob.id, tips: [{ seq: 1, id: credit.id }, { seq: 1, id: first.id }] },
    ],
  };

  it('the magic names version 2 of the protocol (authenticated pulls)', () => {
    expect(SYNC_MAGIC.toString('latin1')).toBe('PLS2');
  });

  it('the challenge and the signed answer round-trip, and the answer verifies for its signer, server and challenge only', () => {
    const challenge = { challenge: random.bytes(32).toString('base64url'), id: alice.id };
    const c = encodeChallenge(challenge);
    expect(c.endsWith('\n')).toBe(true);
    expect(decodeChallenge(c.slice(0, -1))).toEqual(challenge);
    const auth = { from: bob.id, sig: bob.sign(pullSigningBytes(alice.id, challenge.challenge, bob.id)).toString('base64url') };
    const a = encodePullAuth(auth);
    expect(decodePullAuth(a.slice(0, -1))).toEqual(auth);
    const sig = Buffer.from(auth.sig, 'base64url');
    expect(verifySignature(bob.id, pullSigningBytes(alice.id, challenge.challenge, bob.id), sig)).toBe(true);
    expect(verifySignature(bob.id, pullSigningBytes(bob.id, challenge.challenge, bob.id), sig)).toBe(false);
    expect(verifySignature(bob.id, pullSigningBytes(alice.id, random.bytes(32).toString('base64url'), bob.id), sig)).toBe(false);
    for (const bad of ['', 'x', '{}', JSON.stringify({ ...challenge, id: 'x' }), JSON.stringify({ ...challenge, extra: 1 }), JSON.stringify({ challenge: 'short', id: alice.id })]) {
      expect(decodeChallenge(bad), bad).toBeNull();
    }
    for (const bad of ['', '{}', JSON.stringify({ ...auth, sig: 'short' }), JSON.stringify({ from: 'x', sig: auth.sig })]) {
      expect(decodePullAuth(bad), bad).toBeNull();
    }
  });

  it('the request round-trips: one JSON line', () => {
    const bytes = encodePullRequest(request);
    expect(bytes.at(-1)).toBe(0x0a);
    expect(decodePullRequest(bytes.subarray(0, -1).toString('utf8'))).toEqual(request);
    expect(decodePullRequest(JSON.stringify({ from: bob.id, chains: [] }))).toEqual({ from: bob.id, chains: [] });
  });

  it('a malformed request is refused by its schema, whole', () => {
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ chains: [] }),
      JSON.stringify({ from: bob.id, chains: [{ from: alice.id, tips: [] }] }),
      JSON.stringify({ from: bob.id, chains: [{ from: alice.id, tips: [{ seq: 0, id: first.id }] }] }),
      JSON.stringify({ from: bob.id, chains: [{ from: 'x', tips: [{ seq: 1, id: first.id }] }] }),
      JSON.stringify({ ...request, extra: 1 }),
    ]) {
      expect(decodePullRequest(bad), bad).toBeNull();
    }
  });

  it('transaction lines round-trip and keep their text; the end line carries the count', () => {
    for (const t of [first, second, claiming]) {
      const line = encodeBulkTxn(t);
      expect(line.endsWith('\n')).toBe(true);
      const text = line.slice(0, -1);
      const decoded = decodeBulkLine(text);
      expect(decoded).toEqual({ txn: JSON.parse(text), json: text });
      const w = fromWire((decoded as { txn: unknown }).txn);
      expect(w.ok && w.txn).toEqual(toWire(t));
    }
    expect(decodeBulkLine(encodeBulkEnd(3).slice(0, -1))).toEqual({ end: 3 });
    expect(decodeBulkLine('{"end":-1}')).toBeNull();
    expect(decodeBulkLine('{"end"')).toBeNull();
  });
});
