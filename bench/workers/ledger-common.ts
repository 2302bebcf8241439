/**
 * What ledger bench workers share: reading the ledger fixture (bench/ledger-fixture.ts) and the
 * limit most ledger figures are compared with, this machine's single-core Ed25519 verify rate.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { canonicalBytes, type Transaction } from '../../src/runtime/ledger/transaction.ts';
import { now } from './rpc.ts';

/** The first `count` records of a ledger.log-format file, as JSON text (the frame stripped). */
export async function readFixtureLines(path: string, count: number): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  const lines: string[] = [];
  let start = 0;
  while (lines.length < count) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    lines.push(text.slice(start + 9, nl)); // "<crc32 hex> " prefix
    start = nl + 1;
  }
  if (lines.length < count) throw new Error(`${path} holds ${lines.length} records, fewer than ${count}`);
  return lines;
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface VerifyRate {
  /** Verifications per second on one core. */
  rate: number;
  verified: number;
  ms: number;
  messageBytes: number;
}

/**
 * `crypto.verify` of Ed25519 signatures over the canonical bytes of real transactions, with the
 * keys, bytes and signatures prepared outside the timed loop: the pure cost of verification, what
 * a node cannot do faster on one core. Runs for about `ms` milliseconds.
 */
export function measureVerifyRate(lines: string[], ms: number): VerifyRate {
  const keys = new Map<string, KeyObject>();
  const items = lines.slice(0, 4096).map((l) => {
    const t = JSON.parse(l) as Transaction;
    let key = keys.get(t.from);
    if (!key) {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(t.from, 'base64url')]), format: 'der', type: 'spki' });
      keys.set(t.from, key);
    }
    return { bytes: canonicalBytes(t), key, sig: Buffer.from(t.sig, 'base64url') };
  });
  // Warm up, and make sure these really are valid signatures.
  for (const it of items.slice(0, 200)) if (!verify(null, it.bytes, it.key, it.sig)) throw new Error('fixture signature does not verify');
  let n = 0;
  let i = 0;
  const t0 = now();
  let t = t0;
  while (t - t0 < ms) {
    for (let k = 0; k < 64; k++) {
      const it = items[i++ % items.length]!;
      verify(null, it.bytes, it.key, it.sig);
    }
    n += 64;
    t = now();
  }
  const messageBytes = Math.round(items.reduce((a, it) => a + it.bytes.length, 0) / items.length);
  return { rate: (n * 1000) / (t - t0), verified: n, ms: t - t0, messageBytes };
}
