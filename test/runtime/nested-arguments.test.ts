/**
 * Issue 15, "also seen": nested arguments to `faults.set` / `robot.start` came back as
 * `INTERNAL RangeError` (a message built with JSON.stringify of a 20,000-deep list overflowed the
 * stack). Every method of the API table, given deeply nested values in each parameter and each
 * option, answers with a coded validation error (or a result), in process and over the control
 * socket alike.
 */
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { API, type ApiParam } from '../../src/runtime/api.ts';
import { startControlServer } from '../../src/runtime/control/index.ts';
import { isPeerlabError } from '../../src/runtime/errors.ts';
import type { Node } from '../../src/runtime/node.ts';
import { startNodes, stopAll } from '../helpers.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

function nested(depth: number, inner: unknown = 1): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = i % 2 ? { k: v } : [v];
  return v;
}

const DEEP = nested(20_000);

/** Argument lists with a deep value in one place: each parameter, and each option of an options parameter. */
function poisoned(params: readonly ApiParam[], deep: unknown = DEEP): unknown[][] {
  const out: unknown[][] = [];
  params.forEach((p, i) => {
    const before = params.slice(0, i).map((q) => (q.kind === 'options' ? {} : 'x'));
    out.push([...before, deep]);
    for (const o of p.options ?? []) out.push([...before, { [o.name]: deep }]);
  });
  return out;
}

const MARK = '@@deep@@';

/** Sends request lines on a raw connection and collects one reply per line. */
function exchange(path: string, lines: string[]): Promise<Array<{ id: unknown; ok: boolean; error?: unknown }>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const replies: Array<{ id: unknown; ok: boolean; error?: unknown }> = [];
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${replies.length} of ${lines.length} replies`)), 20_000);
    socket.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        replies.push(JSON.parse(buf.slice(0, nl)) as { id: unknown; ok: boolean });
        buf = buf.slice(nl + 1);
      }
      if (replies.length >= lines.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(replies);
      }
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(lines.map((l) => `${l}\n`).join('')));
  });
}

/** Methods that would stop or empty the node: not called here, their arguments are not read anyway. */
const SKIP = new Set(['stop', 'leave', 'clearAndRebuild', 'on']);

function methodOf(node: Node, name: string): { fn: (...a: unknown[]) => unknown; self: object } {
  const parts = name.split('.');
  let self: Record<string, unknown> = node as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) self = self[p] as Record<string, unknown>;
  return { fn: self[parts.at(-1)!] as (...a: unknown[]) => unknown, self };
}

describe('deeply nested arguments get a coded error, never INTERNAL', () => {
  it('faults.set and robot.start, the reported cases', async () => {
    const [a] = await startNodes(1);
    cleanup.push(() => stopAll([a!]));
    for (const call of [
      () => a!.faults.set({ drop: DEEP } as never),
      () => a!.faults.set({ delay: DEEP } as never),
      () => a!.faults.set({ peer: DEEP } as never),
      () => a!.robot.start({ every: DEEP } as never),
      () => a!.robot.start({ every: '1s', seed: DEEP } as never),
      () => a!.robot.start({ every: '1s', actions: DEEP } as never),
    ]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(isPeerlabError(err), String(err)).toBe(true);
      expect((err as { code: string }).code).not.toBe('INTERNAL');
    }
    expect(a!.robot.status().running).toBe(false);
  });

  it('every method of the API table, in process', async () => {
    const [a] = await startNodes(1);
    cleanup.push(() => stopAll([a!]));
    const internal: string[] = [];
    for (const m of API) {
      if (SKIP.has(m.name) || m.property) continue;
      const { fn, self } = methodOf(a!, m.name);
      for (const args of poisoned(m.params)) {
        try {
          await fn.apply(self, args);
        } catch (err) {
          if (!isPeerlabError(err) || err.code === 'INTERNAL') internal.push(`${m.name}(${args.length} args): ${String(err)}`);
        }
      }
      a!.robot.stop();
    }
    expect(internal).toEqual([]);
  });

  it('every control-socket method, over the socket, sent as raw JSON lines (as a hostile client would)', async () => {
    const [a] = await startNodes(1);
    cleanup.push(() => stopAll([a!]));
    const server = await startControlServer(a!);
    cleanup.push(() => server.stop());
    // The control client refuses to encode such values, so the lines are written by hand: the
    // deep value replaces a marker in each request (20,000 levels, ~140 KB: under the 1 MiB line cap).
    const deepText = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? '{"k":' : '[')).reverse().join('') + '1' +
      Array.from({ length: 20_000 }, (_, i) => (i % 2 ? '}' : ']')).join('');
    const lines: string[] = [];
    const methods: string[] = [];
    const request = (method: string, args: unknown[]): void => {
      lines.push(JSON.stringify({ id: lines.length, method, args }).replace(`"${MARK}"`, deepText));
      methods.push(method);
    };
    for (const m of API) {
      if (SKIP.has(m.name) || !m.exposed.control) continue;
      for (const args of poisoned(m.params, MARK)) request(m.name, args);
      request('robot.stop', []);
    }
    const replies = await exchange(server.path, lines);
    const internal = replies.filter((r) => !r.ok && (r.error as { code: string }).code === 'INTERNAL');
    expect(internal.map((r) => `${methods[r.id as number]}: ${JSON.stringify(r.error)}`)).toEqual([]);
    expect(replies.filter((r) => !r.ok).length).toBeGreaterThan(20);
  });
});
