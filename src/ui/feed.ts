/**
 * The push side of the live view: server-sent events to every open page. What happens on the nodes
 * is collected and sent in batches (every 100 ms of real time), each with the nodes' clock, so a
 * page draws smoothly whatever the rate; the nodes' state goes out every 500 ms. Messages travel as
 * compact rows (`[kind, time, node, msg, type, from, to, reason]`, the message id as a small number
 * shared by its send and its deliveries). A page that does not keep up misses batches rather than
 * holding the process's memory, and is told how many.
 */
import type { ServerResponse } from 'node:http';
import type { PeerlabEvent } from '../runtime/events.ts';
import type { TraceRecord } from '../runtime/trace.ts';
import type { LiveItem, LiveSource } from './live-source.ts';
import { snapshot, type ViewSnapshot } from './snapshot.ts';

/** `[kind, time, node, msg, type, from, to, reason?]`: kind s(end), d(eliver) or x (drop); from and to are addresses. */
export type MessageRow = [string, number, string, number, string, string, string, string?];

export interface Batch {
  now: number;
  rate: number;
  msgs: MessageRow[];
  events: PeerlabEvent[];
  says: Array<{ time: number; text: string }>;
  /** Messages left out since the last batch (too many to draw). */
  skipped: number;
}

const FLUSH_MS = 100;
const STATE_MS = 500;
/** Per batch: beyond this, message rows are counted, not sent (events always go). */
const MAX_MSGS_PER_BATCH = 3000;
const MAX_EVENTS_PER_BATCH = 3000;
/** A client whose socket holds this much unsent is skipped until it drains. */
const MAX_BACKLOG = 4 * 1024 * 1024;
const MSG_IDS = 50_000;

interface Client {
  res: ServerResponse;
  missed: number;
}

export class Feed {
  private readonly clients = new Set<Client>();
  private msgs: MessageRow[] = [];
  private events: PeerlabEvent[] = [];
  private says: Batch['says'] = [];
  private skipped = 0;
  private readonly ids = new Map<string, number>();
  private nextId = 1;
  private off: (() => void) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private stateTimer: NodeJS.Timeout | undefined;
  private lastState: string | undefined;
  private reading = false;
  private lastClockSent = 0;

  constructor(private readonly source: LiveSource) {}

  start(): void {
    if (this.off) return;
    this.off = this.source.subscribe((item) => this.take(item));
    // Real timers: the feed talks to browsers in real time whatever clock the nodes run on.
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
    this.stateTimer = setInterval(() => void this.pushState(), STATE_MS);
    this.flushTimer.unref();
    this.stateTimer.unref();
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    clearInterval(this.flushTimer);
    clearInterval(this.stateTimer);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Starts an event stream on `res`: a `hello` with `intro`, the state, then batches. */
  async open(res: ServerResponse, intro: unknown): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    const client: Client = { res, missed: 0 };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    this.send(client, 'hello', JSON.stringify(intro));
    const state = await this.readState().catch(() => undefined);
    if (state) this.send(client, 'state', state);
  }

  private take(item: LiveItem): void {
    if (this.clients.size === 0) return; // nobody watching: nothing to gather
    if (item.kind === 'event') {
      if (this.events.length < MAX_EVENTS_PER_BATCH) this.events.push(item.event);
      return;
    }
    const r = item.record;
    if (r.kind === 'event') {
      if (r.type === 'say') this.says.push({ time: r.time, text: String((r.data as { text?: unknown } | undefined)?.text ?? '') });
      return;
    }
    if (this.msgs.length >= MAX_MSGS_PER_BATCH) {
      this.skipped++;
      return;
    }
    this.msgs.push(row(r, this.msgNumber(r.msgId)));
  }

  private msgNumber(id: string): number {
    let n = this.ids.get(id);
    if (n === undefined) {
      n = this.nextId++;
      this.ids.set(id, n);
      if (this.ids.size > MSG_IDS) {
        // Forget the oldest half: their messages have long left the screen.
        let drop = MSG_IDS / 2;
        for (const k of this.ids.keys()) {
          if (drop-- <= 0) break;
          this.ids.delete(k);
        }
      }
    }
    return n;
  }

  /** Sends what has gathered; with nothing new, the clock alone once a second. */
  flush(): void {
    const empty = this.msgs.length === 0 && this.events.length === 0 && this.says.length === 0 && this.skipped === 0;
    const wall = Date.now();
    if (empty && wall - this.lastClockSent < 1000) return;
    this.lastClockSent = wall;
    const { now, rate } = this.source.clock();
    const batch: Batch = { now, rate, msgs: this.msgs, events: this.events, says: this.says, skipped: this.skipped };
    this.msgs = [];
    this.events = [];
    this.says = [];
    this.skipped = 0;
    if (this.clients.size === 0) return;
    this.broadcast('batch', JSON.stringify(batch, bigints));
  }

  private async pushState(): Promise<void> {
    if (this.clients.size === 0 || this.reading) return;
    const text = await this.readState().catch(() => undefined);
    if (text === undefined || text === this.lastState) return;
    this.lastState = text;
    this.broadcast('state', text);
  }

  private async readState(): Promise<string> {
    this.reading = true;
    try {
      const s: ViewSnapshot = await snapshot(this.source.nodes());
      return JSON.stringify(s, bigints);
    } finally {
      this.reading = false;
    }
  }

  private broadcast(event: string, data: string): void {
    for (const c of this.clients) {
      if (c.res.writableLength > MAX_BACKLOG) {
        c.missed++;
        continue;
      }
      if (c.missed > 0) {
        this.send(c, 'missed', String(c.missed));
        c.missed = 0;
      }
      this.send(c, event, data);
    }
  }

  private send(c: Client, event: string, data: string): void {
    if (c.res.destroyed || c.res.writableEnded) return;
    c.res.write(`event: ${event}\ndata: ${data}\n\n`);
  }
}

function row(r: Extract<TraceRecord, { msgId: string }>, msg: number): MessageRow {
  const kind = r.kind === 'send' ? 's' : r.kind === 'deliver' ? 'd' : 'x';
  return r.reason === undefined ? [kind, r.time, r.node, msg, r.type, r.from, r.to] : [kind, r.time, r.node, msg, r.type, r.from, r.to, r.reason];
}

function bigints(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
