import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, sameAddress, tryParseAddress } from '../../src/runtime/address.ts';
import { LAMPORT_MAX_AHEAD, LamportClock, ManualClock } from '../../src/runtime/clock.ts';
import { isPeerlabError } from '../../src/runtime/errors.ts';
import { EventBus, EventLog, SILENT_TYPES, type PeerlabEvent } from '../../src/runtime/events.ts';
import { Identity, isValidId, shortId, SHORT_ID_LENGTH, verifySignature } from '../../src/runtime/identity.ts';
import { Prng } from '../../src/runtime/prng.ts';
import {
  formatBytes, formatDuration, parseBytes, parseDuration, parseProbability, tryParseBytes, tryParseDuration,
} from '../../src/runtime/units.ts';

describe('addresses', () => {
  it('parses IPv4, bracketed IPv6 and host names', () => {
    expect(tryParseAddress('127.0.0.1:5001')).toEqual({ host: '127.0.0.1', port: 5001 });
    expect(tryParseAddress('0.0.0.0:1')).toEqual({ host: '0.0.0.0', port: 1 });
    expect(tryParseAddress('10.1.2.3:65535')).toEqual({ host: '10.1.2.3', port: 65535 });
    expect(tryParseAddress('[::1]:5001')).toEqual({ host: '::1', port: 5001 });
    expect(tryParseAddress('[fe80::1:2]:80')).toEqual({ host: 'fe80::1:2', port: 80 });
    expect(tryParseAddress('example.com:443')).toEqual({ host: 'example.com', port: 443 });
    expect(tryParseAddress('node-1.lab.internal:7000')).toEqual({ host: 'node-1.lab.internal', port: 7000 });
    expect(tryParseAddress('a:1')).toEqual({ host: 'a', port: 1 });
  });

  it('normalises localhost to 127.0.0.1', () => {
    expect(tryParseAddress('localhost:5001')).toEqual({ host: '127.0.0.1', port: 5001 });
    expect(formatAddress(parseAddress('localhost:5001'))).toBe('127.0.0.1:5001');
  });

  it('refuses bad ports', () => {
    for (const text of ['127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:70000', '127.0.0.1:-1', '127.0.0.1:', '127.0.0.1:5e3',
      '127.0.0.1:1.5', '127.0.0.1: 80', '127.0.0.1:123456', '127.0.0.1:0x50', '[::1]:0', '[::1]:']) {
      expect(tryParseAddress(text), text).toBeNull();
    }
  });

  it('refuses junk without throwing', () => {
    const junk: unknown[] = [
      '', ':', ':5001', '5001', '127.0.0.1', 'host', '::1:5001', '[::1]5001', '[::1', '[127.0.0.1]:80', '[nothost]:80',
      'a b:80', 'exa_mple.com:80', '-bad.com:80', 'bad-.com:80', 'a..b:80', 'x.'.repeat(200) + 'y:80', 'é.com:80',
      'http://a:80', 'a:80/path', 'a:80:90', '\u0000:80',
      5001, null, undefined, {}, ['127.0.0.1:1'], { host: '127.0.0.1', port: 1 },
    ];
    for (const j of junk) expect(tryParseAddress(j), JSON.stringify(j)).toBeNull();
  });

  it('parseAddress throws a BAD_ADDRESS error naming what was expected', () => {
    let err: unknown;
    try {
      parseAddress('nope', 'advertise');
    } catch (e) {
      err = e;
    }
    expect(isPeerlabError(err, 'BAD_ADDRESS')).toBe(true);
    expect((err as Error).message).toMatch(/^advertise must look like host:port.*"nope"/);
  });

  it('formats IPv6 with brackets and round-trips', () => {
    for (const text of ['127.0.0.1:5001', '[::1]:5001', '[2001:db8::7]:9', 'example.com:80']) {
      expect(formatAddress(parseAddress(text))).toBe(text);
    }
    expect(sameAddress(parseAddress('localhost:1'), parseAddress('127.0.0.1:1'))).toBe(true);
    expect(sameAddress(parseAddress('127.0.0.1:1'), parseAddress('127.0.0.1:2'))).toBe(false);
  });
});

describe('durations, sizes, probabilities', () => {
  it('parses durations to milliseconds', () => {
    const cases: Array<[unknown, number]> = [
      ['200ms', 200], ['2s', 2000], ['1.5s', 1500], ['1.5m', 90_000], ['1h', 3_600_000], ['250', 250], [' 2s ', 2000],
      ['2 s', 2000], [0, 0], [100, 100], ['0ms', 0], ['0.5ms', 1],
    ];
    for (const [input, ms] of cases) expect(tryParseDuration(input), JSON.stringify(input)).toBe(ms);
  });

  it('refuses malformed durations', () => {
    for (const input of ['fast', '', 's', '-1s', '1d', '1S', '2 seconds', '1e3', '1,5s', -1, Number.NaN, Infinity, null, undefined, {}, true]) {
      expect(tryParseDuration(input), String(input)).toBeNull();
    }
    expect(() => parseDuration('fast', 'heartbeat interval')).toThrow(/^heartbeat interval must be a duration.*"fast"/);
    expect(isPeerlabError((() => { try { parseDuration('x'); } catch (e) { return e; } })(), 'BAD_DURATION')).toBe(true);
  });

  it('formats durations', () => {
    expect(formatDuration(200)).toBe('200ms');
    expect(formatDuration(2000)).toBe('2s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(90_000)).toBe('1.5m');
  });

  it('parses sizes to bytes', () => {
    const cases: Array<[unknown, number]> = [
      ['4096', 4096], [4096, 4096], ['10MB', 10_000_000], ['10 mb', 10_000_000], ['256MiB', 256 * 1024 ** 2],
      ['1.5KiB', 1536], ['1GiB', 1024 ** 3], ['8 KiB', 8192], ['0', 0], ['12B', 12],
    ];
    for (const [input, bytes] of cases) expect(tryParseBytes(input), JSON.stringify(input)).toBe(bytes);
    for (const input of ['big', '', '-1', '1PB', '10 M B', -1, 1.5, Number.NaN, '99999999999TiB', null]) {
      expect(tryParseBytes(input), String(input)).toBeNull();
    }
    expect(() => parseBytes('big', 'max file size')).toThrow(/^max file size must be a size.*"big"/);
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(256 * 1024 ** 2)).toBe('256.0 MiB');
  });

  it('parses probabilities in [0, 1] only', () => {
    expect(parseProbability(0)).toBe(0);
    expect(parseProbability(1)).toBe(1);
    expect(parseProbability('0.3')).toBe(0.3);
    for (const bad of [1.5, -0.1, '', ' ', 'x', Number.NaN, Infinity, null, undefined, {}]) {
      expect(() => parseProbability(bad, 'drop'), String(bad)).toThrow(/^drop must be a number between 0 and 1/);
    }
  });
});

describe('Prng', () => {
  const draw = (p: Prng, n = 100): number[] => Array.from({ length: n }, () => p.nextUint32());

  it('repeats a sequence for a seed, and differs between seeds', () => {
    expect(draw(new Prng(1))).toEqual(draw(new Prng(1)));
    expect(draw(new Prng('alpha'))).toEqual(draw(new Prng('alpha')));
    expect(draw(new Prng(1))).not.toEqual(draw(new Prng(2)));
    expect(draw(new Prng('alpha'))).not.toEqual(draw(new Prng('beta')));
    expect(draw(new Prng(0))).not.toEqual(draw(new Prng(1)));
  });

  it('draws uniformly in range', () => {
    const p = new Prng(9);
    const buckets = new Array(10).fill(0) as number[];
    for (let i = 0; i < 20_000; i++) {
      const x = p.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) expect(b).toBeGreaterThan(1700);
    for (let i = 0; i < 1000; i++) {
      const k = p.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
  });

  it('chance(0) is never and chance(1) is always, each drawing one number', () => {
    const a = new Prng(3);
    const b = new Prng(3);
    for (let i = 0; i < 100; i++) {
      expect(a.chance(0)).toBe(false);
      expect(a.chance(1)).toBe(true);
      b.next();
      b.next();
    }
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('pick, shuffle', () => {
    const p = new Prng(4);
    expect(() => p.pick([])).toThrow(/empty/);
    const items = Array.from({ length: 20 }, (_, i) => i);
    const s1 = new Prng(5).shuffle([...items]);
    const s2 = new Prng(5).shuffle([...items]);
    expect(s1).toEqual(s2);
    expect(s1).not.toEqual(items);
    expect([...s1].sort((x, y) => x - y)).toEqual(items);
    expect(items).toContain(p.pick(items));
  });

  it('forks are independent of the parent position and of each other', () => {
    const parent = new Prng(11);
    const early = draw(parent.fork('faults'));
    draw(parent, 1000);
    const late = draw(parent.fork('faults'));
    expect(late).toEqual(early);
    expect(draw(parent.fork('faults'))).not.toEqual(draw(parent.fork('heartbeat')));
    expect(draw(new Prng(12).fork('faults'))).not.toEqual(early);
    // Drawing from a fork does not move the parent.
    const p1 = new Prng(13);
    const p2 = new Prng(13);
    draw(p1.fork('x'), 500);
    expect(draw(p1)).toEqual(draw(p2));
    // A fork's sequence differs from its parent's.
    expect(draw(new Prng(13).fork('x'))).not.toEqual(draw(new Prng(13)));
  });
});

describe('LamportClock', () => {
  it('ticks by one', () => {
    const c = new LamportClock();
    expect(c.time).toBe(0);
    expect(c.tick()).toBe(1);
    expect(c.tick()).toBe(2);
    expect(c.time).toBe(2);
  });

  it('observe sets max(local, remote) + 1', () => {
    const c = new LamportClock(10);
    expect(c.observe(3)).toBe(11);
    expect(c.observe(11)).toBe(12);
    expect(c.observe(100)).toBe(101);
    expect(c.time).toBe(101);
    expect(c.observe(0)).toBe(102);
  });

  it('refuses unsafe, negative, non-integer or absurdly-far-ahead values, and keeps its time', () => {
    const c = new LamportClock(5);
    const bad: unknown[] = [-1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, 2 ** 60, '7', null, 5 + LAMPORT_MAX_AHEAD + 1];
    for (const b of bad) {
      expect(c.acceptable(b), String(b)).toBe(false);
      expect(() => c.observe(b as number), String(b)).toThrow(/not acceptable/);
      expect(c.time).toBe(5);
    }
    expect(c.acceptable(5 + LAMPORT_MAX_AHEAD)).toBe(true);
    expect(LAMPORT_MAX_AHEAD).toBeLessThan(Number.MAX_SAFE_INTEGER / 1000);
  });

  it('raiseTo never lowers', () => {
    const c = new LamportClock(10);
    c.raiseTo(5);
    expect(c.time).toBe(10);
    c.raiseTo(50);
    expect(c.time).toBe(50);
  });

  // DESIGN.md §3.1: "Lamport values must be safe integers". Accepting a value near the top of the
  // safe range must not push the clock past it, or every later message this node sends fails the
  // envelope schema (l <= MAX_SAFE_INTEGER) at its peers.
  it('stays a safe integer however many acceptable values it observes', () => {
    const c = new LamportClock(Number.MAX_SAFE_INTEGER - 2);
    for (let i = 0; i < 5; i++) {
      const remote = Math.min(c.time + 1, Number.MAX_SAFE_INTEGER);
      if (c.acceptable(remote)) c.observe(remote);
      expect(Number.isSafeInteger(c.time), `time ${c.time} after observing ${remote}`).toBe(true);
    }
  });

  it('a peer cannot walk the clock out of the safe range by steps of LAMPORT_MAX_AHEAD', () => {
    const c = new LamportClock(0);
    const steps = Math.ceil(Number.MAX_SAFE_INTEGER / LAMPORT_MAX_AHEAD) + 2;
    for (let i = 0; i < steps; i++) {
      const remote = Math.min(c.time + LAMPORT_MAX_AHEAD, Number.MAX_SAFE_INTEGER);
      if (c.acceptable(remote)) c.observe(remote);
    }
    expect(Number.isSafeInteger(c.time), `time ${c.time}`).toBe(true);
  });
});

describe('ManualClock', () => {
  it('fires timers in time order, ties in the order they were set', () => {
    const clock = new ManualClock(1000);
    const fired: Array<[string, number]> = [];
    const at = (label: string) => () => fired.push([label, clock.now()]);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a'), 10);
    clock.setTimeout(at('b1'), 20);
    clock.setTimeout(at('b2'), 20);
    clock.setTimeout(at('late'), 100);
    clock.advance(50);
    expect(fired).toEqual([['a', 1010], ['b1', 1020], ['b2', 1020], ['c', 1030]]);
    expect(clock.now()).toBe(1050);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(50);
    expect(fired.at(-1)).toEqual(['late', 1100]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('honours timers set by timers within the same advance, and not beyond it', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const again = (): void => {
      fired.push(clock.now());
      clock.setTimeout(again, 10);
    };
    clock.setTimeout(again, 10);
    clock.advance(35);
    expect(fired).toEqual([10, 20, 30]);
    expect(clock.pendingTimers()).toBe(1);
    const zero: number[] = [];
    clock.setTimeout(() => zero.push(clock.now()), 0);
    clock.setTimeout(() => zero.push(clock.now()), -5);
    clock.advance(0);
    expect(zero).toEqual([35, 35]);
  });

  it('clearTimeout cancels, and ignores undefined', () => {
    const clock = new ManualClock(0);
    let fired = 0;
    const h = clock.setTimeout(() => fired++, 10);
    clock.setTimeout(() => fired++, 10);
    clock.clearTimeout(h);
    clock.clearTimeout(undefined);
    clock.advance(20);
    expect(fired).toBe(1);
  });
});

function ev(type: string, time: number, data: unknown = {}): PeerlabEvent {
  return { type, node: 'n', lamport: time, time, data } as PeerlabEvent;
}

describe('EventLog and EventBus', () => {
  it('filters by type, types, since, peer and limit', () => {
    const log = new EventLog();
    log.add(ev('peer-added', 1, { peer: 'a' }));
    log.add(ev('peer-removed', 2, { peer: 'a' }));
    log.add(ev('peer-added', 3, { peer: 'b' }));
    log.add(ev('log', 4, { level: 'info', message: 'x' }));
    expect(log.list().map((e) => e.time)).toEqual([1, 2, 3, 4]);
    expect(log.list('peer-added').map((e) => e.time)).toEqual([1, 3]);
    expect(log.list({ type: ['peer-added', 'log'] }).map((e) => e.time)).toEqual([1, 3, 4]);
    expect(log.list({ since: 3 }).map((e) => e.time)).toEqual([3, 4]);
    expect(log.list({ peer: 'a' }).map((e) => e.time)).toEqual([1, 2]);
    expect(log.list({ limit: 2 }).map((e) => e.time)).toEqual([3, 4]);
    expect(log.list({ type: 'peer-added', peer: 'b' }).map((e) => e.time)).toEqual([3]);
    expect(log.list('nothing')).toEqual([]);
  });

  it('clear empties the log and says how many went', () => {
    const log = new EventLog();
    for (let i = 0; i < 5; i++) log.add(ev('log', i));
    expect(log.clear()).toBe(5);
    expect(log.size).toBe(0);
    expect(log.list()).toEqual([]);
    expect(log.clear()).toBe(0);
  });

  it('keeps at most its capacity, newest last', () => {
    const log = new EventLog(3);
    for (let i = 1; i <= 10; i++) log.add(ev('log', i));
    expect(log.size).toBe(3);
    expect(log.list().map((e) => e.time)).toEqual([8, 9, 10]);
  });

  it('keeps silent types (pings, acks, file progress) out of the log', () => {
    const log = new EventLog();
    for (const t of ['ping', 'ack', 'file-progress']) {
      expect(SILENT_TYPES.has(t)).toBe(true);
      log.add(ev(t, 1));
    }
    log.add(ev('peer-added', 2));
    expect(log.list().map((e) => e.type)).toEqual(['peer-added']);
  });

  it('a throwing listener does not stop the others; * sees everything; off unsubscribes', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('log', () => {
      throw new Error('broken listener');
    });
    const off = bus.on('log', (e) => seen.push(`log:${e.time}`));
    bus.on('*', (e) => seen.push(`*:${e.type}`));
    expect(() => bus.emit(ev('log', 1))).not.toThrow();
    off();
    bus.emit(ev('log', 2));
    bus.emit(ev('peer-added', 3));
    expect(seen).toEqual(['log:1', '*:log', '*:log', '*:peer-added']);
  });

  it('waitFor resolves on the first matching event and rejects after its bound', async () => {
    const bus = new EventBus();
    const p = bus.waitFor('log', (e) => e.time === 2, 1000);
    bus.emit(ev('log', 1));
    bus.emit(ev('log', 2));
    expect((await p).time).toBe(2);
    await expect(bus.waitFor('peer-added', () => true, 20)).rejects.toThrow(/timed out after 20ms waiting for peer-added/);
  });
});

describe('Identity', () => {
  const me = Identity.generate();
  const other = Identity.generate();
  const data = Buffer.from('peerlab says hello');
  const sig = me.sign(data);

  it('ids are 43-char base64url public keys with an 8-char short form', () => {
    expect(isValidId(me.id)).toBe(true);
    expect(Buffer.from(me.id, 'base64url')).toHaveLength(32);
    expect(me.id).not.toBe(other.id);
    expect(me.shortId).toBe(me.id.slice(0, SHORT_ID_LENGTH));
    expect(shortId(me.id)).toHaveLength(8);
    expect(Identity.fromPem(me.toPem()).id).toBe(me.id);
  });

  it('signs and verifies', () => {
    expect(sig).toHaveLength(64);
    expect(verifySignature(me.id, data, sig)).toBe(true);
    expect(verifySignature(me.id, new Uint8Array(data), new Uint8Array(sig))).toBe(true);
  });

  it('verifySignature is false for tampered data or signature, another key, bad ids and wrong lengths', () => {
    const tampered = Buffer.from(data);
    tampered[0]! ^= 1;
    expect(verifySignature(me.id, tampered, sig)).toBe(false);
    const badSig = Buffer.from(sig);
    badSig[10]! ^= 0x80;
    expect(verifySignature(me.id, data, badSig)).toBe(false);
    expect(verifySignature(other.id, data, sig)).toBe(false);
    for (const id of ['', 'short', me.id + 'A', me.id.slice(0, 42), me.id.slice(0, 42) + '!', 'A'.repeat(43), '_'.repeat(43), 'x'.repeat(44)]) {
      expect(verifySignature(id, data, sig), id).toBe(false);
    }
    expect(verifySignature(123 as unknown as string, data, sig)).toBe(false);
    for (const len of [0, 1, 63, 65, 128]) {
      const s = Buffer.alloc(len);
      sig.copy(s, 0, 0, Math.min(len, 64));
      expect(verifySignature(me.id, data, s), `length ${len}`).toBe(false);
    }
  });

  it('isValidId refuses non-strings and malformed ids', () => {
    for (const bad of [undefined, null, 42, {}, '', 'abc', me.id + '=', `${me.id.slice(0, 42)}+`]) expect(isValidId(bad)).toBe(false);
  });
});
