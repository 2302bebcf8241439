import { Identity } from '../../../src/runtime/identity.ts';
import { ledgerParams } from '../../../src/runtime/ledger/params.ts';
import { SeededRandom } from '../../../src/runtime/random.ts';
import { canonicalBytes, signed, type Transaction, type TransactionBody } from '../../../src/runtime/ledger/transaction.ts';

/** The same key pair for the same label, so tests are deterministic. */
export function seededIdentity(label: string): Identity {
  return Identity.generate(new SeededRandom(`identity:${label}`));
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
