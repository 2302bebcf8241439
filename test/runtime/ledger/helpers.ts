import { createPrivateKey } from 'node:crypto';
import { Identity } from '../../../src/runtime/identity.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { ledgerParams } from '../../../src/runtime/ledger/params.ts';
import { canonicalBytes, signed, type Transaction, type TransactionBody } from '../../../src/runtime/ledger/transaction.ts';

/** PKCS#8 prefix of an Ed25519 private key; the 32-byte seed follows it (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The same key pair for the same label, so tests are deterministic. */
export function seededIdentity(label: string): Identity {
  const prng = new Prng(`identity:${label}`);
  const seed = Buffer.alloc(32);
  for (let i = 0; i < 32; i += 4) seed.writeUInt32LE(prng.nextUint32(), i);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return Identity.fromPem(key.export({ format: 'pem', type: 'pkcs8' }).toString());
}

export const PARAMS = ledgerParams(100, 2);

/** Signs any body with any key, bypassing createTransaction's checks: how forgeries are made. */
export function forge(body: TransactionBody, signer: Identity): Transaction {
  const bytes = canonicalBytes(body);
  return signed(body, bytes, signer.sign(bytes).toString('base64url'));
}

/** A body with the given changes (for forging variants of a real transaction). */
export function bodyOf(t: Transaction, changes: Partial<TransactionBody> = {}): TransactionBody {
  const { id: _id, sig: _sig, ...body } = t;
  return { ...body, ...changes };
}
