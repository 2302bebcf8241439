/**
 * The control protocol (DESIGN.md §1 `control/`, §2.1 `peerlab attach`): JSON lines over a local
 * socket that only the node's owner can open. A client sends `{id, method, args}`; the node answers
 * `{id, ok: true, result}` or `{id, ok: false, error: {code, message}}`. After `events.subscribe`
 * the node also pushes `{event}` lines. Methods are the `node` API of §2.2 by name, dotted for the
 * namespaces (`faults.set`, `robot.start`, `heartbeat.set`), and only those on the allow-list.
 */
import { isAbsolute, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { API } from '../api.ts';
import { isPeerlabError, type ErrorCode } from '../errors.ts';
import type { PeerlabEvent } from '../events.ts';

export const CONTROL_PROTOCOL_VERSION = 1;

export interface ControlRequest {
  id: number | string;
  method: string;
  args?: unknown[];
}

export interface ControlErrorBody {
  code: ErrorCode;
  message: string;
}

export type ControlReply =
  | { id: number | string | null; ok: true; result?: unknown }
  | { id: number | string | null; ok: false; error: ControlErrorBody };

/** Pushed to subscribers: one per node event. */
export interface ControlEventLine {
  event: PeerlabEvent;
}

/** What `describe` returns: enough for a client to build a `node` proxy. */
export interface ControlDescription {
  protocol: number;
  name: string;
  id: string;
  shortId: string;
  address: string;
  advertised: string;
  dataDir: string | null;
  pid: number;
  controlSocket: string;
  /** The allow-listed node methods this node has (the ledger, files and robot may be absent). */
  methods: string[];
}

/**
 * The node API a control client may call (DESIGN.md §2.2): the API table's methods exposed to the
 * control socket. Everything here is a method of `Node` or of one of its namespaces; names not
 * listed (internals, `emit`, `constructor`, ...) are refused.
 */
export const CONTROL_METHODS: readonly string[] = API.filter((m) => m.exposed.control).map((m) => m.name);

/** Answered by the control server itself rather than by a node method. */
export const SERVER_METHODS: readonly string[] = ['describe', 'heartbeat.get', 'events.subscribe', 'events.unsubscribe'];

/** Arguments that are file paths, by position: made absolute on the client's side (its cwd). */
export const PATH_ARGS: Readonly<Record<string, readonly number[]>> = Object.fromEntries(
  API.filter((m) => m.exposed.control)
    .map((m) => [m.name, m.params.flatMap((p, i) => (p.kind === 'path' ? [i] : []))] as const)
    .filter(([, at]) => at.length > 0),
);

/** A request line larger than this closes the connection (protects the node). */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** Replies can be large (a whole ledger); this only guards against a runaway peer. */
export const MAX_REPLY_BYTES = 512 * 1024 * 1024;

/** JSON with the runtime's non-JSON values made readable: bigint, Map, Set, Error. */
export function encodeLine(value: unknown): string {
  return `${JSON.stringify(value, replacer)}\n`;
}

function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return Object.fromEntries(v);
  if (v instanceof Set) return [...v];
  if (v instanceof Error) return { name: v.name, message: v.message, ...(isPeerlabError(v) ? { code: v.code } : {}) };
  return v;
}

/** An error as it travels: a PeerlabError keeps its code; anything else is INTERNAL with its name. */
export function toErrorBody(err: unknown): ControlErrorBody {
  if (isPeerlabError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: 'INTERNAL', message: `${err.name}: ${err.message}` };
  return { code: 'INTERNAL', message: String(err) };
}

/** Checks a parsed line is a request; returns a message saying what is wrong otherwise. */
export function checkRequest(v: unknown): ControlRequest | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'a request is a JSON object {id, method, args}';
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'number' && typeof r.id !== 'string') return 'a request needs an id (number or string)';
  if (typeof r.method !== 'string' || r.method.length === 0) return 'a request needs a method name';
  if (r.args !== undefined && !Array.isArray(r.args)) return 'args must be a list';
  return { id: r.id, method: r.method, ...(r.args ? { args: r.args as unknown[] } : {}) };
}

/** Relative path arguments made absolute against `cwd` (the caller's folder, not the node's). */
export function absolutePathArgs(method: string, args: unknown[], cwd: string = process.cwd()): unknown[] {
  const at = PATH_ARGS[method];
  if (!at) return args;
  return args.map((a, i) => (at.includes(i) && typeof a === 'string' && a.length > 0 && !isAbsolute(a) ? resolve(cwd, a) : a));
}

/** Splits a byte stream into UTF-8 lines; a line over `maxBytes` calls `onOverflow` once and stops. */
export class LineReader {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private bytes = 0;
  private dead = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.dead) return;
    let text = this.decoder.write(chunk);
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer + text.slice(0, nl);
      this.buffer = '';
      this.bytes = 0;
      text = text.slice(nl + 1);
      if (line.trim().length > 0) this.onLine(line);
      if (this.dead) return;
    }
    this.buffer += text;
    this.bytes += Buffer.byteLength(text);
    if (this.bytes > this.maxBytes) {
      this.dead = true;
      this.buffer = '';
      this.onOverflow();
    }
  }
}
