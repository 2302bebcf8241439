import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Identity, verifySignature } from '../../../src/runtime/identity.ts';
import { MemoryStreamNetwork } from '../../../src/runtime/net/memory-streams.ts';
import { MemoryNetwork } from '../../../src/runtime/net/memory-transport.ts';
import { Node } from '../../../src/runtime/node.ts';
import { helloSigningBytes, MAX_PEERS_PER_MESSAGE, type HelloBody } from '../../../src/runtime/wire/membership.ts';
import {
  assertValidBody, decode, DEFAULT_MAX_DATAGRAM, encode, PROTOCOL_VERSION,
  type DecodeResult, type Envelope, type RejectReason,
} from '../../../src/runtime/wire/messages.ts';
import { until } from '../../helpers.ts';

const alice = Identity.generate();
const bob = Identity.generate();
/** A signature's shape (what the schema checks; the handlers verify it). */
const SIG = 'S'.repeat(86);

function env<B>(t: string, b: B, over: Partial<Envelope> = {}): Envelope<B> {
  return { v: PROTOCOL_VERSION, t, f: alice.id, l: 7, id: randomUUID(), b, ...over } as Envelope<B>;
}

function signedHello(id: Identity, over: Partial<Omit<HelloBody, 'sig'>> = {}): HelloBody {
  const body: Omit<HelloBody, 'sig'> = {
    name: 'alice', addr: '127.0.0.1:5001', version: PROTOCOL_VERSION,
    params: { initialBalance: '1000.00', scale: 2 }, nonce: 'abcdefgh12345678', reply: true, ...over,
  };
  return { ...body, sig: id.sign(helloSigningBytes(id.id, body)).toString('base64url') };
}

function reason(r: DecodeResult): RejectReason | 'ok' {
  return r.ok ? 'ok' : r.reason;
}

/** Decodes a raw JSON text (so keys such as __proto__ reach the parser verbatim). */
function decodeText(text: string): DecodeResult {
  return decode(Buffer.from(text, 'utf8'));
}

/** A valid envelope as JSON text with `bodyText` spliced in as its body. */
function withBodyText(t: string, bodyText: string): string {
  return `{"v":${PROTOCOL_VERSION},"t":${JSON.stringify(t)},"f":"${alice.id}","l":1,"id":"${randomUUID()}","b":${bodyText}}`;
}

describe('wire: a hello on the wire', () => {
  it('a decoded hand-built hello carries a signature that verifies, and only for its signer', () => {
    const r = decode(encode(env('hello', signedHello(alice))));
    if (!r.ok) throw new Error(`hello rejected: ${r.reason} ${r.detail}`);
    const b = r.msg.b as HelloBody;
    expect(verifySignature(r.msg.f, helloSigningBytes(r.msg.f, b), Buffer.from(b.sig, 'base64url'))).toBe(true);
    expect(verifySignature(bob.id, helloSigningBytes(bob.id, b), Buffer.from(b.sig, 'base64url'))).toBe(false);
    expect(verifySignature(r.msg.f, helloSigningBytes(r.msg.f, { ...b, name: 'mallory' }), Buffer.from(b.sig, 'base64url'))).toBe(false);
  });

  it('a hello sent by a real Node (through Membership) decodes and its signature verifies', async () => {
    const net = new MemoryNetwork();
    const sink = net.transport('127.0.0.1', 6999);
    const got: Buffer[] = [];
    sink.onReceive((d) => got.push(d));
    await sink.start();
    const node = new Node({ name: 'sender', memory: true, seed: 1, transport: net.transport('127.0.0.1', 6001), streams: new MemoryStreamNetwork().transport() });
    await node.start();
    try {
      const joining = node.join('127.0.0.1:6999').catch((e: unknown) => e);
      await until(() => got.length > 0, 'the hello arrives', 2000, 1);
      await node.stop();
      expect(String(await joining)).toMatch(/stopped/);
      const r = decode(got[0]!);
      if (!r.ok) throw new Error(`hello from Node rejected: ${r.reason} ${r.detail}`);
      expect(r.msg.t).toBe('hello');
      expect(r.msg.f).toBe(node.id);
      const b = r.msg.b as HelloBody;
      expect(b).toMatchObject({ name: 'sender', addr: '127.0.0.1:6001', version: PROTOCOL_VERSION, reply: true });
      expect(verifySignature(r.msg.f, helloSigningBytes(r.msg.f, b), Buffer.from(b.sig, 'base64url'))).toBe(true);
    } finally {
      await node.stop();
      await sink.stop();
    }
  });
});

describe('wire: decode rejects with a reason', () => {
  it('too-large: over the limit is refused before parsing; exactly at the limit is fine', () => {
    const base = encode(env('ping', { seq: 1 }));
    const atLimit = Buffer.concat([base, Buffer.alloc(DEFAULT_MAX_DATAGRAM - base.length, 0x20)]);
    expect(atLimit.length).toBe(DEFAULT_MAX_DATAGRAM);
    expect(reason(decode(atLimit))).toBe('ok');
    const over = Buffer.concat([atLimit, Buffer.from(' ')]);
    expect(reason(decode(over))).toBe('too-large');
    expect(reason(decode(Buffer.alloc(100_000, 0x7b)))).toBe('too-large');
    expect(reason(decode(base, base.length - 1))).toBe('too-large');
  });

  it('not-json', () => {
    for (const text of ['', 'hello', '{', '{"v":1,', '\u0000\u0001', '{v:1}', "{'v':1}"]) {
      expect(reason(decodeText(text)), JSON.stringify(text)).toBe('not-json');
    }
    expect(reason(decode(Buffer.from([0xff, 0xfe, 0x00, 0x80])))).toBe('not-json');
  });

  it('bad-envelope: not an object, missing or extra fields, wrong field types', () => {
    const good = env('ping', { seq: 1 });
    const cases: unknown[] = [
      null, 1, 'x', [], [good],
      { ...good, extra: 1 },
      ...(['v', 't', 'f', 'l', 'id', 'b'] as const).map((k) => { const c: Record<string, unknown> = { ...good }; delete c[k]; return c; }),
      { ...good, v: '1' }, { ...good, v: 1.5 },
      { ...good, t: 5 }, { ...good, t: 'x'.repeat(33) },
      { ...good, f: 'short' }, { ...good, f: alice.id + 'A' }, { ...good, f: alice.id.slice(0, 42) + '!' },
      { ...good, l: -1 }, { ...good, l: 1.5 }, { ...good, l: Number.MAX_SAFE_INTEGER + 2 }, { ...good, l: '1' },
      { ...good, id: 'not-a-uuid' }, { ...good, id: good.id.toUpperCase() },
      { ...good, b: null }, { ...good, b: [] }, { ...good, b: 'body' },
    ];
    for (const c of cases) expect(reason(decodeText(JSON.stringify(c))), JSON.stringify(c)).toBe('bad-envelope');
  });

  it('unsupported-version, with the partial envelope for a clear refusal', () => {
    for (const v of [0, 1, 3, 99, 65536]) {
      const r = decode(encode(env('hello', signedHello(alice), { v })));
      expect(reason(r)).toBe('unsupported-version');
      if (!r.ok) expect(r.partial?.t).toBe('hello');
    }
  });

  it('unknown-type, including names that exist on Object.prototype', () => {
    for (const t of ['txn-nope', '', 'PING', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(reason(decode(encode(env(t, {})))), t).toBe('unknown-type');
    }
  });

  it('bad-body: a wrong body for each type', () => {
    const cases: Array<[string, unknown]> = [
      ['hello', { ...signedHello(alice), sig: 'short' }],
      ['hello', { ...signedHello(alice), version: -1 }],
      ['hello', { ...signedHello(alice), params: { initialBalance: '1e3', scale: 2 } }],
      ['hello', { ...signedHello(alice), params: { initialBalance: '1000', scale: 9 } }],
      ['hello', { ...signedHello(alice), nonce: 'short' }],
      ['hello', { ...signedHello(alice), reply: 'yes' }],
      ['hello', (({ name: _n, ...rest }) => rest)(signedHello(alice))],
      ['refuse', { code: 'X', reason: 'r'.repeat(501), sig: SIG }],
      ['refuse', { reason: 'no code', sig: SIG }],
      ['refuse', { code: 'X', reason: 'unsigned' }],
      ['refuse', { code: 'X', reason: 'r', clock: -1, sig: SIG }],
      ['ping', {}],
      ['ping', { seq: -1 }],
      ['ping', { seq: '1' }],
      ['ping', { seq: 1, extra: true }],
      ['ping', { seq: 1, dg: 'd'.repeat(65) }],
      ['ack', { seq: Number.MAX_SAFE_INTEGER + 2 }],
      ['ping-req', { target: 'bad', addr: '127.0.0.1:1', seq: 1 }],
      ['ping-req', { target: bob.id, addr: 'x', seq: 1 }],
      ['indirect-ack', { target: bob.id }],
      ['peers-req', { seq: 1.5 }],
      ['peers', { peers: {} }],
      ['peers', { peers: [{ id: bob.id, addr: '127.0.0.1:1' }] }],
      ['peers', { peers: [{ id: bob.id, addr: '127.0.0.1:1', name: 'b', admin: true }] }],
      ['peers', { peers: Array.from({ length: MAX_PEERS_PER_MESSAGE + 1 }, () => ({ id: bob.id, addr: '127.0.0.1:1', name: 'b' })) }],
      ['bye', { reason: 'bye' }],
      ['bye', {}],
      ['bye', { sig: 'short' }],
    ];
    for (const [t, b] of cases) {
      const r = decode(encode(env(t, b)));
      expect(reason(r), `${t} ${JSON.stringify(b).slice(0, 80)}`).toBe('bad-body');
      if (!r.ok) expect(r.detail.startsWith(`${t}:`)).toBe(true);
      expect(() => assertValidBody(t, b)).toThrow(new RegExp(`invalid ${t} body`));
    }
  });

  it('never throws, whatever the bytes', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const valid = encode(env('hello', signedHello(alice)));
    for (let i = 0; i < 3000; i++) {
      let data: Buffer;
      if (i % 3 === 0) {
        data = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      } else {
        data = Buffer.from(valid);
        const n = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < n; k++) data[Math.floor(rnd() * data.length)] = Math.floor(rnd() * 256);
        if (i % 3 === 2) data = data.subarray(0, Math.floor(rnd() * data.length));
      }
      const r = decode(data);
      expect(typeof r.ok).toBe('boolean');
    }
    // Deep nesting, at the size limit.
    const depth = Math.floor((DEFAULT_MAX_DATAGRAM - 300) / 6);
    expect(reason(decodeText(withBodyText('ping', '{"a":'.repeat(depth) + '1' + '}'.repeat(depth))))).toBe('bad-body');
    expect(reason(decodeText('['.repeat(DEFAULT_MAX_DATAGRAM / 2) + ']'.repeat(DEFAULT_MAX_DATAGRAM / 2)))).toBe('bad-envelope');
    expect(reason(decodeText('['.repeat(DEFAULT_MAX_DATAGRAM)))).toBe('not-json');
    // A subarray of a larger buffer decodes only its own bytes.
    const inner = encode(env('ping', { seq: 9 }));
    const outer = Buffer.concat([Buffer.from('garbage'), inner, Buffer.from('garbage')]);
    expect(reason(decode(outer.subarray(7, 7 + inner.length)))).toBe('ok');
  });
});

describe('wire: prototype pollution', () => {
  const POISON = ['__proto__', 'constructor', 'prototype'];

  function assertClean(): void {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.keys(Object.prototype)).toEqual([]);
  }

  it('rejects poisoned keys in the envelope', () => {
    const good = JSON.stringify(env('ping', { seq: 1 }));
    for (const key of POISON) {
      const text = good.slice(0, -1) + `,"${key}":{"polluted":true}}`;
      expect(reason(decodeText(text)), key).toBe('bad-envelope');
      const first = `{"${key}":{"polluted":true},` + good.slice(1);
      expect(reason(decodeText(first)), key).toBe('bad-envelope');
    }
    assertClean();
  });

  it('rejects poisoned keys in every body, nested ones included', () => {
    for (const key of POISON) {
      const poison = `"${key}":{"polluted":true}`;
      const bodies: Array<[string, string]> = [
        ['ping', `{"seq":1,${poison}}`],
        ['ack', `{${poison},"seq":1}`],
        ['bye', `{"sig":"${SIG}",${poison}}`],
        ['peers-req', `{"seq":1,${poison}}`],
        ['indirect-ack', `{"target":"${bob.id}","seq":1,${poison}}`],
        ['ping-req', `{"target":"${bob.id}","addr":"127.0.0.1:1","seq":1,${poison}}`],
        ['refuse', `{"code":"X","reason":"r","sig":"${SIG}",${poison}}`],
        ['peers', `{"peers":[{"id":"${bob.id}","addr":"127.0.0.1:1","name":"b",${poison}}]}`],
        ['peers', `{"peers":[],${poison}}`],
        ['hello', JSON.stringify(signedHello(alice)).slice(0, -1) + `,${poison}}`],
        ['hello', JSON.stringify(signedHello(alice)).replace('"scale":2', `"scale":2,${poison}`)],
      ];
      for (const [t, body] of bodies) {
        expect(reason(decodeText(withBodyText(t, body))), `${t} ${key}`).toBe('bad-body');
      }
    }
    assertClean();
  });

  it('a rejected poisoned message does not change objects made afterwards', () => {
    decodeText(withBodyText('ping', '{"seq":1,"__proto__":{"polluted":true,"seq":"x"}}'));
    const fresh = JSON.parse('{"seq":1}') as Record<string, unknown>;
    expect(fresh.polluted).toBeUndefined();
    assertClean();
  });
});
