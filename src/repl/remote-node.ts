/**
 * The `node` of `peerlab attach`: the same API as a local Node, but every method is a call over the
 * node's control socket, so every method returns a promise (the REPL awaits it for you).
 */
import type { ControlClient } from '../runtime/control/control-client.ts';
import type { ControlDescription } from '../runtime/control/protocol.ts';
import type { PeerlabEvent } from '../runtime/events.ts';

export interface RemoteNode {
  readonly remote: true;
  readonly name: string;
  readonly id: string;
  readonly shortId: string;
  readonly address: string;
  readonly advertised: string;
  readonly dataDir: string | null;
  readonly controlSocket: string;
  readonly pid: number;
  on(type: string, fn: (e: PeerlabEvent) => void): () => void;
  [method: string]: unknown;
}

/** Methods the server answers itself, not part of the node API. */
const SERVER_ONLY = new Set(['describe', 'events.subscribe', 'events.unsubscribe']);

export function remoteNode(client: ControlClient, d: ControlDescription): RemoteNode {
  const node: Record<string, unknown> = {
    remote: true,
    name: d.name,
    id: d.id,
    shortId: d.shortId,
    address: d.address,
    advertised: d.advertised,
    dataDir: d.dataDir,
    controlSocket: d.controlSocket,
    pid: d.pid,
  };
  for (const method of d.methods) {
    if (SERVER_ONLY.has(method)) continue;
    const parts = method.split('.');
    let owner = node;
    for (const p of parts.slice(0, -1)) {
      owner[p] ??= {};
      owner = owner[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1]!;
    const fn = (...args: unknown[]): Promise<unknown> => client.call(method, args);
    Object.defineProperty(fn, 'name', { value: last });
    owner[last] = fn;
  }
  node.on = (type: string, fn: (e: PeerlabEvent) => void): (() => void) => {
    let off: (() => void) | undefined;
    let cancelled = false;
    void client.subscribe((e) => fn(e), type === '*' ? undefined : [type]).then((o) => {
      if (cancelled) o();
      else off = o;
    }, () => undefined);
    return () => {
      cancelled = true;
      off?.();
    };
  };
  return node as RemoteNode;
}
