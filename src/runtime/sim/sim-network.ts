import { formatAddress, type Address } from '../address.ts';
import { PeerlabError } from '../errors.ts';
import type { Transport } from '../net/transport.ts';
import { Prng, hashString } from '../prng.ts';
import type { Scheduled, Scheduler } from './scheduler.ts';

/** A simulated link: a datagram arrives `latencyMs + jitterMs * u` after it is sent (u uniform in [0, 1), per link). */
export interface LinkModel {
  latencyMs: number;
  jitterMs: number;
}

/** A datagram in flight, as `sim.inflight()` lists it. */
export interface InflightDatagram {
  /** The message id (from its envelope), which `deliver` / `drop` take (a prefix will do). */
  id: string;
  type: string;
  from: string;
  to: string;
  /** Virtual time it is due, ms. */
  dueMs: number;
  bytes: number;
}

/** What a hand decision (`drop`) reports, for the trace. */
export interface HandDrop {
  /** The sending node's label (its name), as its transport was given. */
  node: string;
  id: string;
  type: string;
  from: string;
  to: string;
  lamport: number;
  bytes: number;
}

interface Flight {
  serial: number;
  sender: SimTransport;
  from: Address;
  to: string;
  data: Buffer;
  event: Scheduled;
  header?: { id: string; type: string; lamport: number };
}

/**
 * The simulated datagram network (DESIGN.md §6): the encoded bytes a node's messenger sends cross
 * it after a per-link latency and jitter drawn from seeded PRNGs, and reach the receiver's
 * messenger to be decoded and validated as on UDP. Faults (drops, delays, duplicates, partitions)
 * stay where they are on real sockets: in each node's fault plan. While the simulation is paused,
 * datagrams in flight can be listed, delivered or dropped by hand.
 */
export class SimNetwork {
  private readonly endpoints = new Map<string, SimTransport>();
  private readonly flights = new Map<number, Flight>();
  private readonly links = new Map<string, Prng>();
  private serial = 0;
  private nextPort = 40000;
  /** Datagrams handed to a receiver so far. */
  delivered = 0;
  /** Datagrams sent so far. */
  sent = 0;
  /** Told of each datagram dropped by hand (the trace records it). */
  onHandDrop: (d: HandDrop) => void = () => {};

  constructor(
    private readonly scheduler: Scheduler,
    private readonly seed: number,
    readonly model: LinkModel,
  ) {}

  /** A node's end of the network; `label` (its name) names it in hand decisions. */
  transport(host = '127.0.0.1', port = 0, label = ''): SimTransport {
    return new SimTransport(this, host, port, label);
  }

  /** @internal */
  bind(t: SimTransport, host: string, port: number): Address {
    let p = port;
    if (p === 0) while (this.endpoints.has(formatAddress({ host, port: (p = this.nextPort++) })));
    const a = { host, port: p };
    const key = formatAddress(a);
    if (this.endpoints.has(key)) throw new PeerlabError('IO', `address ${key} is already in use`);
    this.endpoints.set(key, t);
    return a;
  }

  /** @internal */
  unbind(a: Address): void {
    this.endpoints.delete(formatAddress(a));
  }

  /** @internal */
  send(sender: SimTransport, to: Address, data: Buffer): void {
    const from = sender.address;
    const toKey = keyOf(to);
    const m = this.model;
    const latency = m.latencyMs + (m.jitterMs > 0 ? m.jitterMs * sender.link(toKey, () => this.link(keyOf(from), toKey)).next() : 0);
    const serial = this.serial++;
    this.sent++;
    const event = this.scheduler.after(latency, () => this.arrive(serial));
    this.flights.set(serial, { serial, sender, from, to: toKey, data, event });
  }

  /** Datagrams in flight, soonest first. */
  inflight(): InflightDatagram[] {
    return [...this.flights.values()]
      .sort((a, b) => a.event.time - b.event.time || a.serial - b.serial)
      .map((f) => {
        const h = header(f);
        return { id: h.id, type: h.type, from: formatAddress(f.from), to: f.to, dueMs: f.event.time, bytes: f.data.length };
      });
  }

  /** Delivers a datagram in flight now (by message id or a prefix of it); returns what it was. */
  deliver(id: string): InflightDatagram {
    const f = this.find(id);
    const d = this.describe(f);
    this.scheduler.cancel(f.event);
    this.arrive(f.serial);
    return d;
  }

  /** Loses a datagram in flight (by message id or a prefix of it); returns what it was. */
  drop(id: string): InflightDatagram {
    const f = this.find(id);
    const d = this.describe(f);
    this.scheduler.cancel(f.event);
    this.flights.delete(f.serial);
    const h = header(f);
    this.onHandDrop({ node: f.sender.label, id: h.id, type: h.type, from: d.from, to: d.to, lamport: h.lamport, bytes: d.bytes });
    return d;
  }

  private describe(f: Flight): InflightDatagram {
    const h = header(f);
    return { id: h.id, type: h.type, from: formatAddress(f.from), to: f.to, dueMs: f.event.time, bytes: f.data.length };
  }

  /** The flight a message id (or an unambiguous prefix) names; of duplicates, the one due first. */
  private find(id: string): Flight {
    if (typeof id !== 'string' || id.length === 0) throw new PeerlabError('BAD_ARGUMENT', 'name a datagram in flight by its message id (see sim.inflight())');
    const all = [...this.flights.values()].sort((a, b) => a.event.time - b.event.time || a.serial - b.serial);
    const matches = all.filter((f) => header(f).id.startsWith(id));
    const ids = new Set(matches.map((f) => header(f).id));
    if (ids.size === 0) {
      const listed = all.slice(0, 8).map((f) => `${header(f).id.slice(0, 8)} ${header(f).type}`).join(', ');
      throw new PeerlabError('NOT_IN_FLIGHT', `no datagram ${id} in flight${all.length ? ` (in flight: ${listed}${all.length > 8 ? ', ...' : ''})` : ' (nothing is in flight)'}`);
    }
    if (ids.size > 1) throw new PeerlabError('BAD_ARGUMENT', `${id} names ${ids.size} datagrams in flight: give more of the id`);
    return matches[0]!;
  }

  private arrive(serial: number): void {
    const f = this.flights.get(serial);
    if (!f) return;
    this.flights.delete(serial);
    const target = this.endpoints.get(f.to);
    if (!target) return; // nobody listens there: lost, as on UDP
    this.delivered++;
    target.receive(f.data, f.from);
  }

  private link(from: string, to: string): Prng {
    const key = `${from}>${to}`;
    let p = this.links.get(key);
    if (!p) this.links.set(key, (p = new Prng(hashString(`${this.seed}:link:${key}`))));
    return p;
  }
}

/** `host:port` of an address object, computed once per object (peers' addresses are long-lived). */
const keys = new WeakMap<Address, string>();
function keyOf(a: Address): string {
  let k = keys.get(a);
  if (k === undefined) keys.set(a, (k = formatAddress(a)));
  return k;
}

function header(f: Flight): { id: string; type: string; lamport: number } {
  if (!f.header) {
    let v: { id?: unknown; t?: unknown; l?: unknown } = {};
    try {
      v = JSON.parse(f.data.toString('utf8')) as typeof v;
    } catch {
      // Not an envelope (a fuzz test's bytes): listed by its serial.
    }
    f.header = {
      id: typeof v.id === 'string' ? v.id : `datagram-${f.serial}`,
      type: typeof v.t === 'string' ? v.t : '?',
      lamport: typeof v.l === 'number' ? v.l : 0,
    };
  }
  return f.header;
}

/** One node's end of the simulated datagram network. */
export class SimTransport implements Transport {
  private bound: Address;
  private running = false;
  /** This sender's links, by destination: their jitter PRNGs (the network's, cached here). */
  private readonly links = new Map<string, Prng>();
  private handler: (data: Buffer, from: Address) => void = () => {};

  constructor(
    private readonly net: SimNetwork,
    host: string,
    port: number,
    readonly label: string,
  ) {
    this.bound = { host, port };
  }

  get address(): Address {
    return this.bound;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.bound = this.net.bind(this, this.bound.host, this.bound.port);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.net.unbind(this.bound);
  }

  send(to: Address, data: Buffer): void {
    if (this.running) this.net.send(this, to, data);
  }

  onReceive(handler: (data: Buffer, from: Address) => void): void {
    this.handler = handler;
  }

  /** @internal The link to `to`, made by `make` the first time. */
  link(to: string, make: () => Prng): Prng {
    let p = this.links.get(to);
    if (!p) this.links.set(to, (p = make()));
    return p;
  }

  /** @internal */
  receive(data: Buffer, from: Address): void {
    if (!this.running) return;
    try {
      this.handler(data, from);
    } catch {
      // As on the UDP socket: nothing a datagram does can break the receive loop.
    }
  }
}
