/**
 * Events form one closed map (src/runtime/events.ts): a misspelled type, or data that does not fit
 * the type, fails `npm run typecheck` (which includes this folder). Each `@ts-expect-error` below
 * must see an error there, or the directive itself is reported as unused.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/runtime/clock.ts';
import { EventBus, type Emit, type EventType, type PeerlabEvent } from '../../src/runtime/events.ts';
import { Node } from '../../src/runtime/node.ts';

describe('typed events', () => {
  it('a node emits a listed type with its data, stamped with name, Lamport and wall time', () => {
    const clock = new ManualClock(1_000);
    const node = new Node({ name: 'alice', memory: true, seed: 1, clock });
    const seen: PeerlabEvent[] = [];
    node.on('*', (e) => seen.push(e));
    const cleared: number[] = [];
    node.on('ledger-cleared', (e) => cleared.push(e.data.cleared));
    node.emit('ledger-cleared', { cleared: 3 });
    expect(seen).toEqual([{ type: 'ledger-cleared', node: 'alice', lamport: 0, time: 1_000, data: { cleared: 3 } }]);
    expect(cleared).toEqual([3]);
  });

  it('misspelled types and wrong data do not compile', () => {
    const emitted: Array<{ type: EventType; data: unknown }> = [];
    const emit: Emit = (type, data) => void emitted.push({ type, data });
    emit('txn-accepted', { id: 'x', from: 'a', to: 'b', amount: '1.00', seq: 1, lamport: 1, was: 'new' });
    // @ts-expect-error 'txn-acepted' is not an event type
    emit('txn-acepted', { id: 'x' });
    // @ts-expect-error a peer-removed event needs its reason
    emit('peer-removed', { peer: '127.0.0.1:1', id: 'x', name: 'x' });
    // @ts-expect-error the reason is one of the listed ones
    emit('peer-removed', { peer: '127.0.0.1:1', id: 'x', name: 'x', reason: 'bored' });
    const bus = new EventBus();
    // @ts-expect-error listening to a misspelled type does not compile either
    bus.on('peer-add', () => undefined);
    expect(emitted.map((e) => e.type)).toEqual(['txn-accepted', 'txn-acepted', 'peer-removed', 'peer-removed']);
  });
});
