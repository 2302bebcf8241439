import type { TraceRecord } from '../../src/runtime/trace.ts';

/** Builds small hand-made traces: three nodes on fixed addresses, times in ms from T0. */
export const T0 = 1_700_000_000_000;
export const ADDR: Record<string, string> = { alice: '127.0.0.1:5001', bob: '127.0.0.1:5002', carol: '127.0.0.1:5003', dave: '127.0.0.1:5004' };
export const ID: Record<string, string> = {
  alice: 'AAAAAAAAaliceaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  bob: 'BBBBBBBBbobbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  carol: 'CCCCCCCCcarolccccccccccccccccccccccccccccccc',
  dave: 'DDDDDDDDdaveddddddddddddddddddddddddddddddddd',
};

/** `txns`: the transaction ids a `txn` or `txn-batch` message carried, as traces written since they record them do. */
type Msg = { id: string; type: string; from: string; to: string; at: number; lamport: number; txns?: string[] };

const carried = (m: Msg): { txns?: string[] } => (m.txns ? { txns: m.txns } : {});

export function send(m: Msg): TraceRecord {
  return { kind: 'send', time: T0 + m.at, node: m.from, nodeId: ID[m.from]!, msgId: m.id, type: m.type, from: ADDR[m.from]!, to: ADDR[m.to]!, lamport: m.lamport, bytes: 100, ...carried(m) };
}

export function deliver(m: Msg & { recvAt: number; lamportRecv: number }): TraceRecord {
  return {
    kind: 'deliver', time: T0 + m.recvAt, node: m.to, nodeId: ID[m.to]!, msgId: m.id, type: m.type,
    from: ADDR[m.from]!, to: ADDR[m.to]!, lamport: m.lamport, lamportRecv: m.lamportRecv, bytes: 100, ...carried(m),
  };
}

/** A message sent and delivered: both records. */
export function message(m: Msg & { recvAt: number; lamportRecv: number }): TraceRecord[] {
  return [send(m), deliver(m)];
}

export function drop(m: Msg & { side: 'sender' | 'receiver'; dropAt?: number; reason?: string }): TraceRecord {
  const node = m.side === 'sender' ? m.from : m.to;
  return {
    kind: 'drop', time: T0 + (m.dropAt ?? m.at), node, nodeId: ID[node]!, msgId: m.id, type: m.type,
    from: ADDR[m.from]!, to: ADDR[m.to]!, lamport: m.lamport, bytes: 100, reason: m.reason ?? (m.side === 'sender' ? 'drop' : 'drop-in'), ...carried(m),
  };
}

export function event(node: string, type: string, at: number, lamport: number, data: Record<string, unknown> = {}): TraceRecord {
  return { kind: 'event', time: T0 + at, node, nodeId: ID[node] ?? '', type, lamport, data };
}

export function txn(node: string, type: 'txn-accepted' | 'txn-voided', at: number, lamport: number, t: { id: string; from: string; to: string; amount: string }): TraceRecord {
  return event(node, type, at, lamport, { ...t, seq: 1, lamport, was: 'new' });
}

/** A little run: three nodes start, bob says hello to alice, a ping is dropped, a txn is made and spread. */
export function smallRun(): TraceRecord[] {
  return [
    event('alice', 'node-started', 0, 0, { address: ADDR.alice, id: ID.alice }),
    event('bob', 'node-started', 0, 0, { address: ADDR.bob, id: ID.bob }),
    event('carol', 'node-started', 1, 0, { address: ADDR.carol, id: ID.carol }),
    ...message({ id: 'm1', type: 'hello', from: 'bob', to: 'alice', at: 10, lamport: 1, recvAt: 12, lamportRecv: 2 }),
    event('alice', 'peer-added', 12, 2, { peer: ADDR.bob, id: ID.bob, name: 'bob', via: 'hello' }),
    ...message({ id: 'm2', type: 'hello', from: 'alice', to: 'bob', at: 13, lamport: 3, recvAt: 15, lamportRecv: 4 }),
    send({ id: 'm3', type: 'ping', from: 'carol', to: 'alice', at: 20, lamport: 1 }),
    drop({ id: 'm3', type: 'ping', from: 'carol', to: 'alice', at: 20, lamport: 1, side: 'sender' }),
    send({ id: 'm4', type: 'ping', from: 'alice', to: 'carol', at: 22, lamport: 5 }),
    drop({ id: 'm4', type: 'ping', from: 'alice', to: 'carol', at: 22, lamport: 5, side: 'receiver', dropAt: 23 }),
    txn('alice', 'txn-accepted', 30, 6, { id: 't1', from: 'alice', to: 'bob', amount: '25.50' }),
    ...message({ id: 'm5', type: 'txn', from: 'alice', to: 'bob', at: 31, lamport: 7, recvAt: 33, lamportRecv: 8 }),
    txn('bob', 'txn-accepted', 33, 8, { id: 't1', from: 'alice', to: 'bob', amount: '25.50' }),
    send({ id: 'm6', type: 'txn', from: 'alice', to: 'carol', at: 31, lamport: 8 }),
    ...message({ id: 'm7', type: 'digest', from: 'bob', to: 'carol', at: 40, lamport: 9, recvAt: 41, lamportRecv: 10 }),
  ];
}
