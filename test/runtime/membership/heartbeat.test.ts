/**
 * The Heartbeat state machine on its own (no Node, so no other traffic refreshes peers): which
 * probes it sends on a tick, given each peer's last sign of life (DESIGN.md §3.3, SWIM).
 */
import { describe, expect, it } from 'vitest';
import type { Address } from '../../../src/runtime/address.ts';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { Identity } from '../../../src/runtime/identity.ts';
import { Heartbeat, PROBES_PER_INTERVAL } from '../../../src/runtime/membership/heartbeat.ts';
import type { Membership } from '../../../src/runtime/membership/membership.ts';
import { PeerTable, type Peer } from '../../../src/runtime/membership/peer-table.ts';
import type { Messenger } from '../../../src/runtime/net/messenger.ts';
import { Prng } from '../../../src/runtime/prng.ts';

const SETTINGS = { interval: 200, timeout: 2000 };

interface Sent {
  to: string;
  type: string;
  body: Record<string, unknown>;
}

function rig() {
  const clock = new ManualClock(100_000);
  const self = Identity.generate();
  const table = new PeerTable(self.id, () => '127.0.0.1:5000');
  const sent: Sent[] = [];
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  const expired: string[] = [];
  const messenger = {
    handle: () => undefined,
    send: (to: Address, type: string, body: Record<string, unknown>) => {
      sent.push({ to: `${to.host}:${to.port}`, type, body });
      return 'id';
    },
  } as unknown as Messenger;
  const membership = {
    expire: (p: Peer) => {
      table.markDead(p, clock.now(), clock.monotonic(), 1000);
      expired.push(p.name);
    },
    onContact: () => undefined,
  } as unknown as Membership;
  const emit = (type: string, data: Record<string, unknown>): void => void events.push({ type, data });
  const hb = new Heartbeat({ settings: SETTINGS, table, membership, messenger, clock, prng: new Prng(1), emit });
  const add = (name: string, port: number, silentMs: number, probedMsAgo: number): Peer => {
    const { peer } = table.upsert(Identity.generate().id, { host: '127.0.0.1', port }, name, clock.now() - silentMs);
    peer.lastSeen = clock.now() - silentMs;
    peer.lastProbe = clock.now() - probedMsAgo;
    return peer;
  };
  return { clock, table, sent, events, expired, hb, add };
}

describe('Heartbeat tick', () => {
  it('probes a peer quiet for one interval directly, and not a fresh one', () => {
    const r = rig();
    r.add('fresh', 5001, 50, 50);
    const quiet = r.add('quiet', 5002, 250, 250);
    r.hb.tick(r.clock.now());
    expect(r.sent.map((s) => [s.type, s.to])).toEqual([['ping', quiet.addr]]);
    expect(quiet.lastProbe).toBe(r.clock.now());
  });

  it('suspects after suspectAfter and removes after the whole timeout', () => {
    const r = rig();
    r.add('suspect', 5001, r.hb.suspectAfter + 1, 10);
    r.add('gone', 5002, SETTINGS.timeout, 10);
    r.hb.tick(r.clock.now());
    expect(r.events.map((e) => [e.type, e.data.name])).toEqual([['peer-suspected', 'suspect']]);
    expect(r.expired).toEqual(['gone']);
    expect(r.hb.suspectAfter).toBeGreaterThanOrEqual(2 * SETTINGS.interval);
    expect(r.hb.suspectAfter).toBeLessThanOrEqual(SETTINGS.timeout / 2);
  });

  // SWIM: any live member can probe on our behalf. In steady state a healthy peer is probed once
  // per interval, so its last sign of life is usually a little over one interval old.
  it('asks a healthy helper (last heard just over one interval ago) to probe a silent peer', () => {
    const r = rig();
    const target = r.add('silent', 5001, 3 * SETTINGS.interval, 10);
    const helper = r.add('helper', 5002, SETTINGS.interval + 10, 10);
    r.hb.tick(r.clock.now());
    const pingReqs = r.sent.filter((s) => s.type === 'ping-req');
    expect(pingReqs, 'no indirect probe was sent: the only live helper was filtered out').toEqual([
      { to: helper.addr, type: 'ping-req', body: { target: target.id, addr: target.addr, seq: expect.any(Number) } },
    ]);
  });

  it('does not postpone an indirect probe by a whole interval when no helper was available on the last tick', () => {
    const r = rig();
    const target = r.add('silent', 5001, 3 * SETTINGS.interval, 10);
    const helper = r.add('helper', 5002, 5 * SETTINGS.interval, 10);
    r.hb.tick(r.clock.now());
    expect(r.sent.filter((s) => s.type === 'ping-req')).toEqual([]);
    // The helper speaks; on the next tick it can help.
    r.clock.advance(r.hb.tickMs);
    helper.lastSeen = r.clock.now();
    helper.state = 'alive';
    r.hb.tick(r.clock.now());
    expect(r.sent.filter((s) => s.type === 'ping-req').map((s) => [s.to, s.body.target])).toEqual([[helper.addr, target.id]]);
  });

  it('does not ask a silent peer to probe another silent peer', () => {
    const r = rig();
    r.add('silent1', 5001, 3 * SETTINGS.interval, 10);
    r.add('silent2', 5002, 3 * SETTINGS.interval, 10);
    r.hb.tick(r.clock.now());
    expect(r.sent.filter((s) => s.type === 'ping-req')).toEqual([]);
  });

  it('sends a constant number of probes per interval, however many quiet peers it has', () => {
    const r = rig();
    for (let i = 0; i < 60; i++) r.add(`p${i}`, 6000 + i, SETTINGS.interval + 50, 10 * SETTINGS.interval);
    const ticks = SETTINGS.interval / r.hb.tickMs;
    for (let t = 0; t < ticks; t++) {
      r.hb.tick(r.clock.now());
      r.clock.advance(r.hb.tickMs);
    }
    expect(r.sent.filter((s) => s.type === 'ping').length).toBe(PROBES_PER_INTERVAL);
  });

  it('counts a peer silent only once it was asked: waiting for its turn is no evidence, an unanswered probe is', () => {
    const r = rig();
    const waiting = Array.from({ length: 60 }, (_, i) => r.add(`p${i}`, 6000 + i, SETTINGS.interval + 50, 10 * SETTINGS.interval));
    const probed = new Map<string, number>();
    // Nobody answers. Over the whole timeout, the peers probed early are removed a timeout after
    // their first probe; the ones never reached are neither suspected nor removed.
    for (let t = 0; t * r.hb.tickMs <= 2 * SETTINGS.timeout; t++) {
      r.hb.tick(r.clock.now());
      for (const s of r.sent.splice(0)) if (s.type === 'ping' && !probed.has(s.to)) probed.set(s.to, r.clock.now());
      r.clock.advance(r.hb.tickMs);
    }
    const removed = new Set(r.expired);
    const never = waiting.filter((p) => !probed.has(p.addr));
    expect(never.length).toBeGreaterThan(0);
    for (const p of never) expect(removed.has(p.name), p.name).toBe(false);
    const early = waiting.filter((p) => (probed.get(p.addr) ?? Infinity) <= 100_000 + SETTINGS.interval);
    expect(early.length).toBe(PROBES_PER_INTERVAL);
    for (const p of early) expect(removed.has(p.name), p.name).toBe(true);
  });
});
