/**
 * Writes a ledger fixture: `--count` signed transactions among `--accounts` fresh identities, as
 * honest senders make them (next seq, oldest unclaimed credits claimed, Lamport time rising), in
 * the on-disk format of a node's `ledger.log` (store/log-format.ts). The order of the file is a
 * valid arrival order (every transaction after its prev and its claimed credits), so any prefix
 * of it is a ledger too. Prints `{type: 'done', count, bytes, ms}`.
 */
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Identity } from '../../src/runtime/identity.ts';
import { Ledger } from '../../src/runtime/ledger/ledger.ts';
import { ledgerParams } from '../../src/runtime/ledger/params.ts';
import { Prng } from '../../src/runtime/prng.ts';
import { encodeRecord } from '../../src/runtime/store/log-format.ts';
import { toWire } from '../../src/runtime/wire/ledger.ts';
import { now, out } from './rpc.ts';

const { values: a } = parseArgs({
  options: { count: { type: 'string' }, accounts: { type: 'string', default: '25' }, seed: { type: 'string', default: '1' }, out: { type: 'string' } },
});
const count = Number(a.count);
const accounts = Number(a.accounts);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(accounts) || accounts < 2 || !a.out) {
  process.stderr.write('usage: gen-ledger.ts --count N [--accounts 25] [--seed 1] --out FILE\n');
  process.exit(2);
}

const t0 = now();
const ids = Array.from({ length: accounts }, () => Identity.generate());
const ledger = new Ledger({ params: ledgerParams(1000, 2) });
const prng = new Prng(Number(a.seed));
const fh = await open(a.out, 'w');
let chunk: Buffer[] = [];
let chunkBytes = 0;
let bytes = 0;
let lamport = 0;
let made = 0;
let refused = 0;
while (made < count) {
  const from = ids[prng.int(accounts)]!;
  let to = ids[prng.int(accounts)]!;
  if (to === from) to = ids[(ids.indexOf(from) + 1) % accounts]!;
  const cents = 1 + prng.int(99);
  let txn;
  try {
    txn = ledger.draftFor(from, to.id, `0.${String(cents).padStart(2, '0')}`, lamport + 1);
  } catch {
    refused++; // out of funds for now: someone else sends
    continue;
  }
  lamport = txn.lamport;
  const r = ledger.add(txn, { trusted: true });
  if (r.outcome !== 'accepted') throw new Error(`generated transaction not accepted: ${r.outcome} ${r.code ?? ''} ${r.message ?? ''}`);
  const line = encodeRecord(toWire(txn), 1 << 20);
  chunk.push(line);
  chunkBytes += line.length;
  made++;
  if (chunkBytes >= 1 << 20) {
    await fh.write(Buffer.concat(chunk, chunkBytes));
    bytes += chunkBytes;
    chunk = [];
    chunkBytes = 0;
  }
}
if (chunkBytes) {
  await fh.write(Buffer.concat(chunk, chunkBytes));
  bytes += chunkBytes;
}
await fh.close();
out({ type: 'done', count: made, bytes, refused, ms: Math.round(now() - t0) });
process.exit(0);
