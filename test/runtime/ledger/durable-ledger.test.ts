/**
 * The durable ledger's ingest path (ledger/durable-ledger.ts): transactions that arrive as text
 * (a bulk-sync line) are logged as that text, but only text whose content passed the checks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LamportClock, ManualClock } from '../../../src/runtime/clock.ts';
import { DurableLedger } from '../../../src/runtime/ledger/durable-ledger.ts';
import { createTransaction, type Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { Stats } from '../../../src/runtime/stats.ts';
import { AppendLog } from '../../../src/runtime/store/append-log.ts';
import { toWire } from '../../../src/runtime/wire/ledger.ts';
import { useTempDir } from '../store/helpers.ts';
import { PARAMS, seededIdentity } from './helpers.ts';

const alice = seededIdentity('alice');
const bob = seededIdentity('bob');
const carol = seededIdentity('carol');

function ledger(path: string): DurableLedger {
  return new DurableLedger({
    identity: carol, params: PARAMS, log: new AppendLog<Transaction>(path), lamport: new LamportClock(), clock: new ManualClock(),
    stats: new Stats(), emit: () => undefined, names: { label: (a) => a.slice(0, 8) },
  });
}

const t1 = createTransaction(alice, { to: bob.id, amount: 5, seq: 1, prev: null, lamport: 1, time: 1 });
const t2 = createTransaction(alice, { to: bob.id, amount: 6, seq: 2, prev: t1.id, lamport: 2, time: 2 });

describe('DurableLedger.ingest with the received text', () => {
  let dir = '';
  useTempDir((d) => (dir = d), 'peerlab-durable-');

  it('logs an accepted transaction as the very text it came in, which reloads to the same ledger', async () => {
    const path = join(dir, 'ledger.log');
    const l = ledger(path);
    await l.open();
    // Same content, another spelling: spaces, and the keys in another order.
    const text = (t: Transaction): string => JSON.stringify(toWire(t), Object.keys(toWire(t)).reverse(), 1).replace(/\n/g, ' ');
    const lines = [text(t1), text(t2)];
    const r = await l.ingest(lines.map((x) => JSON.parse(x) as unknown), bob.id, lines);
    expect(r.stored.map((t) => t.id)).toEqual([t1.id, t2.id]);
    await l.flushAndClose();
    const logged = (await readFile(path, 'utf8')).trimEnd().split('\n').map((line) => line.slice(9));
    expect(logged).toEqual(lines);
    const again = ledger(path);
    expect(await again.open()).toBe(2);
    expect(again.digest.digest().text).toBe(l.digest.digest().text);
    await again.flushAndClose();
  });

  it('never logs the text of a copy that failed its checks, even one claiming a good id', async () => {
    const path = join(dir, 'ledger.log');
    const l = ledger(path);
    await l.open();
    const good = JSON.stringify(toWire(t1));
    const altered = JSON.stringify({ ...toWire(t1), amount: '500.00' });
    const extraKey = JSON.stringify({ ...toWire(t2), file: { sha256: 'a'.repeat(64), name: 'x', size: 1, evil: true } });
    const lines = [altered, good, extraKey];
    const r = await l.ingest(lines.map((x) => JSON.parse(x) as unknown), bob.id, lines);
    expect(r.results.map((x) => [x.outcome, x.code])).toEqual([['rejected', 'ID_MISMATCH'], ['accepted', undefined], ['rejected', 'BAD_SCHEMA']]);
    await l.flushAndClose();
    expect((await readFile(path, 'utf8')).trimEnd().split('\n').map((line) => line.slice(9))).toEqual([good]);
  });
});
